"""Public tracking: the lookup by item number or dossier code, and the tracking token and
links that the labels' QR codes and the citizen's messages carry."""

"""Orders for dossiers filed online: the post carries their paper (decision 0016)."""

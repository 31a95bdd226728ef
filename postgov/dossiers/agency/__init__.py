"""The agency's side of a dossier: its actions (from the web inbox or its own system), the
official printed forms, and the forms of its pages."""

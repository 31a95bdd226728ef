"""Helpers with no model dependencies (settings, text, codes, calendars, PDF)."""

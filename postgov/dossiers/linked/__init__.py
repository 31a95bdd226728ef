"""Linked packages (decision 0024): one intake for a linked procedure, one part — a real
dossier — per member procedure, one tracking code and one return."""

"""The security suite: one module per kind of attack the system must keep refusing.

Each test reproduces an attack (an outsider, a citizen, a clerk, an agency officer, a
provincial administrator or someone holding a copy of the database) and checks that it
is refused; `docs/security.md` maps them to the requirements they cover.
"""

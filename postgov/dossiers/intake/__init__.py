"""Receiving a dossier at the counter (or at a house, for a home pickup).

`common` (who may receive where, the applicant, the competent agency), `pricing` (the quote,
route and fees), `drafts` (the draft, its checklist and scans), `sealing` (the seal, the
items and numbers, the citizen's message, the dispatch); `api` takes a whole intake in one
JSON request; `forms` and `printing` are the wizard's forms and the counter's printed forms.

Every function that changes the database does it inside `transaction.atomic`, checks that
the person may work on the draft, and writes an audit record; views and the API only call
them. Sealing goes through `actions.perform("seal")`, the only way a state changes.
"""

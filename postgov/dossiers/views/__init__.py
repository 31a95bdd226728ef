"""Pages, by audience: the counter (`intake`, `dossier`, `today`), the agency (`agency`),
the counter's supplements (`supplements`), the signed-in citizen (`citizen`) and the public
tracking page (`tracking`). Views check access and call the actions; no state changes here."""

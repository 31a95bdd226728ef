"""The trips that carry dossiers: manifests loaded at the post office and handed over at the
agency (`manifests`, the agency's side in `agency_views`, the signed record in
`handover_record`), results brought back to the citizen (`returns`), and the postman's pages
(`trip_views`). They drive the dossiers' workflow (`hand_over`, `deliver`...), so they live
in `dossiers`; the post's own records they write (items, manifests, attempts, proofs) stay
in `delivery` and change through its actions or the modules here that `DossiersConfig`
declares. Their pages keep their addresses under `/delivery/` (`urls`)."""

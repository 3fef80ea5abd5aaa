"""Rule packs (Rule catalogue v1 and the e-invoicing rules) and their evaluation."""

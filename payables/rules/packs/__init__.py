"""Rule packs: each module here defines PACK (or PACKS) and is found automatically."""

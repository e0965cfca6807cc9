"""io.Schema with search_aliases only where this ComfyUI has the field (0.3.64 lacks it)."""

from __future__ import annotations

import dataclasses

from comfy_api.latest import io

SCHEMA_FIELDS = frozenset(f.name for f in dataclasses.fields(io.Schema))
HAS_SEARCH_ALIASES = "search_aliases" in SCHEMA_FIELDS

# search words for every node of the pack
PACK_ALIASES = ("rf-inversion", "rf inversion", "rectified flow")


def schema(*, search_aliases: list[str], **fields) -> io.Schema:
    """io.Schema(**fields), with the aliases (plus the pack's) where supported."""
    if HAS_SEARCH_ALIASES:
        fields["search_aliases"] = [*search_aliases, *PACK_ALIASES]
    return io.Schema(**fields)

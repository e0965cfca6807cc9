"""io.Schema for the pack's nodes, with the discovery fields only where the installed ComfyUI has them.

`search_aliases` (the synonyms the node search matches) is an io.Schema field in the ComfyUI versions CI tests
(0.16.3 and 0.30.0); ComfyUI 0.3.64's io.Schema has no such field and raises TypeError on it. schema() checks
io.Schema's fields once and leaves the aliases out there, so the pack loads on every V3 ComfyUI. Every other
keyword goes to io.Schema unchanged: a mistyped field still fails loudly.

Not used on purpose: `essentials_category`. It files a node in the frontend's curated Essentials tab (ComfyUI's
own Basics, Image Tools, ...), and frontend 1.47 then lists the node among ComfyUI's own nodes instead of under
this pack; the pack's nodes are not basics of every workflow.
"""

from __future__ import annotations

import dataclasses

from comfy_api.latest import io

SCHEMA_FIELDS = frozenset(f.name for f in dataclasses.fields(io.Schema))
HAS_SEARCH_ALIASES = "search_aliases" in SCHEMA_FIELDS

# Words a user types for every node of the pack (each node adds its own).
PACK_ALIASES = ("rf-inversion", "rf inversion", "rectified flow")


def schema(*, search_aliases: list[str], **fields) -> io.Schema:
    """io.Schema(**fields) with search_aliases (plus the pack's own) where this ComfyUI's io.Schema has them."""
    if HAS_SEARCH_ALIASES:
        fields["search_aliases"] = [*search_aliases, *PACK_ALIASES]
    return io.Schema(**fields)

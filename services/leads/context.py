"""What templates see of a lead, built from its row (shared by sends, drafts and tasks)."""

from __future__ import annotations

from typing import Any

from models.tables import Lead, LeadBase
from sequences.templating import lead_context

# The lead's own fields (LeadBase), under their public names (`metadata`, not `meta`).
# `preferred_channel` routes a send; it is not something a message says.
_LEAD_FIELDS = set(LeadBase.model_fields) - {"preferred_channel"}


def template_context(lead: Lead) -> dict[str, Any]:
    return lead_context(**lead.model_dump(include=_LEAD_FIELDS, by_alias=True))

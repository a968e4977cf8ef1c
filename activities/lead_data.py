"""What templates see of a lead, built from its row (shared by sends, drafts and tasks)."""

from __future__ import annotations

from typing import Any

from models.tables import Lead
from sequences.templating import lead_context


def template_context(lead: Lead) -> dict[str, Any]:
    return lead_context(
        name=lead.name,
        email=lead.email,
        phone=lead.phone,
        company=lead.company,
        title=lead.title,
        owner=lead.owner,
        timezone=lead.timezone,
        metadata=lead.meta,
    )

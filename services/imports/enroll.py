"""An import that names a campaign: checked before a row is imported, and once the import is
done its leads go to the campaign (added to an existing one, or a new campaign over them),
enrolled in the background as POST /api/campaigns/{id}/leads does.

The import never depends on the enrollment: if handing the leads over fails, the import stays
`done` with every row kept, and its `error` says what could not start and how to retry.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from pydantic import ValidationError

from models.db import Database
from services.campaigns.queries import resolve_campaign
from services.campaigns.schemas import CampaignCreate, LeadSelection
from services.campaigns.service import add_leads, compile_sequence, create_campaign
from services.errors import Conflict, InvalidInput, SalesPadError, field_errors
from services.gateway import LeadWorkflowGateway

log = logging.getLogger("salespad.imports")


@dataclass(frozen=True)
class CampaignTarget:
    """Where a done import's leads go: the existing campaign `campaign_id`, or (with
    `sequence`) a new campaign called `name`."""

    name: str
    campaign_id: uuid.UUID | None = None
    sequence: str | None = None

    def describe(self) -> str:
        if self.campaign_id is not None:
            return f"campaign {self.campaign_id}"
        return f"a new campaign {self.name!r} (sequence {self.sequence!r})"


async def resolve_target(
    db: Database, workflows: LeadWorkflowGateway, ref: str, sequence: str | None = None
) -> CampaignTarget:
    """Check the campaign before anything is imported: an unknown or ambiguous campaign (or
    sequence) is a 422 naming the field, a stopped campaign a 409, and Temporal unreachable a
    503 (ServiceUnavailable)."""
    if sequence is not None:
        compile_sequence(sequence)
        try:
            CampaignCreate(name=ref, sequence=sequence, import_id=str(uuid.uuid4()))
        except ValidationError as exc:
            errors = _as_campaign(field_errors(exc.errors()))
            raise InvalidInput("invalid new campaign", errors) from exc
        target = CampaignTarget(name=ref, sequence=sequence)
    else:
        async with db.session() as session:
            campaign = await resolve_campaign(session, ref)
            campaign_id, name, state = campaign.id, campaign.name, campaign.state
        if state == "stopped":
            message = f"campaign {campaign_id} is stopped"
            raise Conflict(message, [{"field": "campaign", "message": message}])
        target = CampaignTarget(name=name, campaign_id=campaign_id)
    await workflows.ensure_connected()
    return target


def _as_campaign(errors: list[dict[str, str]]) -> list[dict[str, str]]:
    """The new campaign's name is the `campaign` the caller gave."""
    return [{**e, "field": "campaign" if e["field"] == "name" else e["field"]} for e in errors]


async def enroll_import(
    db: Database, workflows: LeadWorkflowGateway, import_id: uuid.UUID, target: CampaignTarget
) -> tuple[uuid.UUID | None, str | None]:
    """Hand an imported file's leads to `target`, once every row is written: (the campaign's
    id, None), or (None, why enrolling could not start) for the import's `error`. Only a
    cancellation is raised."""
    selected = str(import_id)
    try:
        async with db.session() as session:
            if target.campaign_id is not None:
                progress = await add_leads(
                    session, workflows, target.campaign_id, LeadSelection(import_id=selected)
                )
            else:
                body = CampaignCreate(
                    name=target.name, sequence=target.sequence or "", import_id=selected
                )
                # Keyed by the import: the same import never makes two campaigns.
                progress = await create_campaign(session, workflows, body, f"import:{import_id}")
    except Exception as exc:
        log.exception("import %s: enrolling into %s failed", import_id, target.describe())
        reason = exc.message if isinstance(exc, SalesPadError) else f"{type(exc).__name__}: {exc}"
        retry = (
            f'POST /api/campaigns/{target.campaign_id}/leads {{"import_id": "{import_id}"}}'
            if target.campaign_id is not None
            else f'POST /api/campaigns {{"name", "sequence", "import_id": "{import_id}"}}'
        )
        return None, (
            f"imported, but enrolling into {target.describe()} could not start: {reason} "
            f"(retry with {retry})"
        )
    return progress.id, None

"""Ops: every lead waiting for a human (with a Temporal Web UI link) and every paused mailbox,
the commands that answer a dead letter or resume a mailbox, and replies no lead could be found
for."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal
from urllib.parse import quote

from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ChannelType, EnrollmentState, EventType
from models.mailboxes import Mailbox
from models.tables import utcnow
from services.errors import Conflict
from services.gateway import LeadWorkflowGateway
from services.leads.queries import open_enrollment
from services.leads.schemas import ControlResult
from services.mailboxes.polling import ImapProblem, imap_problems
from services.ops import queries
from services.ops.schemas import (
    AttentionItem,
    UnmatchedReply,
    UnmatchedReplyList,
)
from workflows.contracts import OpsCommand, workflow_id_for

OpsAction = Literal["retry", "skip", "stop"]


async def attention(session: AsyncSession, ui_url: str, namespace: str) -> list[AttentionItem]:
    """Paused mailboxes first (each holds the sends of all its leads), then mailboxes whose
    replies cannot be read over IMAP (a reply there would go unseen), then leads."""
    ui = ui_url.rstrip("/")
    ns = quote(namespace)
    items = [_mailbox_item(m) for m in await queries.paused_mailboxes(session)]
    items += [_imap_item(p) for p in await imap_problems(session)]
    for enrollment, lead in await queries.waiting_for_ops(session):
        event = await queries.latest_attention_event(session, lead.id)
        workflow_id = workflow_id_for(str(lead.id))
        dead_letter = event is not None and event.event_type == EventType.DEAD_LETTERED
        items.append(
            AttentionItem(
                lead_id=lead.id,
                lead_name=lead.name,
                lead_email=lead.email,
                campaign_id=enrollment.campaign_id,
                current_step=enrollment.current_step,
                reason=(event.details.get("error") or event.event_type) if event else "unknown",
                error_type=event.details.get("error_type") if event else None,
                since=event.timestamp if event else enrollment.updated_at,
                workflow_id=workflow_id,
                temporal_url=f"{ui}/namespaces/{ns}/workflows/{quote(workflow_id)}",
                actions=["retry", "skip", "stop"] if dead_letter else ["complete or skip the task"],
            )
        )
    return items


def _mailbox_item(mailbox: Mailbox) -> AttentionItem:
    return _about_mailbox(
        mailbox.id,
        mailbox.name,
        mailbox.address,
        reason=mailbox.paused_reason or "paused",
        since=mailbox.paused_at or mailbox.updated_at,
        actions=["resume"],
    )


def _imap_item(problem: ImapProblem) -> AttentionItem:
    return _about_mailbox(
        problem.mailbox_id,
        problem.name,
        problem.address,
        reason=f"replies are not being read over IMAP: {problem.last_error}",
        since=problem.last_read_at or utcnow(),
        actions=["fix its IMAP settings (PATCH /api/mailboxes/{id})"],
        error_type="ImapReadFailed",
    )


def _about_mailbox(
    mailbox_id: uuid.UUID,
    name: str,
    address: str,
    *,
    reason: str,
    since: datetime,
    actions: list[str],
    error_type: str | None = None,
) -> AttentionItem:
    """An attention item of kind "mailbox": no lead, campaign or workflow of its own."""
    return AttentionItem(
        kind="mailbox",
        lead_id=None,
        lead_name=None,
        lead_email=None,
        campaign_id=None,
        current_step=None,
        reason=reason,
        error_type=error_type,
        since=since,
        workflow_id=None,
        temporal_url=None,
        actions=actions,
        mailbox_id=mailbox_id,
        mailbox_name=name,
        mailbox_address=address,
    )


async def ops_command(
    session: AsyncSession,
    workflows: LeadWorkflowGateway,
    lead_id: uuid.UUID,
    action: OpsAction,
    note: str,
) -> ControlResult:
    enrollment = await open_enrollment(session, lead_id)
    if enrollment is None or enrollment.state != EnrollmentState.ATTENTION:
        raise Conflict(
            f"lead {lead_id} is not waiting for ops",
            "only a dead-lettered lead (GET /api/ops/attention) takes retry / skip / stop",
        )
    await session.commit()  # the read ends here: no transaction is open across the engine
    ok = await workflows.ops(lead_id, OpsCommand(action=action, note=note))
    return ControlResult(lead_id=lead_id, action=action, signalled=ok)


async def list_unmatched(
    session: AsyncSession, channel: ChannelType | None, limit: int, offset: int
) -> UnmatchedReplyList:
    rows, total = await queries.unmatched_page(session, channel, limit, offset)
    by_message = await queries.unmatched_details(session, [str(m.id) for m, _ in rows])
    items = []
    for message, channel_type in rows:
        details = dict(by_message.get(str(message.id), {}))
        sender = details.pop("sender", None)
        for key in ("channel", "message_id", "provider_message_id"):
            details.pop(key, None)
        items.append(
            UnmatchedReply(
                id=message.id,
                channel=channel_type,
                sender=sender,
                subject=message.subject,
                content=message.content,
                provider_message_id=message.provider_message_id,
                received_at=message.sent_at,
                details=details,
            )
        )
    return UnmatchedReplyList(items=items, total=total, limit=limit, offset=offset)

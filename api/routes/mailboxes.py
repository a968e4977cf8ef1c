"""Mailboxes: the sender identities a channel type sends from, each with its own caps, gap and
jitter, send window, ramp, and the IMAP inbox its replies are read from."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response
from temporalio.service import RPCError

from api.auth import OPS
from api.deps import AppState, SessionDep, SettingsDep, StateDep
from api.openapi import errors
from models.mailboxes import Mailbox
from services.errors import ServiceUnavailable
from services.mailboxes import health, service
from services.mailboxes.imap import wants_poller
from services.mailboxes.polling import ensure_mailbox_poller
from services.mailboxes.schemas import (
    MailboxCreate,
    MailboxList,
    MailboxPublic,
    MailboxUpdate,
    PauseRequest,
)

router = APIRouter(prefix="/mailboxes", tags=["mailboxes"])
log = logging.getLogger("salespad.mailboxes")


async def _follow_imap(state: AppState, mailbox: Mailbox, *, deleted: bool = False) -> None:
    """Start (or wake, or end) the mailbox's IMAP reply poller to match what was saved. The
    change is saved either way: with Temporal away, a worker starts the pollers it lacks when
    it starts (or the mailbox's next change does)."""
    try:
        client = await state.temporal_client()
        wanted = not deleted and wants_poller(mailbox)
        await ensure_mailbox_poller(client, state.settings, mailbox.id, wanted=wanted)
    except (ServiceUnavailable, RPCError) as exc:
        log.warning("mailbox %s saved; its reply poller is not started yet: %s", mailbox.name, exc)


@router.get(
    "",
    response_model=MailboxList,
    summary="Every mailbox with where it stands (sent in 24 h and 1 h, headroom, next free "
    "moment), and each channel type's default sender",
)
async def list_mailboxes(session: SessionDep, settings: SettingsDep) -> MailboxList:
    return await service.list_mailboxes(session, settings)


@router.post(
    "",
    status_code=201,
    dependencies=[OPS],
    responses=errors(e409="A mailbox with this name exists"),
    response_model=MailboxPublic,
    summary="Add a mailbox (secrets are encrypted, never returned); running workers send "
    "from it with the next send",
)
async def create_mailbox(
    body: MailboxCreate, session: SessionDep, settings: SettingsDep, state: StateDep
) -> MailboxPublic:
    mailbox = await service.create_mailbox(session, body, settings.secret_key.get_secret_value())
    await _follow_imap(state, mailbox)
    return await service.show_mailbox(session, str(mailbox.id), settings)


@router.get(
    "/{mailbox}",
    response_model=MailboxPublic,
    summary="One mailbox, by id or name",
    responses=errors(404),
)
async def show_mailbox(mailbox: str, session: SessionDep, settings: SettingsDep) -> MailboxPublic:
    return await service.show_mailbox(session, mailbox, settings)


@router.patch(
    "/{mailbox}",
    dependencies=[OPS],
    responses=errors(404),
    response_model=MailboxPublic,
    summary="Change a mailbox: only the fields given; null clears a cap, window or ramp",
)
async def update_mailbox(
    mailbox: str, body: MailboxUpdate, session: SessionDep, settings: SettingsDep, state: StateDep
) -> MailboxPublic:
    found = await service.update_mailbox(
        session, mailbox, body, settings.secret_key.get_secret_value()
    )
    await _follow_imap(state, found)
    return await service.show_mailbox(session, str(found.id), state.settings)


@router.post(
    "/{mailbox}/pause",
    dependencies=[OPS],
    responses=errors(404, e409="The mailbox is disabled"),
    response_model=MailboxPublic,
    summary="Pause a mailbox: nothing goes out from it; its leads wait for it (or go on from "
    "the pool's others: SALESPAD_MAILBOX_PAUSED_LEADS)",
)
async def pause_mailbox(
    mailbox: str, session: SessionDep, state: StateDep, body: PauseRequest | None = None
) -> MailboxPublic:
    found = await service.find_mailbox(session, mailbox)
    reason = (body.reason if body else None) or "paused by ops"
    await health.pause_mailbox(session, found.id, reason, source="ops")
    return await service.show_mailbox(session, str(found.id), state.settings)


@router.post(
    "/{mailbox}/resume",
    dependencies=[OPS],
    responses=errors(404, e409="The mailbox is disabled"),
    response_model=MailboxPublic,
    summary="Resume a paused mailbox; its bounce and complaint rates count afresh from now",
)
async def resume_mailbox(mailbox: str, session: SessionDep, state: StateDep) -> MailboxPublic:
    found = await service.find_mailbox(session, mailbox)
    await health.resume_mailbox(session, found.id, source="ops")
    return await service.show_mailbox(session, str(found.id), state.settings)


@router.delete(
    "/{mailbox}",
    status_code=204,
    dependencies=[OPS],
    responses=errors(404, e409="The mailbox has sent: disable it instead"),
    summary="Delete a mailbox that never sent (one that did is disabled instead: 409)",
)
async def delete_mailbox(mailbox: str, session: SessionDep, state: StateDep) -> Response:
    deleted = await service.delete_mailbox(session, mailbox)
    if wants_poller(deleted):
        await _follow_imap(state, deleted, deleted=True)
    return Response(status_code=204)

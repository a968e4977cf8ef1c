"""Channels and their pacing: one provider serves a channel type; a daily cap (rolling 24 h)
and a send window per channel type. Secrets are sealed before they are stored."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ChannelProvider, ChannelType
from models.secrets import redact, seal
from models.tables import Channel
from services.channels.queries import channel_row_for
from services.channels.schemas import ChannelConfig, ChannelPublic, Pacing
from services.errors import InvalidInput

# What each provider needs in `config` (secrets are encrypted before they are stored).
REQUIRED: dict[str, tuple[str, ...]] = {
    ChannelProvider.SENDGRID: ("api_key", "from_email"),
    ChannelProvider.TWILIO: ("account_sid", "auth_token", "from_number"),
    ChannelProvider.SMTP: ("host", "from_email"),
    ChannelProvider.OUTBOX: (),
}
ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    ChannelProvider.SENDGRID: ("EMAIL",),
    ChannelProvider.SMTP: ("EMAIL",),
    ChannelProvider.TWILIO: ("SMS", "WHATSAPP"),
    ChannelProvider.OUTBOX: ("EMAIL", "SMS", "WHATSAPP"),
}


def to_public(row: Channel) -> ChannelPublic:
    return ChannelPublic(
        id=row.id,
        type=row.type,
        provider=row.provider,
        name=row.name,
        config=redact(row.config),
        daily_cap=row.daily_cap,
        send_window=row.send_window,
        enabled=row.enabled,
    )


async def configure_channel(
    session: AsyncSession, body: ChannelConfig, secret_key: str
) -> ChannelPublic:
    if body.type.value not in ALLOWED_TYPES.get(body.provider, ()):
        raise InvalidInput(
            f"{body.provider.value} cannot serve {body.type.value}",
            [{"field": "provider", "message": f"{body.provider.value} serves "
              f"{', '.join(ALLOWED_TYPES.get(body.provider, ())) or 'no channel type here'}"}],
        )  # fmt: skip
    missing = [f for f in REQUIRED.get(body.provider, ()) if not body.config.get(f)]
    if missing:
        raise InvalidInput(
            f"{body.provider.value} needs {', '.join(missing)}",
            [{"field": f"config.{f}", "message": "required"} for f in missing],
        )
    row = await channel_row_for(session, body.type, body.provider)
    row.name = body.name or row.name
    row.config = seal(body.config, secret_key)
    row.enabled = body.enabled
    if body.enabled:
        # One provider serves a channel type: the others of that type stand down.
        others = await session.exec(
            select(Channel).where(Channel.type == body.type, Channel.id != row.id)
        )
        for other in others.all():
            other.enabled = False
    await session.commit()
    return to_public(row)


async def list_channels(session: AsyncSession) -> list[ChannelPublic]:
    rows = (await session.exec(select(Channel).order_by(col(Channel.type)))).all()
    return [to_public(r) for r in rows]


async def set_pacing(
    session: AsyncSession, channel_type: ChannelType, body: Pacing
) -> list[ChannelPublic]:
    rows = list((await session.exec(select(Channel).where(Channel.type == channel_type))).all())
    if not rows:
        rows = [await channel_row_for(session, channel_type, ChannelProvider.OUTBOX)]
    window = body.send_window.model_dump(mode="json") if body.send_window else {}
    for row in rows:
        row.daily_cap = body.daily_cap
        row.send_window = window
    await session.commit()
    return [to_public(r) for r in rows]

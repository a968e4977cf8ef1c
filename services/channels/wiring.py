"""Which adapter serves each channel type, built when a worker starts and rebuilt when the
channel rows change (services/channels/live.py).

Order of precedence per type: an enabled Channel row configured over the API (secrets
decrypted here, in the worker only), then provider credentials in the environment, then the
outbox. Incomplete credentials are an error at start-up, not a silent fallback.
"""

from __future__ import annotations

import logging
from typing import Any

from adapters.channels.base import OutreachChannel
from adapters.channels.outbox import OutboxChannel
from adapters.channels.registry import CHANNEL_TYPES, ChannelRouter
from adapters.channels.sendgrid import SendGridChannel
from adapters.channels.smtp import SmtpChannel
from adapters.channels.twilio import TwilioChannel
from config.logs import redact_also
from config.settings import Settings
from models.secrets import unseal
from models.tables import Channel

log = logging.getLogger("salespad.channels")

UNSUBSCRIBE_PATH = "/u/{token}"


class ChannelConfigError(ValueError):
    pass


def _unsubscribe_template(settings: Settings) -> str:
    return settings.public_url.rstrip("/") + UNSUBSCRIBE_PATH


def _status_callback(settings: Settings) -> str:
    return settings.public_url.rstrip("/") + "/webhooks/twilio/status"


def from_row(row: Channel, settings: Settings) -> OutreachChannel:
    config: dict[str, Any] = unseal(row.config, settings.secret_key.get_secret_value())
    return from_config(row.provider, row.type, config, settings)


def from_config(
    provider: str, channel_type: str, config: dict[str, Any], settings: Settings
) -> OutreachChannel:
    """The adapter for a provider's configuration (secrets already unsealed): a channel row's,
    or a mailbox's own credentials with its address as the sender."""
    # Credentials kept in the database are secrets too: never in a log line.
    redact_also(*(str(config[k]) for k in ("api_key", "password", "auth_token") if config.get(k)))
    if provider == "sendgrid":
        return SendGridChannel(
            config["api_key"],
            config["from_email"],
            config.get("from_name"),
            config.get("api_host") or settings.sendgrid.api_host,
            _unsubscribe_template(settings),
        )
    if provider == "smtp":
        return SmtpChannel(
            config["host"],
            int(config.get("port", 587)),
            from_email=config["from_email"],
            from_name=config.get("from_name"),
            username=config.get("username"),
            password=config.get("password"),
            use_tls=bool(config.get("use_tls", False)),
            unsubscribe_url_template=_unsubscribe_template(settings),
        )
    if provider == "twilio":
        return TwilioChannel(
            config["account_sid"],
            config["auth_token"],
            config["from_number"],
            "whatsapp" if channel_type == "WHATSAPP" else "sms",
            base_url=config.get("base_url") or settings.twilio.base_url,
            status_callback=_status_callback(settings),
        )
    return OutboxChannel(channel_type)


def from_environment(settings: Settings) -> dict[str, OutreachChannel]:
    chosen: dict[str, OutreachChannel] = {}
    sg = settings.sendgrid
    if sg.api_key is not None:
        if not sg.from_email:
            raise ChannelConfigError("SENDGRID_API_KEY is set but SENDGRID_FROM_EMAIL is not")
        chosen["EMAIL"] = SendGridChannel(
            sg.api_key.get_secret_value(),
            sg.from_email,
            sg.from_name,
            sg.api_host,
            _unsubscribe_template(settings),
        )
    tw = settings.twilio
    if tw.account_sid or tw.auth_token:
        if not (tw.account_sid and tw.auth_token):
            raise ChannelConfigError("set both TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        if not (tw.sms_from or tw.whatsapp_from):
            raise ChannelConfigError(
                "Twilio credentials are set but neither TWILIO_SMS_FROM nor TWILIO_WHATSAPP_FROM"
            )
        for channel_type, sender in (("SMS", tw.sms_from), ("WHATSAPP", tw.whatsapp_from)):
            if sender:
                chosen[channel_type] = TwilioChannel(
                    tw.account_sid,
                    tw.auth_token.get_secret_value(),
                    sender,
                    "whatsapp" if channel_type == "WHATSAPP" else "sms",
                    base_url=tw.base_url,
                    status_callback=_status_callback(settings),
                )
    return chosen


def base_channels(settings: Settings) -> dict[str, OutreachChannel]:
    """What serves each type when no row configures it: the environment's provider, else the
    outbox."""
    chosen: dict[str, OutreachChannel] = {t: OutboxChannel(t) for t in CHANNEL_TYPES}
    chosen.update(from_environment(settings))
    return chosen


def configured_rows(rows: list[Channel]) -> dict[str, Channel]:
    """type -> the enabled row configured over the API that serves it (one per type: enabling
    one disables its siblings)."""
    chosen: dict[str, Channel] = {}
    for row in rows:
        if row.enabled and row.provider != "outbox" and row.config and row.type in CHANNEL_TYPES:
            chosen[row.type] = row
    return chosen


def build_channels(settings: Settings, rows: list[Channel]) -> ChannelRouter:
    chosen = base_channels(settings)
    for channel_type, row in configured_rows(rows).items():
        chosen[channel_type] = from_row(row, settings)
    for channel_type, channel in chosen.items():
        log.info("%s goes through %s", channel_type, channel.provider)
    return ChannelRouter(chosen)

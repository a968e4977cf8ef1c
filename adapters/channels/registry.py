"""Which adapter serves which channel type. A router is a fixed snapshot; the worker's follows
the channel configuration (services/channels/live.py), so a send takes `await current()` once
and uses that snapshot throughout."""

from __future__ import annotations

from collections.abc import Mapping

from adapters.channels.base import OutreachChannel
from adapters.channels.outbox import OutboxChannel

CHANNEL_TYPES = ("EMAIL", "WHATSAPP", "SMS")


class UnknownChannel(LookupError):
    pass


class ChannelRouter:
    def __init__(self, channels: Mapping[str, OutreachChannel]) -> None:
        self._channels = dict(channels)

    def for_type(self, channel_type: str) -> OutreachChannel:
        try:
            return self._channels[channel_type]
        except KeyError:
            raise UnknownChannel(f"no channel is configured for {channel_type}") from None

    def by_type(self) -> dict[str, OutreachChannel]:
        return dict(self._channels)

    async def current(self) -> ChannelRouter:
        """The snapshot to send through now: this one, as it never changes."""
        return self

    @classmethod
    def outbox(cls) -> ChannelRouter:
        return cls({t: OutboxChannel(t) for t in CHANNEL_TYPES})

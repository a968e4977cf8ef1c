"""Which adapter serves which channel type; built once by worker.py from settings."""

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

    @classmethod
    def outbox(cls) -> ChannelRouter:
        return cls({t: OutboxChannel(t) for t in CHANNEL_TYPES})

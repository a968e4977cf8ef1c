"""The dev default: records nothing itself (the send activity records every Message) and prints
what would have been sent. Nothing leaves the machine."""

from __future__ import annotations

import sys
import uuid
from typing import TextIO

from adapters.channels.base import OutboundContent, Recipient, SendResult


class OutboxChannel:
    provider = "outbox"

    def __init__(
        self, channel_type: str, stream: TextIO | None = None, sender: str | None = None
    ) -> None:
        self.channel_type = channel_type
        self._stream = stream
        self.sender = sender

    def with_sender(self, address: str, name: str | None) -> OutboxChannel:
        return OutboxChannel(self.channel_type, self._stream, address)

    def validate_recipient(self, lead: Recipient) -> bool:
        if self.channel_type == "EMAIL":
            return bool(lead.email)
        return bool(lead.phone)

    async def send(self, lead: Recipient, content: OutboundContent) -> SendResult:
        address = lead.email if self.channel_type == "EMAIL" else lead.phone
        subject = f" | {content.subject}" if content.subject else ""
        first_line = content.body.strip().splitlines()[0] if content.body.strip() else ""
        stream = self._stream or sys.stdout
        sender = f" from {self.sender}" if self.sender else ""
        print(
            f"[outbox] {self.channel_type} step {content.step}{sender} -> {lead.name} <{address}>"
            f"{subject} | {first_line[:80]}",
            file=stream,
            flush=True,
        )
        return SendResult(provider=self.provider, provider_message_id=f"outbox-{uuid.uuid4()}")

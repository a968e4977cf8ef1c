from adapters.channels.base import (
    ChannelError,
    OutboundContent,
    OutreachChannel,
    PermanentChannelError,
    Recipient,
    SendResult,
    TransientChannelError,
)

__all__ = [
    "ChannelError",
    "OutboundContent",
    "OutreachChannel",
    "PermanentChannelError",
    "Recipient",
    "SendResult",
    "TransientChannelError",
]

from adapters.channels.base import (
    ChannelError,
    OutboundContent,
    OutcomeUnknownChannelError,
    OutreachChannel,
    PermanentChannelError,
    Recipient,
    SendResult,
    TransientChannelError,
    WhatsAppTemplate,
)

__all__ = [
    "ChannelError",
    "OutboundContent",
    "OutcomeUnknownChannelError",
    "OutreachChannel",
    "PermanentChannelError",
    "Recipient",
    "SendResult",
    "TransientChannelError",
    "WhatsAppTemplate",
]

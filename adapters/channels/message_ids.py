"""Our Message-ID for a send, shared by the send step, both email channels and reply matching."""

from __future__ import annotations

import hashlib


def message_id_for(idempotency_key: str) -> str:
    """Our Message-ID for a send: derived from its idempotency key, so a retried send reuses it
    and a follow-up can name the email it replies to (In-Reply-To) without storing anything."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}@salespad>"

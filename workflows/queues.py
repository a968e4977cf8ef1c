"""Task queues per concern: sends by email, sends by SMS/WhatsApp, LLM calls, and the rest.

Each concern has its own queue so a provider's rate limit or a slow model never starves the
others: a worker polling a queue has that queue's own rate limit and concurrency
(worker.py). A workflow derives the queues from its own task queue (`workflow.info()`), so
the names are deterministic and need nothing in the workflow's input.
"""

from __future__ import annotations

from typing import Literal, get_args

Concern = Literal["main", "email", "messaging", "ai"]
# `main`: the workflows and the bookkeeping activities (our own database).
CONCERNS: tuple[Concern, ...] = get_args(Concern)


def queue_name(main_queue: str, concern: Concern) -> str:
    """`salespad` -> `salespad`, `salespad-email`, `salespad-messaging`, `salespad-ai`."""
    return main_queue if concern == "main" else f"{main_queue}-{concern}"


def send_concern(channel: str) -> Concern:
    """The queue of a send on `channel` (a Message step: its default channel's queue)."""
    return "email" if channel == "EMAIL" else "messaging"


def parse_concerns(text: str) -> tuple[Concern, ...]:
    """`main,email` -> ("main", "email"); raises ValueError naming the known ones."""
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in CONCERNS]
    if unknown or not names:
        raise ValueError(
            f"unknown queue {', '.join(unknown) or '(none given)'}; known: {', '.join(CONCERNS)}"
        )
    return tuple(c for c in CONCERNS if c in names)

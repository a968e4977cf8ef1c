"""The reply-classifier interface the activities use, and the errors an LLM adapter raises.

Like channels, LLM adapters never retry on their own: Temporal owns retries. A transient
failure (429, 5xx, timeout) carries the provider's Retry-After; a permanent one (400/401/403,
a refusal that retrying cannot change) does not get retried.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from adapters.llm.offline import OfflineClassifier
from adapters.llm.types import Intent, ReplyClassification, ReplyInput
from workflows import errors

# Below this confidence no path guesses: the reply becomes `other` and a human reads it.
MIN_CONFIDENCE = 0.6


class LLMError(Exception):
    error_type = errors.LLM_ERROR

    def __init__(self, message: str, *, error_type: str | None = None) -> None:
        super().__init__(message)
        if error_type:
            self.error_type = error_type


class TransientLLMError(LLMError):
    error_type = errors.TRANSIENT_LLM_ERROR

    def __init__(
        self, message: str, *, error_type: str | None = None, retry_after: timedelta | None = None
    ) -> None:
        super().__init__(message, error_type=error_type)
        self.retry_after = retry_after


class PermanentLLMError(LLMError):
    error_type = errors.PERMANENT_LLM_ERROR


class ReplyClassifier(Protocol):
    source: str

    async def classify(self, reply: ReplyInput) -> ReplyClassification: ...


def floor_confidence(result: ReplyClassification) -> ReplyClassification:
    """Low confidence from either path means `other`: never guess interested or unsubscribe."""
    if result.intent is Intent.OTHER or result.confidence >= MIN_CONFIDENCE:
        return result
    return result.model_copy(
        update={
            "intent": Intent.OTHER,
            "reason": f"low confidence ({result.confidence:.2f}) for {result.intent.value}: "
            f"{result.reason}",
        }
    )


class OfflineReplyClassifier:
    """The deterministic rules, behind the async interface."""

    source = "offline"

    def __init__(self) -> None:
        self._rules = OfflineClassifier()

    async def classify(self, reply: ReplyInput) -> ReplyClassification:
        return floor_confidence(self._rules.classify(reply))

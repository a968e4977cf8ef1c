"""Pick the LLM path from settings: OpenAI-compatible with OPENAI_API_KEY, offline without.

Whichever is chosen is logged with the reason, so "why did the offline rules answer?" has an
answer in the worker's and the API's start-up log.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from adapters.llm.base import OfflineReplyClassifier, ReplyClassifier
from adapters.llm.drafts import Drafter, OpenAIDrafter, TemplateDrafter
from adapters.llm.openai_client import OpenAIClassifier

if TYPE_CHECKING:
    from config.settings import Settings

log = logging.getLogger("salespad.llm")

OFFLINE_REASON = "offline: no OPENAI_API_KEY"


def openai_key(settings: Settings) -> str | None:
    key = settings.openai.api_key
    value = key.get_secret_value().strip() if key is not None else ""
    return value or None


def build_classifier(settings: Settings) -> ReplyClassifier:
    key = openai_key(settings)
    if key is None:
        log.info("reply classifier: %s (deterministic rules)", OFFLINE_REASON)
        return OfflineReplyClassifier()
    endpoint = settings.openai.base_url or "the OpenAI API"
    log.info("reply classifier: llm, model %s at %s", settings.llm_model, endpoint)
    return OpenAIClassifier(key, settings.openai.base_url, settings.llm_model)


def build_drafter(settings: Settings) -> Drafter:
    key = openai_key(settings)
    if key is None:
        log.info("message drafts: %s (rendered step templates)", OFFLINE_REASON)
        return TemplateDrafter()
    endpoint = settings.openai.base_url or "the OpenAI API"
    log.info("message drafts: llm, model %s at %s", settings.llm_model, endpoint)
    return OpenAIDrafter(key, settings.openai.base_url, settings.llm_model)

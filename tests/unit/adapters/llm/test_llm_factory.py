"""The factory that picks the LLM or the offline path from settings."""

from __future__ import annotations

import logging

import pytest

from adapters.llm.base import OfflineReplyClassifier
from adapters.llm.drafts import OpenAIDrafter, TemplateDrafter
from adapters.llm.factory import build_classifier, build_drafter
from adapters.llm.openai_client import OpenAIClassifier
from config.settings import OpenAISettings, Settings
from tests.fakes.openai import FakeOpenAI
from tests.unit.adapters.llm.test_openai_client import MODEL, reply, verdict


def settings_with(api_key: str | None, base_url: str | None = None) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        llm_model=MODEL,
        openai=OpenAISettings(api_key=api_key, base_url=base_url),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("key", [None, "", "  "])
def test_factory_without_key_is_offline_and_says_so(
    key: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="salespad.llm"):
        built = build_classifier(settings_with(key))

    assert isinstance(built, OfflineReplyClassifier)
    assert built.source == "offline"
    assert "offline: no OPENAI_API_KEY" in caplog.text


async def test_factory_with_key_uses_the_llm(
    fake_openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="salespad.llm"):
        built = build_classifier(settings_with(fake_openai.api_key, fake_openai.base_url))
    fake_openai.reply_json(verdict())

    result = await built.classify(reply())

    assert isinstance(built, OpenAIClassifier)
    assert result.source == "llm"
    assert fake_openai.last_call().model == MODEL
    assert f"llm, model {MODEL}" in caplog.text


def test_drafter_follows_the_same_rule(fake_openai: FakeOpenAI) -> None:
    assert isinstance(build_drafter(settings_with(None)), TemplateDrafter)
    built = build_drafter(settings_with(fake_openai.api_key, fake_openai.base_url))
    assert isinstance(built, OpenAIDrafter)
    assert built.model == MODEL

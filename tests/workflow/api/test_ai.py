"""POST /api/ai/classify on the real app: offline without a key, the LLM (a local fake) with one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from config.settings import OpenAISettings, Settings
from tests.conftest import make_settings
from tests.fakes.openai import FakeOpenAI

EVAL_PATH = Path(__file__).parents[2] / "unit" / "adapters" / "llm" / "eval_replies.jsonl"
EVAL = {
    row["id"]: row
    for row in map(json.loads, EVAL_PATH.read_text(encoding="utf-8").splitlines())
    if row
}
LLM = pytest.mark.parametrize("openai_key", ["sk-test-key"])


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key="sk-test-key") as server:
        yield server


@pytest.fixture
def openai_key() -> str | None:
    """No key unless a test parametrizes one (see LLM); explicit, so the env cannot leak in."""
    return None


@pytest.fixture
def settings(
    database_url: str, task_queue: str, openai_key: str | None, fake_openai: FakeOpenAI
) -> Settings:
    base = make_settings(database_url, task_queue)
    openai = OpenAISettings(api_key=openai_key, base_url=fake_openai.base_url)  # type: ignore[arg-type]
    return base.model_copy(update={"openai": openai, "llm_model": "gpt-test-mini"})


def payload(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("text", "subject", "headers", "sent_at", "timezone")
    return {k: row[k] for k in keys if row.get(k) is not None}


def verdict(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "reason": "'let's talk'",
        "intent": "interested",
        "confidence": 0.9,
        "return_date": None,
        "referral_name": None,
        "referral_email": None,
    }
    values.update(overrides)
    return values


# --- offline ----------------------------------------------------------------------------------


@pytest.mark.parametrize("row_id", ["en-int-1", "en-ooo-1", "en-ref-1", "de-unsub-1", "fr-ni-1"])
async def test_offline_without_a_key(
    api: httpx.AsyncClient, fake_openai: FakeOpenAI, row_id: str
) -> None:
    row = EVAL[row_id]

    res = await api.post("/api/ai/classify", json=payload(row))

    assert res.status_code == 200, res.text
    body = res.json()
    assert body["source"] == "offline"
    assert body["intent"] == row["expected"]
    assert body["return_date"] == row["return_date"]
    if row["referral_email"]:
        assert body["referral"]["email"] == row["referral_email"]
    assert body["reason"]
    assert fake_openai.calls() == []


async def test_classify_requires_the_api_key(api: httpx.AsyncClient) -> None:
    res = await api.post("/api/ai/classify", json={"text": "hi"}, headers={"Authorization": ""})
    assert res.status_code == 401


async def test_classify_validates_its_input(api: httpx.AsyncClient) -> None:
    res = await api.post("/api/ai/classify", json={"subject": "no text"})
    assert res.status_code == 422
    assert res.json()["detail"][0]["field"] == "text"


# --- with a key: the LLM path -----------------------------------------------------------------


@LLM
async def test_llm_with_a_key(api: httpx.AsyncClient, fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_json(
        verdict(intent="out_of_office", return_date="2026-03-14", reason="'until 13 March'")
    )

    res = await api.post("/api/ai/classify", json=payload(EVAL["en-ooo-1"]))

    assert res.status_code == 200, res.text
    body = res.json()
    audit = body.pop("audit")
    assert body == {
        "intent": "out_of_office",
        "confidence": 0.9,
        "return_date": "2026-03-14",
        "referral": None,
        "reason": "'until 13 March'",
        "source": "llm",
    }
    # What was asked and answered is kept for the audit log.
    assert audit["model"] == "gpt-test-mini"
    assert [m["role"] for m in audit["messages"]] == ["system", "user"]
    assert json.loads(audit["raw_output"])["intent"] == "out_of_office"
    call = fake_openai.last_call()
    assert call.model == "gpt-test-mini"
    assert json.loads(call.content_of("user"))["reply"].startswith("Thank you for your email.")


@LLM
async def test_llm_sees_the_last_outbound(api: httpx.AsyncClient, fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_json(verdict(reason="'yes' to our question"))

    res = await api.post(
        "/api/ai/classify", json={"text": "Yes", "last_outbound": "Worth a call on Tuesday?"}
    )

    assert res.status_code == 200
    sent = json.loads(fake_openai.last_call().content_of("user"))
    assert sent["our_last_message"] == "Worth a call on Tuesday?"


@LLM
async def test_rate_limit_is_503_with_retry_after(
    api: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    fake_openai.fail(429, "Rate limit reached", retry_after="12")

    res = await api.post("/api/ai/classify", json={"text": "Sounds good, let's talk."})

    assert res.status_code == 503
    assert res.headers["retry-after"] == "12"
    body = res.json()
    assert body["detail"] == {"type": "LLMRateLimited", "source": "llm", "retry_after": 12}
    assert "Rate limit reached" in body["error"]


@LLM
async def test_server_error_without_a_hint_still_says_when_to_retry(
    api: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    fake_openai.fail(500, "boom")

    res = await api.post("/api/ai/classify", json={"text": "Sounds good, let's talk."})

    assert res.status_code == 503
    assert int(res.headers["retry-after"]) > 0
    assert res.json()["detail"]["type"] == "LLMUnavailable"


@LLM
async def test_refusal_is_502_and_never_falls_back_to_offline(
    api: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    fake_openai.refuse("I can't help with that.")

    res = await api.post("/api/ai/classify", json={"text": "Please unsubscribe me."})

    assert res.status_code == 502
    body = res.json()
    assert body["detail"] == {"type": "LLMRefusal", "source": "llm"}
    assert "can't help" in body["error"]


async def test_offline_api_matches_the_bench_per_intent_on_the_whole_eval_set(
    api: httpx.AsyncClient,
) -> None:
    """The endpoint is the same classifier the bench measures: same answer for every row."""
    from collections import Counter

    from adapters.llm.offline import OfflineClassifier
    from adapters.llm.types import ReplyInput

    rules = OfflineClassifier()
    api_right: Counter[str] = Counter()
    bench_right: Counter[str] = Counter()
    for row in EVAL.values():
        optional = ("subject", "headers", "sent_at", "timezone", "last_outbound")
        body = {"text": row["text"], **{k: row[k] for k in optional if row.get(k)}}
        res = await api.post("/api/ai/classify", json=body)
        assert res.status_code == 200, (row["id"], res.text)
        assert res.json()["source"] == "offline"
        api_right[row["expected"]] += res.json()["intent"] == row["expected"]
        bench = rules.classify(ReplyInput.model_validate(row))
        bench_right[row["expected"]] += bench.intent == row["expected"]
    assert api_right == bench_right
    assert sum(api_right.values()) >= 0.95 * len(EVAL)

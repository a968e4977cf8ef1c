"""Subscription input rules (the API's 422s are tested in tests/service/webhooks_out)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.webhooks_out.events import EVENT_NAMES, PUBLIC_EVENTS, public_name
from services.webhooks_out.schemas import SubscriptionCreate, SubscriptionUpdate


def test_public_names_are_the_documented_ones() -> None:
    assert EVENT_NAMES == (
        "lead.bounced",
        "lead.dead_lettered",
        "lead.status_changed",
        "lead.unsubscribed",
        "message.sent",
        "owner.notified",
        "reply.received",
    )
    assert public_name("SMS_SENT") == "message.sent"
    assert public_name("LEAD_CREATED") is None and public_name("NOT_AN_EVENT") is None
    assert len(PUBLIC_EVENTS) == 9


@pytest.mark.parametrize(
    "url",
    ["https://crm.example.com/h", "http://127.0.0.1:8080/hooks?x=1", "HTTPS://Example.com"],
)
def test_http_and_https_urls_are_accepted(url: str) -> None:
    assert SubscriptionCreate(url=url, events=["*"]).url == url


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/h",
        "javascript:alert(1)",
        "https://",
        "https://exa mple.com/",
        "https://example.com:99999/",
        "/relative/path",
        "https://example.com/\x00",
    ],
)
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(ValidationError) as err:
        SubscriptionCreate(url=url, events=["*"])
    assert [e["loc"] for e in err.value.errors()] == [("url",)]


def test_events_are_deduplicated_in_order() -> None:
    body = SubscriptionCreate(url="https://x.example", events=["message.sent", "*", "message.sent"])
    assert body.events == ["message.sent", "*"]


def test_a_secret_that_looks_sealed_is_refused() -> None:
    with pytest.raises(ValidationError, match="must not start with"):
        SubscriptionCreate(url="https://x.example", events=["*"], secret="enc:v1:" + "a" * 20)


def test_an_update_changes_only_what_is_sent() -> None:
    assert SubscriptionUpdate().model_fields_set == set()
    with pytest.raises(ValidationError):
        SubscriptionUpdate(events=[])

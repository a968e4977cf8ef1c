"""Leads over REST, against the real app and database."""

from __future__ import annotations

import httpx

from tests.conftest import API_KEY


async def test_api_requires_the_bearer_key(api: httpx.AsyncClient) -> None:
    missing = await api.get("/api/leads", headers={"Authorization": ""})
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "missing API key" in missing.json()["error"]
    wrong = await api.get("/api/leads", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    ok = await api.get("/api/leads", headers={"Authorization": f"Bearer {API_KEY}"})
    assert ok.status_code == 200


async def test_create_lead_then_upsert_by_email_case_insensitively(api: httpx.AsyncClient) -> None:
    created = await api.post(
        "/api/leads",
        json={"name": "Ada Lovelace", "email": "Ada@Example.com", "timezone": "Europe/London"},
    )
    assert created.status_code == 201, created.text
    lead = created.json()
    assert lead["email"] == "ada@example.com"
    assert lead["status"] == "NEW"

    updated = await api.post(
        "/api/leads", json={"name": "Ada King", "email": "ADA@example.com", "company": "AE"}
    )
    assert updated.status_code == 200
    assert updated.json()["id"] == lead["id"]
    assert updated.json()["name"] == "Ada King"
    assert updated.json()["timezone"] == "Europe/London"  # not overwritten by omission

    listing = (await api.get("/api/leads")).json()
    assert listing["total"] == 1


async def test_upsert_by_phone_when_there_is_no_email(api: httpx.AsyncClient) -> None:
    first = await api.post("/api/leads", json={"name": "Bo", "phone": "+44 20 7946 0958"})
    assert first.status_code == 201, first.text
    assert first.json()["phone"] == "+442079460958"
    again = await api.post("/api/leads", json={"name": "Bo B", "phone": "+442079460958"})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]


async def test_invalid_lead_names_the_field(api: httpx.AsyncClient) -> None:
    res = await api.post("/api/leads", json={"name": "X", "email": "not-an-email"})
    assert res.status_code == 422
    assert res.json()["error"] == "invalid lead"
    assert [e["field"] for e in res.json()["detail"]] == ["email"]

    res = await api.post("/api/leads", json={"name": "X", "timezone": "Mars/Olympus"})
    assert res.status_code == 422
    messages = " ".join(e["message"] for e in res.json()["detail"])
    assert "Mars/Olympus" in messages

    res = await api.post("/api/leads", json={"name": "No contact"})
    assert res.status_code == 422
    assert "email or a phone" in res.text


async def test_batch_keeps_good_rows_and_names_bad_ones(api: httpx.AsyncClient) -> None:
    res = await api.post(
        "/api/leads",
        json=[
            {"name": "Good One", "email": "one@example.com"},
            {"name": "Bad Phone", "phone": "12345"},
            "not an object",
            {"name": "Good Two", "email": "two@example.com"},
        ],
    )
    assert res.status_code == 200, res.text
    body = res.json()
    assert sorted(lead["email"] for lead in body["created"]) == [
        "one@example.com",
        "two@example.com",
    ]
    assert [r["row"] for r in body["rejected"]] == [1, 2]
    assert body["rejected"][0]["errors"][0]["field"] == "phone"
    assert "E.164" in body["rejected"][0]["errors"][0]["message"]
    assert (await api.get("/api/leads")).json()["total"] == 2


async def test_unknown_lead_is_404_with_the_error_shape(api: httpx.AsyncClient) -> None:
    res = await api.get("/api/leads/00000000-0000-0000-0000-000000000000")
    assert res.status_code == 404
    assert set(res.json()) == {"error", "detail"}


async def test_metadata_is_bounded_in_the_api(api: httpx.AsyncClient) -> None:
    big = {"name": "A", "email": "big@example.com", "metadata": {"notes": "x" * 40_000}}
    res = await api.post("/api/leads", json=big)
    assert res.status_code == 422
    [error] = res.json()["detail"]
    assert error["field"] == "metadata"
    assert "at most 32,768" in error["message"]
    ok = {"name": "A", "email": "ok@example.com", "metadata": {"notes": "x" * 30_000}}
    assert (await api.post("/api/leads", json=ok)).status_code == 201

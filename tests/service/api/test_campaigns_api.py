"""POST /api/campaigns and .../leads over REST with the recording gateway: 202 at once,
Idempotency-Key, the 422s, selection by filter, adding leads as a new batch."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from models.db import Database
from sequences import REGISTRY
from tests.fakes.gateway import RecordingGateway
from tests.helpers import add_lead, api_lead
from workflows.campaign_contracts import enroll_workflow_id


async def _post(api: httpx.AsyncClient, body: dict[str, Any], **headers: str) -> httpx.Response:
    return await api.post("/api/campaigns", json={"name": "c", "sequence": "demo", **body},
                          headers=headers)  # fmt: skip


async def test_the_request_returns_202_at_once_and_enrolls_in_the_background(
    api: httpx.AsyncClient, gateway: RecordingGateway, clean_db: Database
) -> None:
    ids = [await api_lead(api, f"l{n}@example.com") for n in range(3)]
    res = await _post(api, {"lead_ids": ids})

    assert res.status_code == 202, res.text
    body = res.json()
    assert res.headers["Location"] == f"/api/campaigns/{body['id']}"
    assert {k: body[k] for k in ("name", "sequence", "status", "selected", "enrolled")} == {
        "name": "c",
        "sequence": "demo",
        "status": "enrolling",
        "selected": 3,
        "enrolled": 0,
    }
    assert body["sequence_version"]
    assert gateway.started == []  # nothing enrolled inside the request
    [enrolling] = gateway.enrollments
    assert enroll_workflow_id(enrolling.campaign_id, enrolling.batch) == f"enroll-{body['id']}"

    await gateway.enroll_pending(clean_db)
    done = (await api.get(f"/api/campaigns/{body['id']}")).json()
    assert (done["status"], done["enrolled"], done["skipped"]) == ("enrolled", 3, 0)
    assert done["enrolling_finished_at"] is not None
    assert done["enrollments"] == {"active": 3}


async def test_the_same_idempotency_key_returns_the_same_campaign(
    api: httpx.AsyncClient, gateway: RecordingGateway
) -> None:
    lead_id = await api_lead(api)
    first = await _post(api, {"lead_ids": [lead_id]}, **{"Idempotency-Key": "k-1"})
    again = await _post(api, {"lead_ids": [lead_id]}, **{"Idempotency-Key": "k-1"})

    assert (first.status_code, again.status_code) == (202, 202), again.text
    assert again.json()["id"] == first.json()["id"]
    assert len(gateway.enrollments) == 1
    assert len((await api.get("/api/campaigns")).json()) == 1

    other = await _post(api, {"name": "d", "lead_ids": [lead_id]}, **{"Idempotency-Key": "k-1"})
    assert other.status_code == 409, other.text
    assert other.json()["detail"][0]["field"] == "Idempotency-Key"
    assert len(gateway.enrollments) == 1

    fresh = await _post(api, {"lead_ids": [lead_id]}, **{"Idempotency-Key": "k-2"})
    assert fresh.status_code == 202
    assert fresh.json()["id"] != first.json()["id"]


async def test_selection_and_sequence_errors_name_the_field(
    api: httpx.AsyncClient, gateway: RecordingGateway
) -> None:
    lead_id = await api_lead(api)

    async def fields(body: dict[str, Any]) -> list[str]:
        res = await _post(api, body)
        assert res.status_code == 422, res.text
        return [d["field"] for d in res.json()["detail"]]

    assert await fields({}) == ["lead_ids"]
    assert await fields({"lead_ids": [lead_id], "import_id": "imp-1"}) == ["import_id"]
    assert await fields({"lead_ids": [lead_id], "filter": {"owner": "ada"}}) == ["filter"]
    assert await fields({"filter": {}}) == ["filter"]
    res = await _post(api, {"import_id": "imp-1"})
    assert res.status_code == 422
    assert res.json()["error"] == "import imp-1 not found"
    assert res.json()["detail"][0]["field"] == "import_id"
    res = await _post(api, {"sequence": "nope", "lead_ids": [lead_id]})
    assert res.status_code == 422
    # The headline names the known sequences too, and why a new one may not be among them.
    assert res.json()["error"] == f"unknown sequence 'nope'; known: {', '.join(sorted(REGISTRY))}"
    assert res.json()["detail"][0]["field"] == "sequence"
    assert "restarted" in res.json()["detail"][0]["message"]
    assert "demo" in res.json()["detail"][0]["message"]
    assert gateway.enrollments == []


async def test_a_filter_selects_by_metadata_status_and_owner(
    api: httpx.AsyncClient, gateway: RecordingGateway, clean_db: Database
) -> None:
    wanted = [
        await add_lead(clean_db, owner="ada", meta={"segment": "smb", "size": 10}) for _ in range(2)
    ]
    await add_lead(clean_db, owner="ada", meta={"segment": "ent"})
    await add_lead(clean_db, owner="bob", meta={"segment": "smb"})
    await add_lead(clean_db, owner="ada", meta={"segment": "smb"}, status="REPLIED")

    res = await _post(
        api, {"filter": {"owner": "ada", "status": "new", "metadata": {"segment": "smb"}}}
    )
    assert res.status_code == 202, res.text
    assert res.json()["selected"] == 2
    await gateway.enroll_pending(clean_db)

    assert sorted(s.input.lead_id for s in gateway.started) == sorted(str(w.id) for w in wanted)
    done = (await api.get(f"/api/campaigns/{res.json()['id']}")).json()
    assert (done["enrolled"], done["skipped"]) == (2, 0)
    assert done["selector"]["filter"]["metadata"] == {"segment": "smb"}


async def test_a_campaign_from_an_import_enrolls_every_lead_the_file_names(
    api: httpx.AsyncClient, gateway: RecordingGateway, clean_db: Database
) -> None:
    known = await api_lead(api, "ada@example.com")  # already there: named, not created
    csv = "Email,Name\nada@example.com,Ada Lovelace\ngrace@example.com,Grace\nbad@,Nope\n"
    imported = await api.post(
        "/api/imports", files={"file": ("leads.csv", csv.encode(), "text/csv")}
    )
    assert imported.status_code == 201, imported.text
    import_id = imported.json()["id"]

    res = await _post(api, {"import_id": import_id})
    assert res.status_code == 202, res.text
    assert res.json()["selected"] == 2
    await gateway.enroll_pending(clean_db)

    started = {s.input.lead_id: s.lead_email for s in gateway.started}
    assert sorted(started.values()) == ["ada@example.com", "grace@example.com"]
    assert known in started
    done = (await api.get(f"/api/campaigns/{res.json()['id']}")).json()
    assert (done["enrolled"], done["skipped"]) == (2, 0)


async def test_adding_leads_runs_a_new_batch_of_the_same_campaign(
    api: httpx.AsyncClient, gateway: RecordingGateway, clean_db: Database
) -> None:
    ada = await api_lead(api, "ada@example.com")
    grace = await api_lead(api, "grace@example.com")
    campaign_id = (await _post(api, {"lead_ids": [ada]})).json()["id"]
    await gateway.enroll_pending(clean_db)

    added = await api.post(f"/api/campaigns/{campaign_id}/leads", json={"lead_ids": [grace, ada]})
    assert added.status_code == 202, added.text
    assert added.json()["status"] == "enrolling"
    assert added.json()["selected"] == 3
    assert added.headers["Location"] == f"/api/campaigns/{campaign_id}"
    batch = gateway.enrollments[-1]
    assert enroll_workflow_id(batch.campaign_id, batch.batch) == f"enroll-{campaign_id}-1"

    await gateway.enroll_pending(clean_db)
    done = (await api.get(f"/api/campaigns/{campaign_id}")).json()
    assert (done["status"], done["enrolled"], done["skipped"]) == ("enrolled", 2, 1)
    assert [(s["lead_id"], s["reason"]) for s in done["skipped_leads"]] == [
        (ada, "already in campaign")
    ]
    assert sorted(s.input.lead_id for s in gateway.started) == sorted([ada, grace])

    missing = await api.post(f"/api/campaigns/{uuid.uuid4()}/leads", json={"lead_ids": [ada]})
    assert missing.status_code == 404
    none = await api.post(f"/api/campaigns/{campaign_id}/leads", json={})
    assert none.status_code == 422
    assert none.json()["detail"][0]["field"] == "lead_ids"

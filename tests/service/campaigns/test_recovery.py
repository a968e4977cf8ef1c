"""A campaign whose enrollment start was lost after its commit is started by the sweep."""

from __future__ import annotations

import httpx
import pytest
from temporalio.client import Client

from config.settings import Settings
from models.db import Database
from services.campaigns.recovery import restart_stranded
from tests.conftest import _api
from tests.fakes.gateway import RecordingGateway
from tests.helpers import api_lead, enrolled_campaign
from workflows.campaign_contracts import EnrollCampaignInput

pytestmark = pytest.mark.service


class StartsFail(RecordingGateway):
    """Temporal answers the connection check, then is gone when the start is sent."""

    async def start_enrollment(self, inp: EnrollCampaignInput) -> bool:
        raise ConnectionError("Temporal went away")


async def test_a_lost_start_is_accepted_and_the_sweep_starts_it_once(
    api: httpx.AsyncClient,
    gateway: RecordingGateway,
    clean_db: Database,
    settings: Settings,
    no_temporal: Client,
) -> None:
    leads = [await api_lead(api, f"r{i}@example.com") for i in range(3)]
    failing = StartsFail()
    async for lossy in _api(settings, clean_db, no_temporal, failing):
        res = await lossy.post(
            "/api/campaigns", json={"name": "lost", "sequence": "demo", "lead_ids": leads[:2]}
        )
        assert res.status_code == 202, res.text  # recorded: nothing the client must resend
        campaign_id = res.json()["id"]
        more = await lossy.post(f"/api/campaigns/{campaign_id}/leads", json={"lead_ids": leads[2:]})
        assert more.status_code == 202, more.text
    assert failing.enrollments == []

    assert await restart_stranded(clean_db, gateway) == 2  # batch 0 and the added batch 1
    assert sorted(e.batch for e in gateway.enrollments) == [0, 1]
    assert await restart_stranded(clean_db, gateway) == 0  # never twice
    await gateway.enroll_pending(clean_db)
    body = await enrolled_campaign(api, campaign_id, within=5)
    assert (body["selected"], body["enrolled"]) == (3, 3)

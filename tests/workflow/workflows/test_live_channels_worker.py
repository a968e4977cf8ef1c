"""A running worker starts sending through a channel configured while it runs: no restart."""

from __future__ import annotations

import asyncio

from temporalio.testing import WorkflowEnvironment

from config.settings import Settings
from models.db import Database
from sequences import Email, Sequence
from services.channels import service
from services.channels.live import LiveChannels
from services.channels.schemas import ChannelConfig
from tests.fakes.sendgrid import FakeSendGrid
from tests.helpers import add_lead, outbound, run_to_end, start_spec
from worker import build_worker

ONE_EMAIL = Sequence("one-email", Email("hello", subject="Hi", body="Hello")).compile()


async def test_a_running_worker_sends_through_sendgrid_once_it_is_configured(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str, settings: Settings
) -> None:
    channels = await LiveChannels.load(settings, clean_db)  # as worker.py builds them
    worker = build_worker(ts_env.client, clean_db, task_queue, channels)
    with FakeSendGrid() as sendgrid:
        async with worker:
            before = await add_lead(clean_db)
            [handle] = await start_spec(ts_env.client, clean_db, task_queue, ONE_EMAIL, [before.id])
            assert (await run_to_end(ts_env, handle)).outcome == "completed"
            assert sendgrid.mail_sends() == []

            async with clean_db.session() as session:
                await service.configure_channel(
                    session,
                    ChannelConfig.model_validate(
                        {
                            "type": "EMAIL",
                            "provider": "sendgrid",
                            "config": {
                                "api_key": "SG.test-key",
                                "from_email": "ada@salespad.example",
                                "api_host": sendgrid.url,
                            },
                        }
                    ),
                    settings.secret_key.get_secret_value(),
                )
            await asyncio.sleep(settings.config_refresh_seconds + 0.2)

            after = await add_lead(clean_db)
            [handle] = await start_spec(ts_env.client, clean_db, task_queue, ONE_EMAIL, [after.id])
            assert (await run_to_end(ts_env, handle)).outcome == "completed"

    [mail] = sendgrid.mail_sends()
    assert mail.json["personalizations"][0]["to"][0]["email"] == after.email
    [first] = await outbound(clean_db, before.id)
    [second] = await outbound(clean_db, after.id)
    assert first.channel_id != second.channel_id  # the outbox row, then the sendgrid row

"""cold-outbound through the real SendGrid and Twilio SDKs, speaking HTTP to local fakes."""

from __future__ import annotations

from datetime import timedelta

from pydantic import SecretStr
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from adapters.channels.email import message_id_for
from config.settings import SendGridSettings, Settings, TwilioSettings
from models.db import Database
from models.enums import TaskStatus
from models.tables import Suppression, Task
from sequences import REGISTRY, SMS, Sequence
from services.channels.tokens import make_unsubscribe_token
from services.channels.wiring import build_channels
from services.gateway import LeadWorkflows
from services.tasks.service import answer_task
from tests.fakes.sendgrid import FakeSendGrid
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from tests.helpers import add_lead, count_events, lead_row, outbound, run_to_end, start_spec
from worker import build_worker


async def test_cold_outbound_sends_email_through_sendgrid_and_whatsapp_through_twilio(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str, settings: Settings
) -> None:
    with FakeSendGrid() as sendgrid, FakeTwilio() as twilio:
        configured = settings.model_copy(
            update={
                "sendgrid": SendGridSettings(
                    api_key=SecretStr("SG.test-key"),
                    from_email="ada@salespad.example",
                    api_host=sendgrid.url,
                ),
                "twilio": TwilioSettings(
                    account_sid=ACCOUNT_SID,
                    auth_token=SecretStr(AUTH_TOKEN),
                    whatsapp_from="+14155550100",
                    base_url=twilio.url,
                ),
                "public_url": "https://salespad.example",
            }
        )
        channels = build_channels(configured, [])
        assert channels.for_type("EMAIL").provider == "sendgrid"
        assert channels.for_type("WHATSAPP").provider == "twilio"
        lead = await add_lead(
            clean_db, name="Grace Hopper", phone="+14155550123", email="grace@example.com"
        )
        spec = REGISTRY["cold-outbound"].compile()

        async def client():  # type: ignore[no-untyped-def]
            return ts_env.client

        worker = build_worker(
            ts_env.client, clean_db, task_queue, channels, unsubscribe_secret="s" * 32
        )
        async with worker:
            [handle] = await start_spec(ts_env.client, clean_db, task_queue, spec, [lead.id])
            for _ in range(200):  # the LinkedIn task after the WhatsApp: a human does it
                async with clean_db.session() as session:
                    task = (
                        await session.exec(select(Task).where(Task.status == TaskStatus.OPEN))
                    ).first()
                    if task is not None:
                        await answer_task(
                            session, LeadWorkflows(client, task_queue), task.id, "done", "connected"
                        )
                        break
                await ts_env.sleep(timedelta(hours=6))
            result = await run_to_end(ts_env, handle)

    assert result.outcome == "completed"
    mails = [r.json for r in sendgrid.mail_sends()]
    assert len(mails) == 3  # intro, bump, breakup
    intro, bump, _ = mails
    assert intro["personalizations"][0]["to"][0]["email"] == "grace@example.com"
    assert intro["personalizations"][0]["custom_args"]["lead_id"] == str(lead.id)
    [first] = [m for m in await outbound(clean_db, lead.id) if m.step == 1]
    assert first.idempotency_key is not None
    assert bump["headers"]["In-Reply-To"] == message_id_for(first.idempotency_key)
    token = make_unsubscribe_token("s" * 32, lead.id)
    assert intro["headers"]["List-Unsubscribe"] == f"<https://salespad.example/u/{token}>"
    assert intro["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [whatsapp] = twilio.message_creates()
    assert whatsapp.form_value("To") == "whatsapp:+14155550123"
    assert whatsapp.form_value("From") == "whatsapp:+14155550100"
    assert "Grace" in (whatsapp.form_value("Body") or "")
    providers = {m.step: m.provider_message_id for m in await outbound(clean_db, lead.id)}
    assert providers[6] is not None and providers[6].startswith("SM")


async def test_twilio_21610_suppresses_the_number_instead_of_dead_lettering(
    ts_env: WorkflowEnvironment, clean_db: Database, task_queue: str, settings: Settings
) -> None:
    sms_only = Sequence("sms-only", SMS("hello", body="Hi {{ lead.first_name }}")).compile()
    with FakeTwilio() as twilio:
        twilio.fail_next(21610, "Attempt to send to unsubscribed recipient")
        configured = settings.model_copy(
            update={
                "twilio": TwilioSettings(
                    account_sid=ACCOUNT_SID,
                    auth_token=SecretStr(AUTH_TOKEN),
                    sms_from="+14155550100",
                    base_url=twilio.url,
                )
            }
        )
        lead = await add_lead(clean_db, phone="+14155550199")
        async with build_worker(
            ts_env.client, clean_db, task_queue, build_channels(configured, [])
        ):
            [handle] = await start_spec(ts_env.client, clean_db, task_queue, sms_only, [lead.id])
            result = await run_to_end(ts_env, handle)

    assert result.outcome == "skipped"
    assert result.reason == "recipient opted out"
    assert (await lead_row(clean_db, lead.id)).status == "UNSUBSCRIBED"
    async with clean_db.session() as session:
        [suppression] = (await session.exec(select(Suppression))).all()
    assert suppression.phone == "+14155550199"
    assert await count_events(clean_db, lead.id, "DEAD_LETTERED") == 0

"""`salespad simulate`: a multi-week sequence in seconds, with the timeline in the lead's zone."""

from __future__ import annotations

import re
from datetime import timedelta

from typer.testing import CliRunner

from salespad.cli import app
from salespad.simulate import Simulation, render_timeline, simulate, simulated_lead
from sequences import REGISTRY


async def test_simulating_cold_outbound_with_an_out_of_office_reply() -> None:
    spec = REGISTRY["cold-outbound"].compile()
    sim = Simulation(
        spec=spec,
        lead=simulated_lead(timezone="America/New_York"),
        replies={3: "I'm out of the office and back on 15 December."},
    )
    run = await simulate(sim)
    rows, result = run.rows, run.result
    text = render_timeline(rows, "America/New_York", result)

    assert result.outcome == "completed"
    assert result.sends == 3  # intro, bump, breakup: no phone, so no WhatsApp
    labels = [r.text.strip() for r in rows]
    assert any(label.startswith("step 1") for label in labels)
    assert "reply classified: out_of_office" in labels
    paused = next(r for r in rows if r.text.strip().startswith("paused"))
    resumed = next(r for r in rows if r.text.strip() == "resumed")
    assert resumed.at - paused.at > timedelta(days=1)
    breakup = next(r for r in rows if r.text.strip().startswith("step 10"))
    assert breakup.at > resumed.at
    assert " EST " in text
    assert re.search(r"^outcome: completed, 3 sends over \d+\.\d days$", text, re.MULTILINE)


def test_simulate_rejects_bad_arguments_clearly() -> None:
    runner = CliRunner()
    unknown = runner.invoke(app, ["simulate", "nope"])
    assert unknown.exit_code == 2
    assert "unknown sequence 'nope'" in unknown.output
    bad = runner.invoke(app, ["simulate", "demo", "--reply", "first:hello"])
    assert bad.exit_code == 2
    assert "--reply wants STEP:TEXT" in bad.output


async def test_simulate_names_the_channel_each_send_used() -> None:
    sim = Simulation(
        spec=REGISTRY["multichannel"].compile(),
        lead=simulated_lead(phone="+4915112345678", preferred_channel="WHATSAPP"),
    )
    run = await simulate(sim)
    rows, result = run.rows, run.result
    text = render_timeline(rows, "UTC", result)

    assert result.outcome == "completed"
    sends = [r.text.split()[:3] for r in rows if r.text.startswith("step")]
    assert sends == [["step", "1", "WHATSAPP"], ["step", "3", "WHATSAPP"], ["step", "5", "EMAIL"]]
    assert "WHATSAPP  Hi Ada, would a 15-minute call next week be useful?" in text


def test_simulate_rejects_an_unknown_preferred_channel() -> None:
    bad = CliRunner().invoke(app, ["simulate", "multichannel", "--preferred-channel", "fax"])
    assert bad.exit_code == 2
    assert "invalid lead: preferred_channel" in bad.output

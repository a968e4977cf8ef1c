"""Campaign funnels (per step, channel and A/B arm) and the overview, from the event log."""

from __future__ import annotations

import csv
import io
import math
import uuid
from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import Campaign, utcnow
from services.analytics import queries
from services.analytics.metrics import ALL, ARM, CHANNEL, INTENT_PREFIX, STAGES, STEP
from services.analytics.schemas import (
    ArmFigures,
    CampaignFunnel,
    CampaignOverview,
    ChannelFigures,
    Figures,
    Overview,
    StepFigures,
)
from services.errors import NotFound

Counts = dict[str, tuple[int, int]]  # metric -> (events, leads)


def figures(counts: Counts) -> dict[str, Any]:
    """The Figures fields from one scope's counters."""

    def leads(metric: str) -> int:
        return counts.get(metric, (0, 0))[1]

    def events(metric: str) -> int:
        return counts.get(metric, (0, 0))[0]

    sent = leads("sent")
    return {
        **{stage: leads(stage) for stage in STAGES},
        "replies_by_intent": {
            metric.removeprefix(INTENT_PREFIX): n
            for metric, (_, n) in sorted(counts.items())
            if metric.startswith(INTENT_PREFIX)
        },
        "messages_sent": events("sent"),
        "opens": events("opened"),
        "clicks": events("clicked"),
        "reply_rate": round(leads("replied") / sent, 4) if sent else None,
        "positive_rate": round(leads("positive") / sent, 4) if sent else None,
    }


async def campaign_funnel(session: AsyncSession, campaign_id: uuid.UUID) -> CampaignFunnel:
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} not found")
    await queries.compact(session, campaign_id)
    scoped: dict[tuple[str, str], Counts] = defaultdict(dict)
    for scope, value, metric, events, leads in await queries.counters(session, campaign_id):
        scoped[(scope, value)][metric] = (events, leads)
    steps = _spec_steps(campaign.spec)
    return CampaignFunnel(
        campaign_id=campaign.id,
        name=campaign.name,
        overall=Figures(**figures(scoped.get((ALL, ""), {}))),
        median_time_to_first_reply_seconds=await queries.median_first_reply_seconds(
            session, campaign_id
        ),
        steps=[
            StepFigures(step=no, **steps.get(no, {}), **figures(counts))
            for (scope, value), counts in sorted(scoped.items(), key=_step_order)
            if scope == STEP and (no := int(value)) >= 0
        ],
        channels=[
            ChannelFigures(channel=value, **figures(counts))
            for (scope, value), counts in sorted(scoped.items())
            if scope == CHANNEL
        ],
        arms=_arms(
            {value: counts for (scope, value), counts in scoped.items() if scope == ARM},
            _variant_order(campaign.spec),
        ),
    )


def _step_order(item: tuple[tuple[str, str], Counts]) -> tuple[str, int]:
    (scope, value), _ = item
    return (scope, int(value) if scope == STEP else 0)


def _spec_steps(spec: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """The sequence's steps by number: from 1, as the engine numbers them in its events."""
    return {
        no: {"step_id": step.get("id"), "kind": step.get("kind")}
        for no, step in enumerate(spec.get("steps", []), start=1)
        if isinstance(step, dict)
    }


def _variant_order(spec: dict[str, Any]) -> list[str]:
    """Arm names in the order the sequence declares them (the first is the control)."""
    names: list[str] = []
    for step in spec.get("steps", []):
        for variant in step.get("variants", []) if isinstance(step, dict) else []:
            if variant.get("name") not in names:
                names.append(variant["name"])
    return names


def _arms(by_arm: dict[str, Counts], declared: list[str]) -> list[ArmFigures]:
    order = [a for a in declared if a in by_arm] + sorted(a for a in by_arm if a not in declared)
    if not order:
        return []
    control = by_arm[order[0]]
    out = []
    for name in order:
        counts = by_arm[name]
        z, p = (None, None) if name == order[0] else two_proportion_test(control, counts)
        out.append(
            ArmFigures(
                arm=name,
                control=name == order[0],
                z=z,
                p_value=p,
                significant=None if p is None else p < 0.05,
                **figures(counts),
            )
        )
    return out


def two_proportion_test(a: Counts, b: Counts) -> tuple[float | None, float | None]:
    """Reply rates of two arms (replied / sent leads): z and the two-sided p-value under the
    pooled normal approximation; None when either arm has no sends or nobody/everybody
    replied in both (no variance to test)."""
    n1, n2 = a.get("sent", (0, 0))[1], b.get("sent", (0, 0))[1]
    x1, x2 = a.get("replied", (0, 0))[1], b.get("replied", (0, 0))[1]
    if n1 == 0 or n2 == 0:
        return None, None
    pooled = (x1 + x2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance <= 0:
        return None, None
    z = (x2 / n2 - x1 / n1) / math.sqrt(variance)
    return round(z, 4), round(math.erfc(abs(z) / math.sqrt(2)), 6)


async def overview(session: AsyncSession, days: int) -> Overview:
    since = utcnow() - timedelta(days=days)
    totals: Counts = {}
    per_campaign: dict[uuid.UUID, Counts] = defaultdict(dict)
    for campaign_id, metric, events, leads in await queries.window(session, since):
        (totals if campaign_id is None else per_campaign[campaign_id])[metric] = (events, leads)
    names: dict[uuid.UUID, str] = {}
    if per_campaign:
        rows = await session.exec(
            select(Campaign.id, Campaign.name).where(Campaign.id.in_(per_campaign))  # type: ignore[attr-defined]
        )
        names = dict(rows.all())
    campaigns = sorted(
        (
            CampaignOverview(campaign_id=c, name=names.get(c, ""), figures=Figures(**figures(n)))
            for c, n in per_campaign.items()
        ),
        key=lambda c: (-c.figures.sent, c.name),
    )
    return Overview(days=days, since=since, totals=Figures(**figures(totals)), campaigns=campaigns)


CSV_FIELDS = (
    "scope",
    "value",
    *STAGES,
    "messages_sent",
    "opens",
    "clicks",
    "reply_rate",
    "positive_rate",
)


def funnel_csv(funnel: CampaignFunnel) -> str:
    """One row per scope: the campaign, each step, channel and arm."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    rows: list[tuple[str, str, Figures]] = [("campaign", str(funnel.campaign_id), funnel.overall)]
    rows += [("step", f"{s.step}:{s.step_id or ''}", s) for s in funnel.steps]
    rows += [("channel", c.channel, c) for c in funnel.channels]
    rows += [("arm", a.arm, a) for a in funnel.arms]
    for scope, value, fig in rows:
        data = fig.model_dump()
        writer.writerow([scope, value, *(_cell(data[f]) for f in CSV_FIELDS[2:])])
    return out.getvalue()


def _cell(value: Any) -> str:
    return "" if value is None else str(value)

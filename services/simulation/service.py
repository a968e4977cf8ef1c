"""Check a simulation request, run it (one at a time, bounded in time) and report its timeline.

The engine itself (throwaway PostgreSQL, Temporal's time-skipping server, a worker) lives in the
composition root (`salespad.simulate`); the API receives it as a `Simulator`, so this layer
never reaches up into the CLI's package.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from sequences import REGISTRY, SequenceError, get_sequence
from services.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    SalesPadError,
    ServiceUnavailable,
    field_errors,
)
from services.simulation.schemas import (
    SimulateRequest,
    Simulation,
    SimulationOutcome,
    SimulationReport,
    SimulationRun,
    TimelineEntry,
    TimelineRow,
    simulated_lead,
)
from workflows.contracts import LeadSequenceResult

log = logging.getLogger("salespad.simulation")

Simulator = Callable[[Simulation], Awaitable[SimulationRun]]
# A simulation starts PostgreSQL and a Temporal test server: a few seconds, a few hundred MB.
DEFAULT_TIMEOUT = 120.0
LEAD_FIELDS = ("name", "email", "phone", "company", "timezone", "preferred_channel")


def prepare(name: str, request: SimulateRequest, *, now: datetime | None = None) -> Simulation:
    """The simulation a request asks for, or NotFound (unknown sequence), Conflict (it does not
    compile) or InvalidInput naming the field."""
    seq = get_sequence(name)
    if seq is None:
        known = sorted(REGISTRY)
        raise NotFound(f"unknown sequence {name!r}; known: {', '.join(known)}", {"known": known})
    try:
        spec = seq.compile()
    except SequenceError as exc:
        raise Conflict(f"sequence {name!r} does not compile: {exc}") from None
    try:
        lead = simulated_lead(**{f: getattr(request, f) for f in LEAD_FIELDS})
    except ValidationError as exc:
        errors = field_errors(exc.errors())
        for err in errors:  # "a lead needs an email or a phone" belongs to no single field
            err["field"] = err["field"] if err["field"] in LEAD_FIELDS else "email"
        problems = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        raise InvalidInput(f"invalid lead: {problems}", errors) from None
    earliest = (now or datetime.now(UTC)) - timedelta(minutes=1)
    if request.start is not None and request.start < earliest:
        raise InvalidInput(
            "start: the simulated clock only moves forward; give now or a later time",
            [{"field": "start", "message": "must not be in the past"}],
        )
    steps = len(spec.steps)
    for i, reply in enumerate(request.replies):
        if reply.step > steps:
            raise InvalidInput(
                f"replies.{i}.step: {name} has {steps} steps",
                [{"field": f"replies.{i}.step", "message": f"{name} has {steps} steps"}],
            )
    return Simulation(
        spec=spec,
        lead=lead,
        replies={r.step: r.content for r in request.replies},
        tasks=request.tasks,
        start=request.start,
    )


def outcome_of(rows: list[TimelineRow], result: LeadSequenceResult) -> SimulationOutcome:
    span = (rows[-1].at - rows[0].at).total_seconds() / 86400 if rows else 0.0
    return SimulationOutcome(
        outcome=result.outcome,
        sends=result.sends,
        last_step=result.last_step,
        reason=result.reason,
        days=round(span, 1),
    )


def local_display(at: datetime, tz: ZoneInfo) -> str:
    return f"{at.astimezone(tz):%a %Y-%m-%d %H:%M %Z}"


def report(sim: Simulation, run: SimulationRun, tz_name: str) -> SimulationReport:
    tz = ZoneInfo(tz_name)
    return SimulationReport(
        sequence=sim.spec.name,
        version=sim.spec.version,
        timezone=tz_name,
        lead=sim.lead.name,
        timeline=[
            TimelineEntry(
                at=row.at.astimezone(UTC),
                local=row.at.astimezone(tz).isoformat(),
                local_display=local_display(row.at, tz),
                kind=row.kind,
                step=row.step,
                channel=row.channel,
                subject=row.subject,
                preview=row.preview,
                event=row.event,
                label=row.label,
                detail=row.detail,
                text=row.text.strip(),
            )
            for row in run.rows
        ],
        ended=outcome_of(run.rows, run.result),
    )


class SimulationRunner:
    """Runs simulations one at a time (each starts its own servers), each bounded by `timeout`
    seconds including the wait for its turn."""

    def __init__(self, simulator: Simulator | None, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.simulator = simulator
        self.timeout = timeout
        self._turn = asyncio.Semaphore(1)

    async def run(self, name: str, request: SimulateRequest) -> SimulationReport:
        sim = prepare(name, request)
        if self.simulator is None:
            raise ServiceUnavailable("simulation is not available in this process")
        try:
            run = await asyncio.wait_for(self._run(sim), timeout=self.timeout)
        except TimeoutError:
            raise ServiceUnavailable(
                f"the simulation did not finish within {self.timeout:.0f} s; try again later"
            ) from None
        except SalesPadError:
            raise
        except Exception as exc:  # the test server or PostgreSQL could not start, or crashed
            log.exception("simulation of %s failed", name)
            raise ServiceUnavailable(
                "the simulation could not run (Temporal test server or PostgreSQL)", str(exc)
            ) from exc
        return report(sim, run, request.timezone)

    async def _run(self, sim: Simulation) -> SimulationRun:
        assert self.simulator is not None
        async with self._turn:
            return await self.simulator(sim)

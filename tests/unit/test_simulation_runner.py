"""SimulationRunner: one simulation at a time, each bounded in time, and a clear 503."""

from __future__ import annotations

import asyncio

import pytest

from services.errors import ServiceUnavailable
from services.simulation.schemas import SimulateRequest, Simulation, SimulationRun
from services.simulation.service import SimulationRunner
from workflows.contracts import LeadSequenceResult


async def test_concurrent_simulations_take_turns() -> None:
    running = 0
    most = 0

    async def slow(sim: Simulation) -> SimulationRun:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.05)
        running -= 1
        return SimulationRun([], LeadSequenceResult(outcome="completed", sends=0))

    runner = SimulationRunner(slow, timeout=5)
    reports = await asyncio.gather(*(runner.run("demo", SimulateRequest()) for _ in range(3)))

    assert most == 1
    assert [r.ended.outcome for r in reports] == ["completed"] * 3


async def test_a_simulation_past_its_timeout_is_503() -> None:
    async def stuck(sim: Simulation) -> SimulationRun:
        await asyncio.sleep(10)
        raise AssertionError("unreachable")

    runner = SimulationRunner(stuck, timeout=0.05)
    with pytest.raises(ServiceUnavailable, match="did not finish within"):
        await runner.run("demo", SimulateRequest())


async def test_without_a_simulator_it_is_503() -> None:
    with pytest.raises(ServiceUnavailable, match="not available"):
        await SimulationRunner(None).run("demo", SimulateRequest())

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from api.deps import StateDep
from sequences import REGISTRY, SequenceError
from services.simulation.schemas import SimulateRequest, SimulationReport

router = APIRouter(prefix="/sequences", tags=["sequences"])


@router.get("", summary="The sequences ops wrote in code, compiled (or why they do not compile)")
async def list_sequences() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name, seq in sorted(REGISTRY.items()):
        try:
            out.append({**seq.compile().model_dump(mode="json"), "valid": True})
        except SequenceError as exc:
            out.append({"name": name, "valid": False, "error": str(exc)})
    return out


@router.post(
    "/{name}/simulate",
    summary="Run a sequence on a time-skipping server: what it sends when (`salespad simulate`)",
    responses={
        404: {"description": "Unknown sequence; detail.known lists the names"},
        409: {"description": "The sequence does not compile"},
        503: {"description": "The simulation could not run or timed out"},
    },
)
async def simulate_sequence(
    name: str, state: StateDep, body: Annotated[SimulateRequest | None, Body()] = None
) -> SimulationReport:
    return await state.simulations.run(name, body or SimulateRequest())

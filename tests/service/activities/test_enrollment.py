"""load_lead_facts: the payload workflows send today and the bare id older ones scheduled."""

from __future__ import annotations

from typing import Any, get_type_hints

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import ActivityEnvironment

from activities.enrollment import EnrollmentActivities
from models.db import Database
from tests.helpers import add_lead
from workflows.contracts import LeadFacts, LoadFactsInput


def _as_delivered(value: object) -> Any:
    """Encode as a workflow does; decode with the activity's parameter type, as a worker does."""
    param_type = get_type_hints(EnrollmentActivities.load_lead_facts)["inp"]
    converter = pydantic_data_converter.payload_converter
    [decoded] = converter.from_payloads(converter.to_payloads([value]), [param_type])
    return decoded


@pytest.mark.parametrize("shape", ["model", "bare_id"])
async def test_load_lead_facts_accepts_both_payload_shapes(clean_db: Database, shape: str) -> None:
    lead = await add_lead(clean_db, phone="+14155550100", company="Acme")
    sent: object = LoadFactsInput(lead_id=str(lead.id)) if shape == "model" else str(lead.id)
    delivered = _as_delivered(sent)
    assert type(delivered) is type(sent)

    facts = await ActivityEnvironment().run(
        EnrollmentActivities(clean_db).load_lead_facts, delivered
    )

    assert isinstance(facts, LeadFacts)
    assert facts.has_email and facts.has_phone
    assert facts.fields["company"] == "Acme"


async def test_long_values_stay_out_of_the_facts(clean_db: Database) -> None:
    """A lead stored before metadata was bounded: its facts stay small, whatever it holds."""
    lead = await add_lead(clean_db, meta={"notes": "x" * 1_500_000, "tier": "gold"})
    facts = await ActivityEnvironment().run(
        EnrollmentActivities(clean_db).load_lead_facts, LoadFactsInput(lead_id=str(lead.id))
    )
    assert facts.fields == {"metadata.tier": "gold"}
    assert len(pydantic_data_converter.payload_converter.to_payloads([facts])[0].data) < 1_000

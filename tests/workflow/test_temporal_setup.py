"""`salespad temporal setup` against the real Temporal dev server: it registers a namespace
and SalesPad's search attributes, a second run changes nothing, and where the server refuses
(Temporal Cloud) it prints the tcld and Web UI steps instead."""

from __future__ import annotations

import uuid

import pytest
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.service import OperatorService, RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from config.settings import Settings
from config.temporal import wanted_search_attributes
from salespad.temporal_setup import run_setup

WANTED = sorted(wanted_search_attributes())


def _settings(env: WorkflowEnvironment, namespace: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        temporal_address=env.client.service_client.config.target_host,
        temporal_namespace=namespace,
        temporal_retention_days=3,
    )


async def _custom_attributes(client: Client, namespace: str) -> dict[str, int]:
    answer = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    return dict(answer.custom_attributes)


async def test_setup_registers_the_namespace_and_attributes_once(
    dev_env: WorkflowEnvironment,
) -> None:
    namespace = f"sp-setup-{uuid.uuid4().hex[:8]}"
    out: list[str] = []
    assert await run_setup(_settings(dev_env, namespace), out.append) == 0, out
    assert f"namespace {namespace}: registered (retention 3 days)" in out
    assert f"search attributes added: {', '.join(WANTED)}" in out
    assert out[-1] == "Temporal is ready for SalesPad"

    described = await dev_env.client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=namespace)
    )
    assert described.config.workflow_execution_retention_ttl.seconds == 3 * 86400
    custom = await _custom_attributes(dev_env.client, namespace)
    assert {name: custom[name] for name in WANTED} == dict(wanted_search_attributes())

    again: list[str] = []
    assert await run_setup(_settings(dev_env, namespace), again.append) == 0, again
    assert f"namespace {namespace}: exists" in again
    assert f"search attributes already there: {', '.join(WANTED)}" in again
    assert not any(line.startswith("search attributes added") for line in again)


def _refuse(monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    """The operator call a Temporal Cloud API key may not make answers PERMISSION_DENIED, as
    Cloud does; everything else is the real dev server."""

    async def refused(self: OperatorService, *args: object, **kwargs: object) -> None:
        raise RPCError("Request unauthorized.", RPCStatusCode.PERMISSION_DENIED, b"")

    monkeypatch.setattr(OperatorService, method, refused)


async def test_refused_additions_print_the_tcld_commands_and_fail(
    dev_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fresh namespace (registered) whose attributes this identity may not add.
    other = f"sp-cloud-{uuid.uuid4().hex[:8]}"
    _refuse(monkeypatch, "add_search_attributes")
    out: list[str] = []
    assert await run_setup(_settings(dev_env, other), out.append) == 1, out
    text = "\n".join(out)
    assert "the server refused adding search attributes: PERMISSION_DENIED" in text
    for name, type_ in [
        ("CampaignId", "Keyword"),
        ("CurrentStep", "Int"),
        ("NeedsAttention", "Bool"),
        ("NextActionAt", "Datetime"),
    ]:
        assert (
            f"tcld namespace search-attributes add --namespace {other} "
            f'--search-attribute "{name}={type_}"'
        ) in [line.strip() for line in out]
    commands = [line for line in out if "tcld namespace search-attributes add" in line]
    assert len(commands) == len(WANTED)
    assert "Custom Search Attributes" in text
    assert await _custom_attributes(dev_env.client, other) == {}


async def test_attributes_that_cannot_be_listed_are_a_warning(
    dev_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    _refuse(monkeypatch, "list_search_attributes")
    out: list[str] = []
    assert await run_setup(_settings(dev_env, "default"), out.append) == 0, out
    assert any(line.startswith("warning: this identity may not list") for line in out)
    assert sum("tcld namespace search-attributes add" in line for line in out) == len(WANTED)

"""`salespad doctor`'s Temporal checks against the real dev server: namespace and search
attributes ok, and an unknown namespace named with how to create it."""

from __future__ import annotations

import pytest
from temporalio.testing import WorkflowEnvironment

from config.settings import Settings
from salespad.doctor import temporal_checks

pytestmark = pytest.mark.workflow


def settings_for(env: WorkflowEnvironment, namespace: str = "default") -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        temporal_address=env.client.service_client.config.target_host,
        temporal_namespace=namespace,
    )


async def test_the_dev_server_passes(dev_env: WorkflowEnvironment) -> None:
    checks = await temporal_checks(settings_for(dev_env))
    assert [(c.status, c.what) for c in checks] == [
        ("ok", "Temporal"),
        ("ok", "Temporal namespace"),
        ("ok", "search attributes"),
    ], [c.line() for c in checks]


async def test_an_unknown_namespace_says_how_to_create_it(dev_env: WorkflowEnvironment) -> None:
    checks = await temporal_checks(settings_for(dev_env, "no-such-namespace"))
    assert [c.status for c in checks] == ["ok", "FAIL"]
    assert "temporal operator namespace create --namespace no-such-namespace" in checks[1].detail

"""docker-compose.yml, .env.example and the Dockerfile against the code they run. No Docker
engine runs here: tests/slow/test_compose_env.py starts the real processes with the environment
read from docker-compose.yml; these check the rest without servers."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from config.settings import Settings, environment_variables
from salespad.cli import app
from services.channels.wiring import build_channels
from tests import compose_env
from tests.compose_env import MissingVariable, interpolate

APP_SERVICES = ("migrate", "api", "worker")
# The secrets compose insists on (${VAR:?...}); everything else may be left empty.
SECRETS = {
    "POSTGRES_PASSWORD": "pg-password-1",
    "SALESPAD_API_KEY": "sp-key-for-the-compose-test",
    "SALESPAD_SECRET_KEY": "s" * 40,
}


@pytest.fixture(autouse=True)
def _no_settings_in_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in environment_variables():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env of the checkout


def _dotenv_from_example() -> dict[str, str]:
    """What `cp .env.example .env` and filling in the secrets gives compose."""
    return {**compose_env.env_example(), **SECRETS}


def test_compose_passes_every_setting_to_the_salespad_services() -> None:
    compose = compose_env.load()
    for service in APP_SERVICES:
        env = compose_env.service_environment(compose, service, SECRETS)
        assert sorted(env) == sorted(environment_variables()), service


def test_env_example_lists_every_setting_and_every_compose_variable_with_a_comment() -> None:
    example = compose_env.env_example()
    settings = set(environment_variables())
    used_by_compose = compose_env.references(compose_env.load())
    # Every setting, and every variable compose reads (the rest are compose's own knobs).
    assert settings <= set(example), sorted(settings - set(example))
    assert used_by_compose <= set(example), sorted(used_by_compose - set(example))
    assert set(example) <= settings | used_by_compose, sorted(
        set(example) - settings - used_by_compose
    )
    lines = compose_env.ENV_EXAMPLE.read_text().splitlines()
    for i, line in enumerate(lines):
        if line and not line.startswith("#"):
            assert lines[i - 1].startswith("# "), f".env.example: {line!r} has no comment"
    # Nothing secret ships in it.
    for name in ("SALESPAD_API_KEY", "SALESPAD_SECRET_KEY", "POSTGRES_PASSWORD"):
        assert example[name] == ""


def test_compose_refuses_to_start_without_the_secrets() -> None:
    compose = compose_env.load()
    for secret in SECRETS:
        env = {**_dotenv_from_example(), secret: ""}
        with pytest.raises(MissingVariable, match=secret):
            compose_env.service_environment(compose, "api", env)


def test_settings_and_the_workers_channels_load_from_composes_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Today's bug: compose passed SENDGRID_API_KEY="" and the worker died at start with
    "SENDGRID_API_KEY is set but SENDGRID_FROM_EMAIL is not"."""
    compose = compose_env.load()
    for service in APP_SERVICES:
        env = compose_env.service_environment(compose, service, _dotenv_from_example())
        assert env["SENDGRID_API_KEY"] == ""  # passed through, empty
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        settings = Settings()
        assert settings.env == "prod"
        assert settings.api_port == 8000
        assert settings.temporal_target == "temporal:7233"
        assert settings.sendgrid.api_key is None
        router = build_channels(settings, [])
        assert {t: router.for_type(t).provider for t in ("EMAIL", "SMS", "WHATSAPP")} == {
            "EMAIL": "outbox",
            "SMS": "outbox",
            "WHATSAPP": "outbox",
        }


def test_provider_credentials_from_dotenv_reach_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    compose = compose_env.load()
    dotenv = {
        **_dotenv_from_example(),
        "SENDGRID_API_KEY": "SG.test",
        "SENDGRID_FROM_EMAIL": "sales@example.com",
        "TWILIO_ACCOUNT_SID": "AC123",
        "TWILIO_AUTH_TOKEN": "token",
        "TWILIO_SMS_FROM": "+15005550006",
        "TWILIO_WHATSAPP_FROM": "+15005550007",
    }
    for name, value in compose_env.service_environment(compose, "worker", dotenv).items():
        monkeypatch.setenv(name, value)
    router = build_channels(Settings(), [])
    assert {t: router.for_type(t).provider for t in ("EMAIL", "SMS", "WHATSAPP")} == {
        "EMAIL": "sendgrid",
        "SMS": "twilio",
        "WHATSAPP": "twilio",
    }


def test_the_services_run_salespad_commands_that_exist() -> None:
    compose = compose_env.load()
    assert compose_env.dockerfile_entrypoint() == ["salespad"]
    commands = {
        c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands
    }
    for service in APP_SERVICES:
        assert compose["services"][service]["build"] == "."
        command = compose_env.service_command(compose, service, SECRETS)
        assert command[0] in commands, service
    assert compose_env.service_command(compose, "migrate", SECRETS) == [
        "migrate",
        "--search-attributes",
    ]
    assert compose_env.replicas(compose, "worker") == 2
    for service in ("api", "worker"):
        depends = compose["services"][service]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_temporal_runs_from_current_images_with_its_schema_set_up_by_admin_tools() -> None:
    compose = compose_env.load()
    services = compose["services"]
    images = {name: s.get("image", "") for name, s in services.items()}
    assert not any("auto-setup" in image for image in images.values())
    assert "tctl" not in compose_env.COMPOSE_FILE.read_text()
    assert images["temporal"].startswith("temporalio/server:")
    assert images["temporal-ui"].startswith("temporalio/ui:")
    assert images["temporal-schema"].startswith("temporalio/admin-tools:")
    script = "\n".join(compose_env.service_command(compose, "temporal-schema", SECRETS))
    for database in ("temporal", "temporal_visibility"):
        for step in ("create", "setup-schema -v 0.0", "update-schema -d"):
            assert f"--db {database} {step}" in script
    assert "schema/visibility/versioned" in script
    assert "schema/temporal/versioned" in script
    deps = services["temporal"]["depends_on"]
    assert deps["temporal-schema"]["condition"] == "service_completed_successfully"
    migrate_deps = services["migrate"]["depends_on"]
    assert migrate_deps["temporal-namespace"]["condition"] == "service_completed_successfully"
    assert "cluster health" in "\n".join(services["temporal-namespace"]["command"])
    # Every long-running service says when it is healthy; one-shot jobs run to completion.
    for name, service in services.items():
        if name not in ("temporal-schema", "temporal-namespace", "migrate"):
            assert "healthcheck" in service, name
    # Nothing listens beyond this machine unless the operator says so.
    for service in services.values():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), port
    dynamic_config = next(
        v.split(":")[0] for v in services["temporal"]["volumes"] if "dynamicconfig" in v
    )
    assert (compose_env.ROOT / dynamic_config).is_file()


def test_dockerfile_copies_every_package_the_project_installs() -> None:
    pyproject = tomllib.loads((compose_env.ROOT / "pyproject.toml").read_text())
    tool = pyproject["tool"]["setuptools"]
    dockerfile = compose_env.DOCKERFILE.read_text()
    for pattern in tool["packages"]["find"]["include"]:
        package = pattern.rstrip("*")
        assert f"COPY {package} ./{package}" in dockerfile, package
    for module in tool["py-modules"]:
        assert f"COPY {module}.py ./" in dockerfile


def test_interpolation_follows_compose() -> None:
    env = {"SET": "x", "EMPTY": ""}
    assert interpolate("${SET:-d} ${EMPTY:-d} ${UNSET:-d} ${EMPTY-d} ${UNSET-d}", env) == (
        "x d d  d"
    )
    assert interpolate("$$SET ${SET} $SET ${UNSET}", env) == "$SET x x "
    with pytest.raises(MissingVariable, match="EMPTY: say so"):
        interpolate("${EMPTY:?say so}", env)
    assert interpolate("${EMPTY?fine}", env) == ""

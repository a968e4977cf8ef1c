"""docker-compose.yml cannot run here (no Docker engine), so check its shape statically."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_runs_the_production_shaped_stack() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "temporal", "temporal-ui", "migrate", "api", "worker"} <= set(services)
    for name in ("api", "worker", "migrate"):
        env = services[name]["environment"]
        assert env["SALESPAD_TEMPORAL_ADDRESS"] == "temporal:7233"
        assert env["SALESPAD_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert services[name]["build"] == "."
    assert services["api"]["command"][:2] == ["salespad", "api"]
    assert services["worker"]["command"] == ["salespad", "worker"]
    assert services["migrate"]["command"] == ["salespad", "migrate"]
    # API and worker wait for the schema.
    for name in ("api", "worker"):
        assert (
            services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        )


def test_dockerfile_copies_every_package() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in (
        "salespad",
        "workflows",
        "activities",
        "adapters",
        "api",
        "models",
        "sequences",
    ):
        assert f"COPY {package} ./{package}" in dockerfile
    assert "COPY worker.py" in dockerfile

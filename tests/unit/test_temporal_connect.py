"""Settings -> the options Client.connect gets: TLS from files, the API key, and one-line
errors naming the setting at fault."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.service import TLSConfig
from typer.testing import CliRunner

from config.settings import Settings
from config.temporal import TemporalConfigError, connect_options
from salespad.cli import app

CA = b"-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n"
CERT = b"-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n"
KEY = b"-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n"


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


@pytest.fixture
def pems(tmp_path: Path) -> dict[str, Path]:
    files = {"ca": CA, "cert": CERT, "key": KEY}
    for name, data in files.items():
        (tmp_path / f"{name}.pem").write_bytes(data)
    return {name: tmp_path / f"{name}.pem" for name in files}


def test_plain_by_default() -> None:
    options = connect_options(settings())
    assert options.tls is None and options.api_key is None


def test_server_verified_tls_without_client_certificate() -> None:
    assert connect_options(settings(temporal_tls=True)).tls is True


def test_tls_false_means_plain_even_with_an_api_key(pems: dict[str, Path]) -> None:
    options = connect_options(settings(temporal_tls=False, temporal_api_key="k"))
    assert options.tls is False and options.api_key == "k"
    with pytest.raises(TemporalConfigError, match=r"^SALESPAD_TEMPORAL_TLS is false but"):
        connect_options(settings(temporal_tls=False, temporal_tls_ca=pems["ca"]))


def test_mtls_reads_the_files_from_the_environment(
    pems: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SALESPAD_TEMPORAL_TLS_CA", str(pems["ca"]))
    monkeypatch.setenv("SALESPAD_TEMPORAL_TLS_CERT", str(pems["cert"]))
    monkeypatch.setenv("SALESPAD_TEMPORAL_TLS_KEY", str(pems["key"]))
    monkeypatch.setenv("SALESPAD_TEMPORAL_TLS_SERVER_NAME", "temporal.internal")
    options = connect_options(settings())
    assert isinstance(options.tls, TLSConfig)
    assert options.tls.server_root_ca_cert == CA
    assert options.tls.client_cert == CERT
    assert options.tls.client_private_key == KEY
    assert options.tls.domain == "temporal.internal"
    assert options.api_key is None


def test_api_key_is_passed_and_tls_left_to_the_sdk_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SALESPAD_TEMPORAL_API_KEY", "tcld-key-123")
    options = connect_options(settings())
    assert options.api_key == "tcld-key-123"
    assert options.tls is None  # the SDK turns TLS on when an API key is given
    assert "tcld-key-123" not in repr(settings())


def test_ca_only_verifies_the_server_without_a_client_certificate(pems: dict[str, Path]) -> None:
    options = connect_options(settings(temporal_tls_ca=pems["ca"]))
    assert isinstance(options.tls, TLSConfig)
    assert options.tls.server_root_ca_cert == CA and options.tls.client_cert is None


@pytest.mark.parametrize("setting", ["ca", "cert", "key"])
def test_a_missing_file_names_its_setting(
    setting: str, pems: dict[str, Path], tmp_path: Path
) -> None:
    values = {f"temporal_tls_{n}": p for n, p in pems.items()}
    values[f"temporal_tls_{setting}"] = tmp_path / "nope.pem"
    with pytest.raises(TemporalConfigError) as err:
        connect_options(settings(**values))
    message = str(err.value)
    assert message == f"SALESPAD_TEMPORAL_TLS_{setting.upper()}: no file at {tmp_path / 'nope.pem'}"
    assert "\n" not in message


def test_a_certificate_needs_its_key_and_a_key_its_certificate(pems: dict[str, Path]) -> None:
    with pytest.raises(
        TemporalConfigError,
        match=r"^SALESPAD_TEMPORAL_TLS_CERT is set but "
        r"SALESPAD_TEMPORAL_TLS_KEY is not",
    ):
        connect_options(settings(temporal_tls_cert=pems["cert"]))
    with pytest.raises(
        TemporalConfigError,
        match=r"^SALESPAD_TEMPORAL_TLS_KEY is set but "
        r"SALESPAD_TEMPORAL_TLS_CERT is not",
    ):
        connect_options(settings(temporal_tls_key=pems["key"]))


def test_a_file_that_is_not_pem_is_named(tmp_path: Path, pems: dict[str, Path]) -> None:
    der = tmp_path / "cert.der"
    der.write_bytes(b"\x30\x82\x01\x0a")
    with pytest.raises(TemporalConfigError, match=r"^SALESPAD_TEMPORAL_TLS_CERT: .* not a PEM"):
        connect_options(settings(temporal_tls_cert=der, temporal_tls_key=pems["key"]))


def test_commands_stop_with_one_line_on_a_bad_tls_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("SALESPAD_TEMPORAL_TLS_CERT", str(tmp_path / "client.pem"))
    monkeypatch.setenv("SALESPAD_TEMPORAL_TLS_KEY", str(tmp_path / "client.key"))
    result = CliRunner().invoke(app, ["temporal", "setup"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == (
        f"salespad temporal setup: SALESPAD_TEMPORAL_TLS_CERT: no file at {tmp_path / 'client.pem'}"
    )
    assert "Traceback" not in result.output

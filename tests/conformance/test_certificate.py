"""The signed go-live certificate: what it vouches for, and what ``verify`` says when it was altered, signed by
someone else, outdated by a change of the checks, or is not a certificate at all."""

from __future__ import annotations

import argparse
import base64
import dataclasses
import hashlib
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conformance import registry
from conformance.certificate import (
    HOME_ENV,
    KEY_FILE,
    CertificateError,
    add_arguments_for_verify,
    checks_hash,
    verify_certificate,
    verify_main,
    write_certificate,
)
from conformance.config import ConfigError, RunConfig
from conformance.model import CheckInfo, Evidence, Report, Result, Severity, Status

SECRET = "supersecretvalue123"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Default keys go to a temporary home, never to the real one."""
    directory = tmp_path / "home"
    monkeypatch.setenv(HOME_ENV, str(directory))
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    return directory


@pytest.fixture
def config(tmp_path: Path) -> RunConfig:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("panel: {guid: 00000000-0000-0000-0000-000000000000}\n", encoding="utf-8")
    return RunConfig(
        scenario=scenario,
        sandbox_url="http://127.0.0.1:9999",
        partner_cmd=f"python -m partner --encryption-key {SECRET}",
        encryption_key=SECRET,
    )


@pytest.fixture
def report() -> Report:
    """A run with one failed MUST (so it is NOT READY) whose evidence quotes the encryption key."""
    must = CheckInfo(id="END-03", title="Encrypted end pages", step="End pages", severity=Severity.MUST, rule="r1")
    should = CheckInfo(id="INV-02", title="Invites are reused", step="Sampling", severity=Severity.SHOULD, rule="r2")
    leak = Evidence(summary=f"the end page echoed the key {SECRET}", request=f"GET /end?key={SECRET} -> 200")
    return Report(
        scenario="scenario.yaml",
        sandbox_url="http://127.0.0.1:9999",
        sandbox_version="0.1.0",
        started="2025-01-01T10:00:00+00:00",
        finished="2025-01-01T10:01:00+00:00",
        partner=f"python -m partner --encryption-key {SECRET}",
        results=[
            Result(check=must, status=Status.FAIL, message="1 violation(s)", evidence=[leak]),
            Result(check=should, status=Status.PASS, message="4 judged, no violation"),
        ],
    )


@pytest.fixture
def certificate(report: Report, config: RunConfig, tmp_path: Path) -> Path:
    return write_certificate(report, config, tmp_path / "out" / "go-live.json")


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def rewrite(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")


def raw_public_key(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def cli(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments_for_verify(parser.add_subparsers(dest="command"))
    return parser.parse_args(["verify", *argv])


def test_a_written_certificate_verifies_and_holds_the_sign_off_facts(certificate: Path, config: RunConfig) -> None:
    result = verify_certificate(certificate)
    assert (result.ok, result.status) == (True, "valid"), result.message
    assert result.message.startswith("NOT READY for python -m partner") and "\n" not in result.message

    document = load(certificate)
    manifest = document["manifest"]
    assert document["algorithm"] == "Ed25519" and len(base64.b64decode(document["public_key"])) == 32
    assert manifest == result.manifest
    assert manifest["verdict"] == "NOT READY"
    assert [(r["id"], r["status"]) for r in manifest["results"]] == [("END-03", "fail"), ("INV-02", "pass")]
    assert manifest["scenario"]["sha256"] == hashlib.sha256(config.scenario.read_bytes()).hexdigest()
    assert manifest["suite"]["checks_sha256"] == checks_hash() and manifest["suite"]["version"]
    assert manifest["sandbox"] == {"url": "http://127.0.0.1:9999", "version": "0.1.0"}
    assert manifest["configuration"]["sandbox_url"] == "http://127.0.0.1:9999"
    assert manifest["started"] < manifest["finished"] < manifest["issued"]


def test_the_signature_does_not_depend_on_the_file_layout(certificate: Path) -> None:
    document = load(certificate)
    certificate.write_text(json.dumps(document, separators=(",", ":"), sort_keys=True), encoding="utf-8")
    assert verify_certificate(certificate).status == "valid"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda m: m["results"][0].update(status="pass"),
        lambda m: m.update(verdict="READY"),
        lambda m: m["scenario"].update(sha256="0" * 64),
        lambda m: m["results"].pop(0),
    ],
    ids=["check-status", "verdict", "scenario-hash", "dropped-result"],
)
def test_an_altered_manifest_is_invalid(certificate: Path, tamper: Any) -> None:
    document = load(certificate)
    tamper(document["manifest"])
    rewrite(certificate, document)

    result = verify_certificate(certificate)
    assert (result.ok, result.status, result.manifest) == (False, "invalid", None)
    assert "altered after signing" in result.message


def test_a_replaced_signature_or_key_is_invalid(certificate: Path) -> None:
    document = load(certificate)
    intruder = Ed25519PrivateKey.generate()
    document["public_key"] = raw_public_key(intruder)  # the original signature no longer matches this key
    rewrite(certificate, document)
    assert verify_certificate(certificate).status == "invalid"


def _amended_rule(info: CheckInfo, fn: Any) -> tuple[CheckInfo, Any]:
    return dataclasses.replace(info, rule=info.rule + " Amended."), fn


def _other_logic(info: CheckInfo, fn: Any) -> tuple[CheckInfo, Any]:
    def changed(facts: object) -> registry.Verdict:
        return registry.Verdict([], judged=1)

    return info, changed


@pytest.mark.parametrize("change", [_amended_rule, _other_logic], ids=["rule", "function"])
def test_a_certificate_is_stale_once_a_check_changed(
    certificate: Path, monkeypatch: pytest.MonkeyPatch, change: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    signed_hash = load(certificate)["manifest"]["suite"]["checks_sha256"]
    checks = dict(registry.CHECKS)
    monkeypatch.setattr(registry, "CHECKS", checks)
    assert verify_certificate(certificate).status == "valid"  # the same checks in a new dict: still current

    first = min(checks)
    checks[first] = change(*checks[first])
    result = verify_certificate(certificate)
    assert (result.ok, result.status) == (False, "stale")
    assert signed_hash[:12] in result.message and checks_hash()[:12] in result.message
    assert result.manifest is not None and result.manifest["verdict"] == "NOT READY"

    assert verify_main(cli(str(certificate))) == 1
    assert capsys.readouterr().out.startswith("STALE: the checks changed since signing")


def test_only_the_trusted_key_is_accepted(
    report: Report, config: RunConfig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_path = tmp_path / "support" / "sandbox.pem"
    path = write_certificate(report, config, tmp_path / "c.json", key_path)
    signer = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    assert isinstance(signer, Ed25519PrivateKey)
    public_pem = tmp_path / "sandbox.pub.pem"
    public_pem.write_bytes(
        signer.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )

    assert verify_certificate(path, raw_public_key(signer)).status == "valid"
    assert verify_certificate(path, str(public_pem)).status == "valid"
    assert verify_certificate(path, str(key_path)).status == "valid"  # the signing key names its public half

    other = raw_public_key(Ed25519PrivateKey.generate())
    result = verify_certificate(path, other)
    assert (result.ok, result.status) == (False, "invalid")
    assert "not by the trusted key" in result.message and other[:12] in result.message

    assert verify_main(cli(str(path), "--public-key", other)) == 2
    assert capsys.readouterr().out.startswith("INVALID: signed by key")
    assert verify_certificate(path, "not a key").status == "invalid"


def test_the_encryption_key_never_appears_in_the_certificate(certificate: Path) -> None:
    text = certificate.read_text(encoding="utf-8")
    assert SECRET not in text
    manifest = load(certificate)["manifest"]
    assert manifest["configuration"]["encryption_key"] == "****e123"
    assert manifest["partner"] == "python -m partner --encryption-key ****e123"
    assert manifest["results"][0]["evidence"][0]["request"] == "GET /end?key=****e123 -> 200"
    assert verify_certificate(certificate).status == "valid"  # masked before signing, not after


def test_the_default_key_is_created_once_and_reused(
    report: Report, config: RunConfig, tmp_path: Path, home: Path
) -> None:
    first = write_certificate(report, config, tmp_path / "a.json")
    key_file = home / KEY_FILE
    pem = key_file.read_bytes()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    second = write_certificate(report, config, tmp_path / "b.json")
    assert key_file.read_bytes() == pem
    assert load(first)["public_key"] == load(second)["public_key"]
    assert not (tmp_path / "user").exists()  # nothing went to the user's real configuration directory


def test_a_given_key_is_created_there_and_reused(report: Report, config: RunConfig, tmp_path: Path, home: Path) -> None:
    key_path = tmp_path / "keys" / "support.pem"
    first = write_certificate(report, config, tmp_path / "a.json", key_path)
    second = write_certificate(report, config, tmp_path / "b.json", key_path)
    default = write_certificate(report, config, tmp_path / "c.json")

    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert load(first)["public_key"] == load(second)["public_key"] != load(default)["public_key"]


def test_an_unusable_signing_key_is_a_configuration_error(report: Report, config: RunConfig, tmp_path: Path) -> None:
    key_path = tmp_path / "broken.pem"
    key_path.write_text("not a key", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a usable signing key") as error:
        write_certificate(report, config, tmp_path / "c.json", key_path)
    assert isinstance(error.value, CertificateError)
    assert not (tmp_path / "c.json").exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\x00\xffgarbage", "not JSON"),
        (b"certificate? no", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"manifest": {}}', "lacks signature, public_key, algorithm"),
        (b'{"manifest": {}, "signature": "!!", "public_key": "AAAA", "algorithm": "Ed25519"}', "public key"),
        (b'{"manifest": {}, "signature": "", "public_key": "", "algorithm": "RSA"}', "only Ed25519"),
        (None, "cannot read"),
    ],
    ids=["binary", "text", "array", "missing-fields", "short-key", "algorithm", "missing-file"],
)
def test_something_else_than_a_certificate_is_invalid(
    tmp_path: Path, content: bytes | None, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "garbage.json"
    if content is not None:
        path.write_bytes(content)

    result = verify_certificate(path)
    assert (result.ok, result.status, result.manifest) == (False, "invalid", None)
    assert reason in result.message

    assert verify_main(cli(str(path))) == 2
    out = capsys.readouterr().out
    assert out.startswith("INVALID: ") and out.count("\n") == 1 and "Traceback" not in out


def test_the_cli_exits_0_for_a_valid_certificate(certificate: Path, capsys: pytest.CaptureFixture[str]) -> None:
    public_key = load(certificate)["public_key"]
    assert verify_main(cli(str(certificate), "--public-key", public_key)) == 0
    out = capsys.readouterr().out
    assert out.startswith("VALID: NOT READY") and out.count("\n") == 1

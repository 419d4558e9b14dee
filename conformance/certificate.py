"""A signed go-live certificate: the sign-off facts of one run (suite, sandbox, scenario, configuration, verdict and
every check's result) in a JSON manifest signed with Ed25519, so that whoever approves a go-live can tell that the
report was not edited after the run, which key signed it, and whether the checks have changed since.

    toluna-conformance run ... --certificate go-live.json [--signing-key support-sandbox.pem]
    toluna-conformance verify go-live.json [--public-key KEY]

Exit status of ``verify``: 0 valid, 1 stale (signed, but the checks changed since), 2 invalid.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import importlib
import importlib.metadata
import inspect
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from . import registry
from .config import ConfigError, RunConfig
from .model import Report
from .secrets import Masker, redacted

ALGORITHM = "Ed25519"
#: The manifest's layout; a verifier that meets a newer one says so instead of misreading it.
FORMAT = 1
HOME_ENV = "TOLUNA_CONFORMANCE_HOME"
KEY_FILE = "signing-key.pem"
REQUIRED_FIELDS = ("manifest", "signature", "public_key", "algorithm")
EXIT_CODES = {"valid": 0, "stale": 1, "invalid": 2}

VerificationStatus = Literal["valid", "stale", "invalid"]


class CertificateError(ConfigError):
    """A certificate that cannot be written (an unusable signing key, an unreadable scenario): a configuration
    problem, reported like the others, with the file and the fix."""


@dataclass(slots=True, frozen=True)
class Verification:
    """The answer to "can this certificate be trusted?": ``valid``, ``stale`` (authentic, but the checks changed
    since it was signed, so the verdict no longer says what the current suite would) or ``invalid``."""

    ok: bool
    status: VerificationStatus
    message: str
    manifest: dict[str, Any] | None = None


# --- what the certificate vouches for --------------------------------------------------------------------------
def suite_version() -> str:
    """The conformance suite's version, so a reader knows which release produced the verdict."""
    version = getattr(importlib.import_module(__package__ or "conformance"), "__version__", None)
    if version:
        return str(version)
    try:
        return importlib.metadata.version("toluna-sandbox")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


def checks_hash() -> str:
    """SHA-256 of every registered check's definition and the source of its function: a certificate whose hash
    differs from the current suite's was judged by other rules or other logic than today's."""
    from . import checks as _checks  # noqa: F401  (registers every check)

    definitions = [
        {
            "id": info.id,
            "title": info.title,
            "step": info.step,
            "severity": str(info.severity),
            "rule": info.rule,
            "source": _source(fn),
            "module": _module_source(fn),  # the helpers a check calls live beside it
        }
        for _, (info, fn) in sorted(registry.CHECKS.items())
    ]
    judging = [_module_source(module) for module in _judging_modules()]
    return hashlib.sha256(canonical({"checks": definitions, "judging": judging})).hexdigest()


def _module_source(obj: Any) -> str:
    """The source of the module that defines ``obj`` (or of the module itself)."""
    module = obj if inspect.ismodule(obj) else inspect.getmodule(obj)
    try:
        return inspect.getsource(module) if module is not None else ""
    except (OSError, TypeError):
        return ""


def _judging_modules() -> tuple[Any, ...]:
    from . import codes, coverage, facts, oracle, receivers

    return (registry, facts, oracle, codes, coverage, receivers)


def _source(fn: Any) -> str:
    """A check function's source; its bytecode when the source is not available (still changes with the logic)."""
    try:
        return inspect.getsource(fn)
    except (OSError, TypeError):
        code = getattr(fn, "__code__", None)
        return code.co_code.hex() if code is not None else repr(fn)


def file_sha256(path: Path) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as exc:
        raise CertificateError(
            f"cannot read the scenario {path} to fingerprint it ({exc.strerror}). Fix: keep the scenario in place "
            "until the certificate is written"
        ) from None


def build_manifest(report: Report, config: RunConfig, profile: dict[str, Any] | None = None) -> dict[str, Any]:
    """The signed content. The configuration has its secret-named settings redacted, and the run's encryption key
    is masked wherever else it may appear (a partner command line, a check's evidence): certificates get passed
    around. ``profile``: the partner configuration's profile the run tested (``profiles.Profile.record``: no keys)."""
    manifest = {
        "format": FORMAT,
        "suite": {"name": "toluna-conformance", "version": suite_version(), "checks_sha256": checks_hash()},
        "sandbox": {"url": report.sandbox_url, "version": report.sandbox_version},
        "scenario": {"name": report.scenario, "path": str(config.scenario), "sha256": file_sha256(config.scenario)},
        "partner": report.partner,
        "configuration": redacted(config),
        **({"profile": profile} if profile else {}),
        "verdict": "READY" if report.ready else "NOT READY",
        "counts": report.counts(),
        "results": [r.to_dict() for r in report.results],
        "started": report.started,
        "finished": report.finished,
        "issued": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    masked = Masker([config.encryption_key]).deep(manifest)
    return json.loads(json.dumps(masked, ensure_ascii=False))  # exactly what a reader will load and check


def canonical(value: Any) -> bytes:
    """The one byte sequence that is signed and verified, whatever the file's indentation."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# --- the signing key -------------------------------------------------------------------------------------------
def default_key_path() -> Path:
    """One key per user, made on first use: certificates from the same desk verify against the same public key."""
    home = os.environ.get(HOME_ENV)
    base = Path(home) if home else Path.home() / ".config" / "toluna-conformance"
    return base / KEY_FILE


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The key at ``path`` (PEM, PKCS8, no password), created there readable by its owner only when missing."""
    path = Path(path).expanduser()
    if path.exists():
        return _load_key(path)
    try:
        return _create_key(path)
    except FileExistsError:  # another run created it meanwhile: use that one
        return _load_key(path)


def _create_key(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise  # a concurrent run won the race: the caller loads its key
    except OSError as exc:
        raise CertificateError(
            f"cannot create the signing key {path} ({exc.strerror}). Fix: pick a writable path"
        ) from None
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return key


def _load_key(path: Path) -> Ed25519PrivateKey:
    fix = "Fix: point --signing-key at an unencrypted PKCS8 PEM Ed25519 key, or at a new path to create one"
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise CertificateError(f"cannot read the signing key {path} ({exc.strerror}). {fix}") from None
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise CertificateError(f"{path} is not a usable signing key (not PEM, or password-protected). {fix}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CertificateError(f"{path} holds a {type(key).__name__}, not an Ed25519 key. {fix}")
    return key


def public_key_text(key: Ed25519PublicKey) -> str:
    """A public key as the certificate carries it: base64 of its raw 32 bytes."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


# --- writing ---------------------------------------------------------------------------------------------------
def write_certificate(
    report: Report, config: RunConfig, path: Path, key_path: Path | None = None, profile: dict[str, Any] | None = None
) -> Path:
    """Sign the run's manifest with ``key_path`` (created when missing) or the user's default key, and write the
    certificate to ``path``. A shared support sandbox passes its own key, so its certificates share one signer."""
    key = load_or_create_key(Path(key_path) if key_path else default_key_path())
    manifest = build_manifest(report, config, profile)
    document = {
        "manifest": manifest,
        "signature": base64.b64encode(key.sign(canonical(manifest))).decode("ascii"),
        "public_key": public_key_text(key.public_key()),
        "algorithm": ALGORITHM,
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


# --- verifying -------------------------------------------------------------------------------------------------
class _Invalid(Exception):
    """Raised inside verification with the one sentence that says why the certificate cannot be trusted."""


def verify_certificate(path: Path | str, trusted_public_key: str | None = None) -> Verification:
    """Whether the certificate at ``path`` is intact, signed by ``trusted_public_key`` when one is given (base64 of
    the raw key, or a PEM file), and judged by the checks of the current suite. Without a trusted key it only
    proves the file was not edited since someone signed it: compare its key with the one you expect."""
    try:
        document = _read_document(Path(path))
        embedded = _embedded_key(document)
        if trusted_public_key is not None:
            _check_trusted(embedded, _trusted_key(trusted_public_key))
        _check_signature(document, embedded)
        return _judge_freshness(document["manifest"], embedded)
    except _Invalid as exc:
        return Verification(ok=False, status="invalid", message=str(exc))


def _read_document(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _Invalid(f"cannot read {path} ({exc.strerror or exc}).") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _Invalid(f"{path} is not a certificate: it is not JSON.") from None
    if not isinstance(document, dict):
        raise _Invalid(f"{path} is not a certificate: it is not a JSON object.")
    missing = [name for name in REQUIRED_FIELDS if name not in document]
    if missing:
        raise _Invalid(f"{path} is not a certificate: it lacks {', '.join(missing)}.")
    if document["algorithm"] != ALGORITHM:
        raise _Invalid(f"{path} is signed with {document['algorithm']!r}; only {ALGORITHM} certificates are known.")
    if not isinstance(document["manifest"], dict):
        raise _Invalid(f"{path} is not a certificate: its manifest is not a JSON object.")
    return document


def _decode(text: Any, what: str) -> bytes:
    try:
        return base64.b64decode(str(text), validate=True)
    except (binascii.Error, ValueError):
        raise _Invalid(f"the certificate's {what} is not valid base64.") from None


def _embedded_key(document: dict[str, Any]) -> Ed25519PublicKey:
    raw = _decode(document["public_key"], "public key")
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise _Invalid(f"the certificate's public key is {len(raw)} bytes, not a 32-byte Ed25519 key.") from None


def _trusted_key(text: str) -> Ed25519PublicKey:
    """The key the user trusts: a PEM file (a public key, or the signing key itself), or base64 of the raw key."""
    candidate = Path(text).expanduser()
    if candidate.is_file():
        return _pem_public_key(candidate)
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        raise _Invalid(
            f"the trusted public key {text!r} is neither a PEM file nor base64 of a 32-byte Ed25519 key."
        ) from None


def _pem_public_key(path: Path) -> Ed25519PublicKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _Invalid(f"cannot read the trusted key file {path} ({exc.strerror}).") from None
    try:
        key: Any = (
            serialization.load_pem_private_key(data, password=None).public_key()
            if b"PRIVATE KEY" in data
            else serialization.load_pem_public_key(data)
        )
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise _Invalid(f"the trusted key file {path} is not an unencrypted PEM key.") from None
    if not isinstance(key, Ed25519PublicKey):
        raise _Invalid(f"the trusted key file {path} holds a {type(key).__name__}, not an Ed25519 key.")
    return key


def _check_trusted(embedded: Ed25519PublicKey, trusted: Ed25519PublicKey) -> None:
    if public_key_text(embedded) != public_key_text(trusted):
        raise _Invalid(
            f"signed by key {fingerprint(embedded)}, not by the trusted key {fingerprint(trusted)}: "
            "someone else issued this certificate."
        )


def _check_signature(document: dict[str, Any], key: Ed25519PublicKey) -> None:
    signature = _decode(document["signature"], "signature")
    try:
        key.verify(signature, canonical(document["manifest"]))
    except InvalidSignature:
        raise _Invalid(
            "the signature does not match the manifest: the certificate was altered after signing."
        ) from None


def _judge_freshness(manifest: dict[str, Any], key: Ed25519PublicKey) -> Verification:
    """An authentic certificate is stale when the checks that judged the run are no longer the suite's."""
    if manifest.get("format") != FORMAT:
        raise _Invalid(
            f"the manifest has format {manifest.get('format')!r} and this suite reads format {FORMAT}: "
            "verify it with the toluna-conformance release that wrote it."
        )
    suite = manifest.get("suite")
    if not isinstance(suite, dict) or not isinstance(suite.get("checks_sha256"), str):
        raise _Invalid("the manifest is signed but names no checks' hash, so its checks cannot be compared.")
    signed_hash, signed_version = suite["checks_sha256"], suite.get("version", "?")
    current_hash, current_version = checks_hash(), suite_version()
    if signed_hash != current_hash:
        return Verification(
            ok=False,
            status="stale",
            message=(
                f"the checks changed since signing: checks hash {signed_hash[:12]} (suite {signed_version}) is now "
                f"{current_hash[:12]} (suite {current_version}); re-run the suite for a current certificate."
            ),
            manifest=manifest,
        )
    return Verification(
        ok=True,
        status="valid",
        message=(
            f"{manifest.get('verdict', '?')} for {manifest.get('partner', '?')}, issued {manifest.get('issued', '?')} "
            f"by suite {signed_version}, signed by key {fingerprint(key)}."
        ),
        manifest=manifest,
    )


def fingerprint(key: Ed25519PublicKey) -> str:
    """A short name for a key in messages: the start of its base64 form (what ``--public-key`` takes)."""
    return public_key_text(key)[:12]


# --- command line ----------------------------------------------------------------------------------------------
def add_arguments_for_verify(subparsers: Any) -> argparse.ArgumentParser:
    """``toluna-conformance verify FILE [--public-key K]``."""
    parser = subparsers.add_parser(
        "verify", help="check a go-live certificate: intact, signed by the expected key, judged by today's checks"
    )
    parser.add_argument("file", type=Path, help="the certificate (written by run --certificate)")
    parser.add_argument(
        "--public-key", help="accept only this signer: base64 of its raw 32-byte key, or a PEM file with the key"
    )
    return parser


def verify_main(args: argparse.Namespace) -> int:
    """Print one line (``VALID: ...``, ``STALE: ...``, ``INVALID: ...``) and exit 0, 1 or 2 accordingly."""
    result = verify_certificate(args.file, args.public_key)
    print(f"{result.status.upper()}: {result.message}")
    return EXIT_CODES[result.status]

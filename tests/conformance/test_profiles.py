"""The partner configuration: the shipped example loads; a mistake is refused with the file, the path and the fix;
``env:NAME`` keys are read only when the profile is used; ``preflight`` and ``run`` exit 2 on a bad one."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.cli import main
from conformance.profiles import ProfileError, load_config
from tests.support import ROOT

EXAMPLE = ROOT / "examples" / "partner-profiles.yaml"


def broken(tmp_path: Path, old: str, new: str) -> Path:
    text = EXAMPLE.read_text()
    assert old in text
    path = tmp_path / "profiles.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


def refusal(path: Path) -> str:
    with pytest.raises(ProfileError) as caught:
        load_config(path)
    return str(caught.value)


def test_the_example_has_both_profiles_and_its_record_holds_no_key() -> None:
    config = load_config(EXAMPLE)
    assert set(config.profiles) == {"sandbox", "production"}
    sandbox = config.profile("sandbox")
    assert sandbox.one_base_url() == "http://127.0.0.1:8080" and sandbox.panels["EN-US"].startswith("3c1e9a57")
    record = str(config.profile("production").record())
    assert "env:" not in record and "keys" not in record and "TOLUNA_PRODUCTION" not in record


@pytest.mark.parametrize(
    ("old", "new", "where", "says"),
    [
        ("  production:\n", "  prod:\n", "profiles", "no 'production' profile. Fix: add profiles.production"),
        ("    urls:  #", "    ulrs:  #", "profiles.sandbox", "unknown key 'ulrs'. Fix: rename it to 'urls'"),
        ("EN-US: 3c1e9a57-", "EN-US: 3c1e9a57", "profiles.sandbox.panels.EN-US", "Fix: write the panel's GUID"),
        (
            "IP_CORE_URL: http://127.0.0.1:8080",
            "IP_CORE_URL: 127.0.0.1:8080",
            "profiles.sandbox.urls.IP_CORE_URL",
            "https",
        ),
        ("EN-US: 3c1e9a57", "English: 3c1e9a57", "profiles.sandbox.panels.English", "such as EN-US"),
        ("Quota Notification URL: http://127.0.0.1:8081", "Quota Notify URL: http://127.0.0.1:8081", "", "rename it"),
    ],
)
def test_a_mistake_names_the_file_the_path_and_the_fix(
    tmp_path: Path, old: str, new: str, where: str, says: str
) -> None:
    path = broken(tmp_path, old, new)
    message = refusal(path)
    assert message.startswith(f"{path}: at {where}") and says in message and ". Fix: " in message


def test_broken_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    message = refusal(broken(tmp_path, "    panels:  # culture", "    panels: [  # culture"))
    assert ": at line " in message and "not valid YAML or JSON" in message


def test_env_keys_are_read_only_when_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOLUNA_PRODUCTION_API_AUTH_KEY", raising=False)
    production = load_config(EXAMPLE).profile("production")  # loading needs no secret
    with pytest.raises(ProfileError, match=r"at profiles\.production\.keys\.API_AUTH_KEY: the environment variable"):
        production.secrets()
    monkeypatch.setenv("TOLUNA_PRODUCTION_API_AUTH_KEY", "k-from-env")
    monkeypatch.setenv("TOLUNA_PRODUCTION_PARTNER_AUTH_KEY", "p-from-env")
    assert production.secrets()[0] == {"API_AUTH_KEY": "k-from-env", "PARTNER_AUTH_KEY": "p-from-env"}


def test_preflight_exits_2_on_a_bad_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TOLUNA_PRODUCTION_API_AUTH_KEY", raising=False)
    assert main(["preflight", "--config", str(EXAMPLE), "--profile", "production"]) == 2
    assert "export TOLUNA_PRODUCTION_API_AUTH_KEY=" in capsys.readouterr().err
    assert main(["preflight", "--config", str(EXAMPLE), "--profile", "prodution"]) == 2
    assert "no profile named 'prodution'. Fix: did you mean 'production'?" in capsys.readouterr().err
    assert main(["preflight", "--config", str(tmp_path / "missing.yaml"), "--profile", "sandbox"]) == 2
    assert "cannot read the file" in capsys.readouterr().err


def test_run_refuses_a_profile_it_cannot_attach_to(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    split = broken(tmp_path, "IP_CORE_URL: http://127.0.0.1:8080", "IP_CORE_URL: https://core.example")
    assert main(["run", "--config", str(split), "--profile", "sandbox"]) == 2
    assert "serves all three APIs at one base URL" in capsys.readouterr().out
    assert main(["run", "--config", str(EXAMPLE)]) == 2
    assert "--config and --profile go together" in capsys.readouterr().out

"""The shared deployment as plain commands (deploy/run-local.sh): two ``serve`` processes on one PostgreSQL database
behind Debian's nginx with deploy/nginx.conf, driven over real HTTP through nginx; and deploy/compose.yaml's shape."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import yaml

from tests.support import ES, KEY, PANEL, ROOT, free_port

DEPLOY = ROOT / "deploy"
SCRIPT = DEPLOY / "run-local.sh"
NGINX = "/usr/sbin/nginx"
NGINX_HINT = "Debian's nginx is not installed (apt-get install nginx-light; make test installs it)"
PUBLIC_URL = "https://sandbox.example.test"
START_TIMEOUT_S = 90.0
UPSTREAM = re.compile(r'"[A-Z]+ ([^ "]+)[^"]*" .* upstream=(.+?) upstream_status=')


@dataclass
class Deployment:
    """deploy/run-local.sh running: nginx at ``url`` in front of sandbox-a and sandbox-b."""

    url: str
    token: str
    ports: dict[str, int]
    run_dir: Path
    script: subprocess.Popen[bytes]

    def get(self, path: str, **headers: str) -> requests.Response:
        return requests.get(self.url + path, headers=headers, timeout=30)

    def control(
        self, method: str, path: str, token: str | None = None, json: dict[str, object] | None = None
    ) -> requests.Response:
        headers = {"X-Sandbox-Token": token} if token else {}
        return requests.request(method, f"{self.url}/_sandbox/{path}", headers=headers, json=json, timeout=30)

    def pid(self, name: str) -> int:
        return int((self.run_dir / f"{name}.pid").read_text())

    def upstreams(self, path: str, count: int) -> list[list[int]]:
        """For each request to ``path`` in nginx's access log, in order: the sandbox port(s) nginx sent it to (two
        when the first one failed). nginx writes a line once the answer is sent: wait for ``count`` of them."""
        deadline = time.monotonic() + 10
        while True:
            found = []
            for line in (self.run_dir / "nginx.log").read_text().splitlines():
                m = UPSTREAM.search(line)
                if m and m.group(1) == path:
                    found.append([int(address.rsplit(":", 1)[1]) for address in m.group(2).split(", ")])
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


def _wait_refused(port: int) -> None:
    """Until nothing listens on ``port`` any more (a killed server's socket closes a moment after the signal)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except ConnectionRefusedError:
            return
        time.sleep(0.05)
    pytest.fail(f"port {port} still accepts connections 10 s after its server was killed")


def nginx_binary() -> str:
    if not os.access(NGINX, os.X_OK):
        if os.environ.get("CI"):
            pytest.fail(NGINX_HINT, pytrace=False)
        pytest.skip(NGINX_HINT)
    return NGINX


def _stop(deployment: Deployment) -> None:
    """SIGTERM to the script, which stops what it started; if it does not, kill its processes' groups."""
    deployment.script.send_signal(signal.SIGTERM)
    try:
        deployment.script.wait(timeout=20)
    except subprocess.TimeoutExpired:
        for name in ("sandbox-a", "sandbox-b", "nginx"):
            pid_file = deployment.run_dir / f"{name}.pid"
            if pid_file.exists():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(int(pid_file.read_text()), signal.SIGKILL)
        os.killpg(deployment.script.pid, signal.SIGKILL)
        deployment.script.wait(timeout=10)


@pytest.fixture
def deployment(tmp_path: Path, postgres_url: str) -> Iterator[Deployment]:
    nginx = nginx_binary()
    ports = {"sandbox-a": free_port(), "sandbox-b": free_port(), "nginx": free_port()}
    token = secrets.token_hex(16)
    run_dir = tmp_path / "run"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TOLUNA_SANDBOX")},
        "PYTHONPATH": str(ROOT),
        "TOLUNA_SANDBOX": f"{sys.executable} -m simulator.cli",
        "TOLUNA_SANDBOX_DB": postgres_url,
        "TOLUNA_SANDBOX_ADMIN_TOKEN": token,
        "NGINX": nginx,
        "LISTEN_PORT": str(ports["nginx"]),
        "SANDBOX_PORTS": f"{ports['sandbox-a']} {ports['sandbox-b']}",
        "PUBLIC_URL": PUBLIC_URL,
        "WORKERS": "1",
        "RUN_DIR": str(run_dir),
    }
    out = tmp_path / "run-local.out"
    with out.open("wb") as sink:
        script = subprocess.Popen(
            [str(SCRIPT)], stdout=sink, stderr=subprocess.STDOUT, env=env, cwd=tmp_path, start_new_session=True
        )
    d = Deployment(f"http://127.0.0.1:{ports['nginx']}", token, ports, run_dir, script)
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while "ready at" not in out.read_text():
            if script.poll() is not None or time.monotonic() > deadline:
                logs = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(run_dir.glob("*.log")))
                pytest.fail(f"run-local.sh did not start:\n{out.read_text()}\n{logs}", pytrace=False)
            time.sleep(0.1)
        yield d
    finally:
        _stop(d)


def test_two_sandboxes_behind_nginx_answer_as_one_and_survive_one_going_away(deployment: Deployment) -> None:
    d = deployment
    a, b = d.ports["sandbox-a"], d.ports["sandbox-b"]
    quotas = f"{ES}/{PANEL}/Quotas"
    # the first process loaded the scenario; the second found it stored and kept it
    assert "scenario 'default' loaded" in (d.run_dir / "sandbox-a.log").read_text()
    assert "scenario 'default' resumed" in (d.run_dir / "sandbox-b.log").read_text()

    # Toluna's underscore header reaches the sandbox through nginx: with it GetQuotas answers, without it not
    answers = [d.get(quotas, API_AUTH_KEY=KEY) for _ in range(4)]
    assert [r.status_code for r in answers] == [200] * 4, answers[0].text
    assert answers[0].json()["Surveys"]
    assert d.get(quotas).status_code == 403

    # invite links carry the public address, not the one the request came in on
    invite = d.get(f"{ES}/{PANEL}/M-ANNA/Invite/4200001", API_AUTH_KEY=KEY)
    assert invite.status_code == 200, invite.text
    assert invite.json()["URL"].startswith(PUBLIC_URL + "/"), invite.json()

    # behind the proxy every client is the proxy: the control API asks for the token all the same
    assert d.control("GET", "scenario").status_code == 403
    assert d.control("GET", "scenario", token=d.token).status_code == 200

    # the requests were shared between the two processes
    assert {port for tried in d.upstreams(quotas, 5) for port in tried} == {a, b}

    # one sandbox killed with its workers (gone: its port refuses connections): a POST (refused before anything
    # was sent, nginx may pass it on) and the GETs after it answer, from the one left
    os.killpg(d.pid("sandbox-a"), signal.SIGKILL)
    _wait_refused(a)
    advanced = d.control("POST", "clock/advance", token=d.token, json={"seconds": 1})
    assert advanced.status_code == 200, advanced.text
    after = [d.get(quotas, API_AUTH_KEY=KEY) for _ in range(4)]
    assert [r.status_code for r in after] == [200] * 4, after[0].text
    assert after[0].json()["Surveys"] == answers[0].json()["Surveys"]
    tried = d.upstreams("/_sandbox/clock/advance", 1) + d.upstreams(quotas, 9)[5:]
    assert all(t[-1] == b for t in tried), tried  # every answer came from sandbox-b
    assert [a, b] in tried, tried  # and sandbox-a was tried once, its request passed on


def test_run_local_refuses_a_database_that_is_not_postgresql(tmp_path: Path) -> None:
    env = {**os.environ, "TOLUNA_SANDBOX_DB": str(tmp_path / "s.db"), "TOLUNA_SANDBOX_ADMIN_TOKEN": "t"}
    done = subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "must be a postgresql:// URL" in done.stderr
    env.pop("TOLUNA_SANDBOX_ADMIN_TOKEN")
    done = subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    assert "TOLUNA_SANDBOX_ADMIN_TOKEN" in done.stderr and "Fix:" in done.stderr


# --- deploy/compose.yaml ---------------------------------------------------------------------------------------
def _compose() -> dict[str, object]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def _option(command: list[str], flag: str) -> str:
    assert flag in command, (flag, command)
    return command[command.index(flag) + 1]


def test_compose_runs_two_sandboxes_on_one_database_behind_nginx() -> None:
    services = _compose()["services"]
    assert isinstance(services, dict)
    sandboxes = {n: s for n, s in services.items() if s.get("build", {}).get("dockerfile") == "deploy/Dockerfile"}
    assert sorted(sandboxes) == ["sandbox-a", "sandbox-b"]
    commands = [s["command"] for s in sandboxes.values()]
    databases = {_option(c, "--db") for c in commands}
    assert len(databases) == 1 and next(iter(databases)).startswith("postgresql://")
    assert "@db:5432/sandbox" in next(iter(databases))
    for command in commands:
        assert "--require-token" in command and "--reset" not in command
        assert _option(command, "--host") == "0.0.0.0" and _option(command, "--public-url")
    for name, sandbox in sandboxes.items():
        assert sandbox["depends_on"]["db"]["condition"] == "service_healthy", name
        assert "TOLUNA_SANDBOX_ADMIN_TOKEN" in sandbox["environment"], name
        assert sandbox["healthcheck"]["test"], name
    assert sandboxes["sandbox-b"]["depends_on"]["sandbox-a"]["condition"] == "service_healthy"

    db = services["db"]
    assert db["image"].startswith("postgres:15") and db["healthcheck"]["test"]
    volume = db["volumes"][0].split(":")[0]
    assert volume in _compose()["volumes"]  # a named volume, not a directory

    nginx = services["nginx"]
    assert set(nginx["depends_on"]) == set(sandboxes)
    mounts = [v.split(":") for v in nginx["volumes"]]
    assert [(DEPLOY / src).resolve() for src, dest, *_ in mounts if dest == "/etc/nginx/nginx.conf"] == [
        DEPLOY / "nginx.conf"
    ]
    conf = (DEPLOY / "nginx.conf").read_text()
    for name in sandboxes:  # the upstream names are the services' names
        assert f"server {name}:8080 " in conf


def _compose_works() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        return subprocess.run([docker, "compose", "version"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def test_docker_compose_accepts_the_file() -> None:
    if not _compose_works():
        pytest.skip("docker compose is not available here")
    env = {**os.environ, "TOLUNA_SANDBOX_ADMIN_TOKEN": "t", "POSTGRES_PASSWORD": "p", "PUBLIC_URL": PUBLIC_URL}
    done = subprocess.run(
        ["docker", "compose", "-f", str(DEPLOY / "compose.yaml"), "config", "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr

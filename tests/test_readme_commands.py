"""The README's "Five minutes with curl", pasted as written: its ``sh`` blocks run in order, with bash, in the
repository, from a shell whose PATH does not hold ``.venv/bin`` (the README activates it), against the sandbox
the README starts (``make run &``) on the README's ports. Every command must succeed, and every output the README
promises (a result code in a trailing comment, an end page, what ``trigger`` prints) must appear.

Blocks fenced as plain ``` (expected output) are not run. The database goes to the test's directory through
``DB=``, which the README documents (``DB=path.db make run``). Everything the blocks start runs in one process
group, stopped at the end; no process of it may survive.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from .support import ROOT

README = ROOT / "README.md"
SECTION = "## Five minutes with curl"
PORTS = {8080: "the sandbox (make run)", 9000: "the notification receiver (toluna-sandbox listen)"}
TIMEOUT = 90  # seconds: a ceiling for a hung command; the blocks take about 7 on a quiet machine
#: what changes from one run to the next in printed output: timestamps, times of day, latencies
VARYING = r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?(?:\+00:00)?|\d\d:\d\d:\d\d|\d+ ms"


def section(text: str, heading: str = SECTION) -> str:
    """The README's text from ``heading`` to the next heading of the same level."""
    start = text.index(heading + "\n")
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end >= 0 else len(text)]


def fenced(text: str, language: str) -> list[str]:
    """The fenced blocks of a piece of markdown whose info string is ``language`` ("" for plain ```), in order."""
    return [m.group(2) for m in re.finditer(r"^```(\w*)\n(.*?)^```$", text, re.M | re.S) if m.group(1) == language]


def sh_blocks(text: str) -> list[str]:
    """The fenced ```sh (or ```bash) blocks: the commands to run, in order."""
    return [m.group(2) for m in re.finditer(r"^```(sh|bash)\n(.*?)^```$", text, re.M | re.S)]


def plain_blocks(text: str) -> list[str]:
    """The blocks fenced as plain ```: what the commands print, never run."""
    return fenced(text, "")


def promises(blocks: list[str]) -> list[str]:
    """What the README says a command prints: a JSON object in a trailing comment, a URL on a comment line."""
    found = []
    for line in "\n".join(blocks).splitlines():
        if (m := re.search(r"\s#\s+(\{.*\})\s*$", line)) or (m := re.match(r"#\s+(https?://\S+)", line)):
            found.append(m.group(1))
    return found


def shown(line: str) -> re.Pattern[str]:
    """A line of printed output as a pattern that takes any time, date and latency where the README shows one."""
    pieces = re.split(f"({VARYING})", line.strip())
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?:{VARYING})" for i, p in enumerate(pieces)))


def clean_env(db: Path) -> dict[str, str]:
    """A fresh shell's environment: no virtualenv on the PATH, none of the Makefile's knobs but ``DB``."""
    venv_bin = str(ROOT / ".venv" / "bin")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS", "PYTEST", "VIRTUAL_ENV"))}
    for knob in ("PORT", "HOST", "SCENARIO", "PYTHONPATH"):
        env.pop(knob, None)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p.rstrip("/") != venv_bin)
    env["DB"] = str(db)
    return env


def port_taken(port: int) -> bool:
    """Something listens on ``port`` (a closed connection's TIME_WAIT does not count: servers reuse the address)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def still_running(pgid: int) -> list[int]:
    """The processes of group ``pgid`` still running (a zombie waiting for its parent to reap it is not)."""
    proc = Path("/proc")
    if not proc.is_dir():  # no /proc: ask the kernel whether anything of the group is left
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return []
        return [pgid]
    alive = []
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # ended while we looked
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            alive.append(int(stat.parent.name))
    return alive


def stop_group(pgid: int) -> None:
    """SIGTERM to everything the blocks started, then SIGKILL to what is left after 10 s."""
    for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while still_running(pgid) and time.monotonic() < deadline:
            time.sleep(0.05)


def test_section_has_runnable_blocks() -> None:
    text = section(README.read_text(encoding="utf-8"))
    blocks = sh_blocks(text)
    assert len(blocks) >= 2 and blocks[0].startswith("make run &")
    assert [b for b in plain_blocks(text) if "status: delivered" in b], "what trigger prints is a plain block"
    assert set(promises(blocks)) >= {
        '{"Result":"MEMBER_DOES_NOT_MATCH_QUOTA","ResultCode":16}',
        '{"Result":"QUOTA_NOT_LIVE","ResultCode":9}',
    }


@pytest.mark.server
def test_five_minutes_with_curl_runs_as_written(tmp_path: Path) -> None:
    busy = [f"{port} ({what})" for port, what in PORTS.items() if port_taken(port)]
    if busy:
        pytest.fail(
            f"port {', '.join(busy)} is in use on this machine: the README's commands need it; stop what uses it"
        )
    if subprocess.run(["make", "-q", "install"], cwd=ROOT, capture_output=True).returncode != 0:
        pytest.fail(".venv is not up to date with pyproject.toml: run make install first")
    text = section(README.read_text(encoding="utf-8"))
    blocks = sh_blocks(text)
    db = tmp_path / "sandbox.db"
    out = tmp_path / "out.log"
    # -e and -u, not pipefail: the README pipes output into head, which stops reading early (the writer's broken
    # pipe is no failure); the answers' contents are checked below
    script = "set -eu\n" + "\n".join(blocks)
    started = time.monotonic()
    with out.open("wb") as sink:
        shell = subprocess.Popen(
            ["bash", "-c", script],
            cwd=ROOT,
            env=clean_env(db),
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        code = shell.wait(TIMEOUT)
    except subprocess.TimeoutExpired:
        code = None
    finally:
        stop_group(shell.pid)
    took = time.monotonic() - started
    log = out.read_text(encoding="utf-8", errors="replace")
    assert code is not None, f"the blocks did not finish in {TIMEOUT} s:\n{log}"
    assert code == 0, f"a command failed (exit {code}, after {took:.1f} s):\n{log}"

    assert not still_running(shell.pid), (
        f"processes the blocks started survived SIGTERM and SIGKILL: {still_running(shell.pid)}"
    )
    left = subprocess.run(["pgrep", "-f", str(db)], capture_output=True, text=True).stdout
    assert not left.strip(), f"a sandbox serving {db} is still running: {left}"

    missing = [p for p in promises(blocks) if p not in log]
    assert not missing, f"the README promises {missing}, the commands printed:\n{log}"
    statuses = re.findall(r"^    status: (\w+)$", log, re.M)
    assert statuses and set(statuses) == {"delivered"}, f"trigger's notifications: {statuses}\n{log}"
    for line in plain_blocks(text)[0].splitlines():  # what trigger and the receiver print
        if line.strip():
            assert shown(line).search(log), f"the README shows {line.strip()!r}; the commands printed:\n{log}"


RECIPE = "### Support recipe: a partner's failing invite in four commands"
#: The recipe's own sandbox port (the README's ``serve --port``).
RECIPE_PORT = 8090


def test_the_support_recipe_runs_as_written(tmp_path: Path) -> None:
    """The recipe's block, pasted as written: its sandbox is started by the block and stopped with it; ``explain``
    prints what the README shows (lines that hold the date or the member's age, which move with the calendar, and
    the elision ``...`` aside)."""
    if port_taken(RECIPE_PORT):
        pytest.fail(f"port {RECIPE_PORT} is in use on this machine: the support recipe serves on it; stop what uses it")
    text = README.read_text(encoding="utf-8")
    start = text.index(RECIPE + "\n")
    end = text.find("\n### ", start + len(RECIPE))
    recipe = text[start:end]
    (block,) = sh_blocks(recipe)
    env = {**clean_env(tmp_path / "unused.db"), "TMPDIR": str(tmp_path)}
    out = tmp_path / "recipe.log"
    code = run_block(block, ROOT, env, out)
    log = out.read_text(encoding="utf-8", errors="replace")
    assert code == 0, f"a command of the recipe failed (exit {code}):\n{log}"
    expected = [
        line
        for line in plain_blocks(recipe)[0].splitlines()
        if line.strip() and line.strip() != "..." and not re.search(r"\d{4}-\d\d-\d\d| age \d+", line)
    ]
    assert expected, "the recipe shows what explain prints"
    for line in expected:
        assert shown(line).search(log), f"the README shows {line.strip()!r}; the recipe printed:\n{log}"


#: Sections whose ```sh blocks the tests above run, and the one that runs make itself.
RUN_ABOVE = ("## Two commands", SECTION, RECIPE)
#: Blocks that start their own sandbox on the README's port: the shared one stops first.
OWN_SANDBOX = "toluna-sandbox serve"
#: What the other blocks' commands need from a checkout: the tools, the scenarios, the example partner.
CHECKOUT = (".venv", "fixtures", "examples", "simulator", "conformance", "Makefile", "pyproject.toml")


def part(text: str, heading: str) -> str:
    """The README's text under ``heading``, up to the next heading of the same level or a higher one."""
    level = heading.split(" ", 1)[0]
    start = text.index(heading + "\n")
    # from "##" down: a "# " line inside a shell block is a comment, not a heading
    ends = [text.find(f"\n{'#' * n} ", start + len(heading)) for n in range(2, len(level) + 1)]
    found = [e for e in ends if e >= 0]
    return text[start : min(found) if found else len(text)]


def other_blocks(text: str) -> list[str]:
    """Every ```sh block of the README outside the sections run above, in order."""
    for heading in RUN_ABOVE:
        text = text.replace(part(text, heading), "")
    return sh_blocks(text)


def run_block(block: str, cwd: Path, env: dict[str, str], log: Path) -> int | None:
    with log.open("ab") as sink:
        sink.write(f"\n$ {block}\n".encode())
        sink.flush()
        shell = subprocess.Popen(
            ["bash", "-c", "set -eu\n. .venv/bin/activate\n" + block],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            return shell.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            return None
        finally:
            stop_group(shell.pid)


@pytest.mark.slow
def test_every_other_readme_command_runs_as_written(tmp_path: Path) -> None:
    """The README's other ```sh blocks, each pasted into a shell as written (with ``.venv`` activated, as "Two
    commands" says), in a scratch directory that holds the checkout's tools, scenarios and example partner, with the
    sandbox the README assumes on 127.0.0.1:8080 (the default scenario) while they run."""
    busy = [port for port in (8080, 8081, 8090) if port_taken(port)]
    if busy:
        pytest.fail(f"ports {busy} are in use on this machine: the README's commands need them")
    blocks = other_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 6
    work = tmp_path / "checkout"
    work.mkdir()
    for name in CHECKOUT:
        (work / name).symlink_to(ROOT / name)
    env = clean_env(tmp_path / "unused.db")
    log = tmp_path / "blocks.log"
    serve = [
        str(ROOT / ".venv/bin/toluna-sandbox"),
        "serve",
        "--scenario",
        str(ROOT / "fixtures/scenarios/default.yaml"),
    ]
    sandbox = subprocess.Popen(
        [*serve, "--db", str(tmp_path / "sandbox.db"), "--port", "8080"],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        up = run_block(
            "until curl -s -o /dev/null http://127.0.0.1:8080/_sandbox/health; do sleep 0.2; done", work, env, log
        )
        assert up == 0, log.read_text()
        for block in blocks:
            if OWN_SANDBOX in block:
                stop_group(sandbox.pid)
                sandbox.wait(10)
            code = run_block(block, work, env, log)
            assert code == 0, f"a block failed (exit {code}):\n{block}\n--- what the blocks printed:\n{log.read_text()}"
    finally:
        stop_group(sandbox.pid)
        sandbox.wait(10)

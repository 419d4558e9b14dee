"""The private PostgreSQL cluster the tests start: a real server, its databases, its user, its teardown."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.postgres import (
    INSTALL_HINT,
    PostgresCluster,
    _flock,
    _service_account,
    find_bindir,
    require_postgres,
    sweep,
)
from tests.support import ROOT


def _uid(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])


def _gone(pid: int, within: float = 10.0) -> bool:
    """True once `pid` has exited (a zombie nobody reaps counts as exited)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line[:6] == "State:")
        except FileNotFoundError:
            return True
        if "Z" in state.split()[1]:
            return True
        time.sleep(0.05)
    return False


def test_the_cluster_accepts_connections_and_runs_postgresql_15_or_newer(postgres_url: str) -> None:
    assert postgres_url.startswith("postgresql://sandbox@127.0.0.1:")
    with psycopg.connect(postgres_url) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()
        database = conn.execute("SELECT current_database()").fetchone()
    assert version is not None and int(version[0]) >= 150000
    assert database is not None and postgres_url.endswith("/" + database[0])


def test_two_new_databases_do_not_see_each_others_tables(postgres_cluster: PostgresCluster) -> None:
    first, second = postgres_cluster.new_database(), postgres_cluster.new_database()
    try:
        assert first != second
        with psycopg.connect(first) as conn:
            conn.execute("CREATE TABLE panels (id int)")
            conn.execute("INSERT INTO panels VALUES (1)")
        with psycopg.connect(second) as conn:
            assert conn.execute("SELECT to_regclass('panels')").fetchone() == (None,)
        with psycopg.connect(first) as conn:
            assert conn.execute("SELECT count(*) FROM panels").fetchone() == (1,)
    finally:
        postgres_cluster.drop_database(first)
        postgres_cluster.drop_database(second)


def test_dropping_a_database_closes_the_connections_still_open_to_it(postgres_cluster: PostgresCluster) -> None:
    url = postgres_cluster.new_database()
    name = url.rsplit("/", 1)[1]
    leftover = psycopg.connect(url)
    postgres_cluster.drop_database(url)
    with psycopg.connect(postgres_cluster.url()) as conn:
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,)).fetchone() == (0,)
    with pytest.raises(psycopg.OperationalError):
        leftover.execute("SELECT 1")
    leftover.close()


def test_the_server_and_its_backends_do_not_run_as_root(postgres_cluster: PostgresCluster, postgres_url: str) -> None:
    account = _service_account()
    assert account is not None and postgres_cluster.process is not None
    with psycopg.connect(postgres_url) as conn:
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
        assert row is not None
        backend_uid = _uid(row[0])
    assert _uid(postgres_cluster.process.pid) == backend_uid == account.pw_uid
    if os.geteuid() == 0:
        assert account.pw_uid != 0 and account.pw_name == "postgres"


def test_stopping_shuts_the_server_down_and_removes_its_directory(postgres_cluster: PostgresCluster) -> None:
    other = PostgresCluster(postgres_cluster.bindir, key=postgres_cluster.key).start()
    assert other.timings["template"] < 1.0, "the run's template is reused, not written again"
    assert other.port != postgres_cluster.port and other.dir != postgres_cluster.dir
    assert other.process is not None and other.dir is not None
    assert (other.data / "PG_VERSION").exists()
    pid, directory = other.process.pid, other.dir
    other.stop()
    assert other.process.poll() is not None and _gone(pid)
    assert not directory.exists()
    assert not directory.with_name(directory.name + ".lock").exists()
    with psycopg.connect(postgres_cluster.url()) as conn:  # the session's cluster is untouched
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_a_server_whose_owner_is_killed_goes_down_and_the_next_sweep_removes_it(
    postgres_cluster: PostgresCluster,
) -> None:
    code = (
        "import sys, time\n"
        "from tests.postgres import PostgresCluster, postgres_bindir\n"
        "c = PostgresCluster(postgres_bindir(), key=sys.argv[1]).start()\n"
        "print(c.process.pid, c.dir, flush=True)\n"
        "time.sleep(120)\n"
    )
    command = [sys.executable, "-c", code, postgres_cluster.key]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as owner:
        try:
            assert owner.stdout is not None
            pid, directory = owner.stdout.readline().split(" ", 1)
        finally:
            owner.send_signal(signal.SIGKILL)
    left = Path(directory.strip())
    assert _gone(int(pid)), "the postmaster outlived the process that started it"
    assert left.exists()
    assert left in sweep(postgres_cluster.base, keep=postgres_cluster.key)
    assert not left.exists()


def test_sweep_removes_only_what_nobody_holds(tmp_path: Path) -> None:
    for name in ("c-1-dead", "c-2-live", "t-other", "t-mine"):
        (tmp_path / name / "data").mkdir(parents=True)
        (tmp_path / f"{name}.lock").touch()
    held = _flock(tmp_path / "c-2-live.lock", fcntl.LOCK_EX)
    try:
        removed = sweep(tmp_path, keep="mine")
    finally:
        assert held is not None
        os.close(held)
    assert sorted(p.name for p in removed) == ["c-1-dead", "t-other"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c-2-live", "c-2-live.lock", "t-mine", "t-mine.lock"]


def test_the_newest_installed_version_is_chosen(tmp_path: Path) -> None:
    for version, names in (("9.6", ("initdb", "postgres")), ("15", ("initdb", "postgres")), ("16", ("initdb",))):
        for name in names:
            binary = tmp_path / version / "bin" / name
            binary.parent.mkdir(parents=True, exist_ok=True)
            binary.write_text("#!/bin/sh\n")
            binary.chmod(0o755)
    assert find_bindir((str(tmp_path),)) == tmp_path / "15" / "bin"  # 16 has no server binary, 9.6 is older


def test_without_postgresql_ci_fails_and_elsewhere_skips_saying_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match="install Debian's postgresql package"):
        require_postgres(None, ci=True)
    with pytest.raises(pytest.skip.Exception, match="make test"):
        require_postgres(None, ci=False)
    assert "apt-get install postgresql" in INSTALL_HINT
    assert require_postgres(tmp_path, ci=True) == tmp_path

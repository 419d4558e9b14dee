"""A private PostgreSQL cluster for the tests, and the pytest fixtures that hand it out.

One ``initdb`` per test run writes a template data directory (guarded by a file lock keyed by the run, so the
pytest-xdist workers of one run share it); each worker that asks for PostgreSQL copies the template and starts its
own postmaster on a free loopback port, as the ``postgres`` system user when the tests run as root. The postmaster
gets SIGQUIT (PostgreSQL's immediate shutdown) when the process that started it dies, even by ``kill -9``; the
directories such a run leaves behind are removed by the next run.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import functools
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .support import free_port

if TYPE_CHECKING:
    import psycopg
    from psycopg import sql

SUPERUSER = "sandbox"
SERVICE_USER = "postgres"  # the unprivileged user Debian's postgresql package creates
INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, postgres) not found in /usr/lib/postgresql/*/bin nor at `pg_config --bindir`: "
    "install Debian's postgresql package (apt-get install postgresql; `make test` installs it)"
)
_DISPOSABLE = ("fsync=off", "synchronous_commit=off", "full_page_writes=off", "jit=off")  # no durability, less CPU
# room for ~10 sandbox processes of ~10 connections each per cluster
SERVER_SETTINGS = ("listen_addresses=127.0.0.1", "max_connections=300", "shared_buffers=16MB", *_DISPOSABLE)
START_TIMEOUT = 30.0
_PR_SET_PDEATHSIG = 1


def base_dir() -> Path:
    """Where clusters and templates live: one directory per user, traversable by the service user."""
    return Path(tempfile.gettempdir()) / f"toluna-sandbox-pg-{os.getuid()}"


def find_bindir(roots: tuple[str, ...] = ("/usr/lib/postgresql",)) -> Path | None:
    """The newest installed PostgreSQL server's bin directory, else `pg_config --bindir`, else None."""
    found = [p for root in roots for p in Path(root).glob("*/bin")]
    candidates = sorted(found, key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.name)], reverse=True)
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True)
            candidates.append(Path(out.stdout.strip()))
    for bindir in candidates:
        if all(os.access(bindir / name, os.X_OK) for name in ("initdb", "postgres")):
            return bindir
    return None


@functools.cache
def postgres_bindir() -> Path | None:
    """The binaries' directory the fixtures use (found once per process)."""
    return find_bindir()


def _service_account() -> pwd.struct_passwd | None:
    """The account the servers run as: the service user when the tests run as root, else the current user."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid())
    return next((account for account in pwd.getpwall() if account.pw_name == SERVICE_USER), None)


def unavailable_reason(bindir: Path | None) -> str | None:
    if bindir is None:
        return INSTALL_HINT
    if _service_account() is None:
        return f"PostgreSQL refuses to run as root and there is no {SERVICE_USER!r} user: install Debian's postgresql"
    return None


def postgres_available() -> bool:
    return unavailable_reason(postgres_bindir()) is None


def require_postgres(bindir: Path | None, ci: bool) -> Path:
    """The binaries' directory; when PostgreSQL cannot run, fail in CI and skip elsewhere, saying what to install."""
    reason = unavailable_reason(bindir)
    if reason is not None:
        if ci:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    assert bindir is not None
    return bindir


def _flock(path: Path, kind: int) -> int | None:
    """An open descriptor of `path` holding `kind` (flock flags); None when LOCK_NB is given and the lock is taken.
    A lock won on a file that a sweep unlinked meanwhile is dropped and taken again on the new file."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, kind)
        except BlockingIOError:
            os.close(fd)
            return None
        with contextlib.suppress(FileNotFoundError):
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        os.close(fd)


def _owned_dir(path: Path, account: pwd.struct_passwd, mode: int = 0o700) -> Path:
    path.mkdir(mode=mode)
    if os.geteuid() == 0:
        os.chown(path, account.pw_uid, account.pw_gid)
    return path


def _run_as(account: pwd.struct_passwd) -> dict[str, object]:
    """Popen arguments that drop root for the service account (nothing to drop otherwise)."""
    if os.geteuid() != 0:
        return {}
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _server_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")} | {"LC_ALL": "C"}


def _die_with_parent_hook() -> Callable[[], None] | None:
    """A preexec function asking the kernel to SIGQUIT the child when its parent dies (Linux), else None. Only from
    the main thread: the kernel watches the thread that forks, and a test thread ends long before the session."""
    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGQUIT))
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return hook


def _stop_orphan(data: Path) -> None:
    """Immediate shutdown of a postmaster left running in `data` by a run that died."""
    try:
        pid = int((data / "postmaster.pid").read_text().split("\n", 1)[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return
    if str(data).encode() in cmdline:
        os.kill(pid, signal.SIGQUIT)
        deadline = time.monotonic() + 5
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)


def sweep(base: Path, keep: str | None = None) -> list[Path]:
    """Remove the clusters and templates under `base` whose owners are gone (their lock files are free), except the
    template of run `keep`; stop any postmaster still running in them. Returns what was removed."""
    removed = []
    for lock in sorted(base.glob("*.lock")) if base.is_dir() else []:
        target = lock.with_suffix("")
        if target.name == f"t-{keep}":
            continue
        fd = _flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if fd is None:
            continue
        try:
            _stop_orphan(target / "data")
            shutil.rmtree(target, ignore_errors=True)
            lock.unlink(missing_ok=True)
            removed.append(target)
        finally:
            os.close(fd)
    return removed


def run_key() -> str:
    """The test run: pytest-xdist's run id, shared by the workers of one run, else this process."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid{os.getpid()}")


class PostgresCluster:
    """A private PostgreSQL server on 127.0.0.1 with trust authentication, copied from the run's template."""

    def __init__(self, bindir: Path, key: str | None = None, base: Path | None = None) -> None:
        self.bindir = bindir
        self.key = key or run_key()
        self.base = base or base_dir()
        account = _service_account()
        if account is None:
            raise RuntimeError(unavailable_reason(bindir) or "no account to run PostgreSQL as")
        self.account = account
        self.port = 0
        self.dir: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.timings: dict[str, float] = {}
        self._template_fd: int | None = None
        self._dir_fd: int | None = None
        self._admin: psycopg.Connection | None = None
        self._admin_lock = threading.Lock()
        self._count = 0

    @property
    def data(self) -> Path:
        assert self.dir is not None, "the cluster is not started"
        return self.dir / "data"

    @property
    def log(self) -> Path:
        return self.data.parent / "server.log"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def start(self) -> PostgresCluster:
        self.base.mkdir(exist_ok=True)
        self.base.chmod(0o755)  # whatever the umask: the service user must reach its directories
        sweep(self.base, keep=self.key)
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        began = time.monotonic()
        template = self._template()
        self.timings["template"] = time.monotonic() - began
        began = time.monotonic()
        name = f"c-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._dir_fd = _flock(self.base / f"{name}.lock", fcntl.LOCK_EX)
        self.dir = _owned_dir(self.base / name, self.account)
        subprocess.run(["cp", "-a", str(template / "data"), str(self.data)], check=True, capture_output=True)
        self.timings["copy"] = time.monotonic() - began
        began = time.monotonic()
        self._launch()
        self.timings["ready"] = time.monotonic() - began

    def _template(self) -> Path:
        """The run's template data directory, written by the first caller under an exclusive lock; returned with a
        shared lock held (copies run side by side; sweeps, which need the exclusive lock, keep off it)."""
        template, lock = self.base / f"t-{self.key}", self.base / f"t-{self.key}.lock"
        while True:
            self._template_fd = _flock(lock, fcntl.LOCK_SH)
            if (template / "ready").exists():
                return template
            os.close(self._template_fd)
            self._template_fd = _flock(lock, fcntl.LOCK_EX)
            if not (template / "ready").exists():
                shutil.rmtree(template, ignore_errors=True)  # a partial template of an interrupted initdb
                _owned_dir(template, self.account, 0o755)
                self._initdb(template / "data")
                (template / "ready").write_text(f"{self.bindir}\n")
            os.close(self._template_fd)  # then the shared lock again, and a check that no sweep came in between

    def _initdb(self, data: Path) -> None:
        command = [str(self.bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8"]
        command += ["--locale=C", "--no-sync", "--no-instructions", "--wal-segsize=1"]
        run_as = _run_as(self.account)
        done = subprocess.run(command, capture_output=True, text=True, cwd=data.parent, env=_server_env(), **run_as)
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed ({done.returncode}):\n{done.stdout}{done.stderr}")

    def _launch(self) -> None:
        assert self.dir is not None
        for _attempt in range(5):
            self.port = free_port()
            command = [str(self.bindir / "postgres"), "-D", str(self.data), "-p", str(self.port)]
            command += [f"-cunix_socket_directories={self.dir}"] + [f"-c{setting}" for setting in SERVER_SETTINGS]
            with open(self.log, "ab") as log:
                self.process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self.dir,
                    env=_server_env(),
                    start_new_session=True,  # a Ctrl-C reaches pytest, which stops the server in order
                    preexec_fn=_die_with_parent_hook(),  # only calls prctl: safe between fork and exec
                    **_run_as(self.account),
                )
            if self._wait_ready():
                import psycopg

                self._admin = psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=10)
                return
            if "could not bind" not in self.log_tail():
                break
        raise RuntimeError(f"PostgreSQL did not start in {self.data}; server log ends with:\n{self.log_tail()}")

    def _wait_ready(self) -> bool:
        """True once the postmaster reports itself ready in postmaster.pid; False when it exited; raises on timeout."""
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        pid_file = self.data / "postmaster.pid"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            with contextlib.suppress(OSError):
                if [line.strip() for line in pid_file.read_text().split("\n")[7:8]] == ["ready"]:  # the status line
                    return True
            time.sleep(0.01)
        raise RuntimeError(
            f"PostgreSQL did not accept connections within {START_TIMEOUT:.0f} s on port {self.port}; "
            f"server log ends with:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except (OSError, AssertionError):
            return "(no server log)"

    def execute(self, statement: sql.Composable) -> None:
        """Run one statement on the maintenance database, in autocommit (CREATE/DROP DATABASE need it)."""
        with self._admin_lock:
            assert self._admin is not None, "the cluster is not started"
            self._admin.execute(statement)

    def new_database(self) -> str:
        """A fresh, uniquely named, empty database; its URL."""
        from psycopg import sql

        with self._admin_lock:
            self._count += 1
            name = f"t{self._count}_{uuid.uuid4().hex[:8]}"
        self.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop the database of `url`, closing any connection still open to it."""
        from psycopg import sql

        name = url.rsplit("/", 1)[-1]
        self.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def stop(self) -> None:
        """Immediate shutdown (SIGQUIT, as `pg_ctl stop -m immediate`), then remove the cluster's directory."""
        if self._admin is not None:
            with contextlib.suppress(Exception):  # the server may be gone already
                self._admin.close()
            self._admin = None
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            (self.base / f"{self.dir.name}.lock").unlink(missing_ok=True)  # still held: no sweep can race for it
        for fd in (self._dir_fd, self._template_fd):
            if fd is not None:
                os.close(fd)
        self._dir_fd = self._template_fd = None


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """This worker's cluster, started on first use and stopped (directory removed) when the session ends."""
    bindir = require_postgres(postgres_bindir(), ci=bool(os.environ.get("CI")))
    cluster = PostgresCluster(bindir).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """A fresh database for the test, dropped afterwards (WITH FORCE: connections left open do not keep it)."""
    url = postgres_cluster.new_database()
    yield url
    postgres_cluster.drop_database(url)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """After the whole run (the xdist controller, or a run without xdist): remove the templates and clusters that
    nobody holds any more, this run's template included."""
    if not hasattr(session.config, "workerinput"):
        sweep(base_dir())

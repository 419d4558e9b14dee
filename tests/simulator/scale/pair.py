"""Several ``toluna-sandbox serve`` processes on one PostgreSQL database, and the member's walk through them: invited,
on the survey page, then an outcome posted to whichever process the test names."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import requests

from tests.postgres import PostgresCluster
from tests.simulator.api.test_survey_flow import answer
from tests.support import DEFAULT_SCENARIO, Sandbox, click, reference, start_sandbox

#: The default scenario's generated population (``populations:``): members GEN-000000 to GEN-000499.
POPULATION = 500


@dataclass
class Pair:
    """Two ``serve`` commands (each its own process group) serving one sandbox from the database at ``url``."""

    a: Sandbox
    b: Sandbox
    url: str
    tmp: Path
    workers: tuple[int, int]

    def servers(self) -> list[Sandbox]:
        return [self.a, self.b]

    def revive(self) -> None:
        """Start again, on the same database, a server that was killed (it resumes the state the other kept)."""
        for name, count in zip("ab", self.workers, strict=True):
            if getattr(self, name).process.poll() is not None:
                setattr(self, name, _start(self.tmp / name, self.url, count))


def _start(tmp: Path, url: str, workers: int) -> Sandbox:
    tmp.mkdir(exist_ok=True)
    return start_sandbox(tmp, DEFAULT_SCENARIO, "--db", url, workers=workers)


@contextmanager
def serving_pair(cluster: PostgresCluster, tmp: Path, workers: tuple[int, int] = (1, 1)) -> Iterator[Pair]:
    """A fresh database and two servers on it: A loads the scenario, B starts on the state A left (resumes it)."""
    url = cluster.new_database()
    pair = None
    try:
        a = _start(tmp / "a", url, workers[0])
        try:
            pair = Pair(a, _start(tmp / "b", url, workers[1]), url, tmp, workers)
        except BaseException:
            a.stop()
            raise
        yield pair
    finally:
        for server in pair.servers() if pair else []:
            if server.process.poll() is None:
                server.stop()
        cluster.drop_database(url)


def process_group(pgid: int) -> set[int]:
    """The pids of a process group (a server and its workers; Linux's /proc)."""
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[2]) == pgid:
            pids.add(int(stat.parent.name))
    return pids


def leases(url: str) -> dict[int, int]:
    """The notifications under lease, by id, with the pid of the process holding each (``<pid>-<id>@tsbx ...``)."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT id, lease_owner FROM outbox WHERE status = 'pending' AND lease_owner IS NOT NULL")
        return {int(i): int(owner.split("-", 1)[0]) for i, owner in rows.fetchall()}


@dataclass(frozen=True)
class Visit:
    member: str
    url: str  # the invite link, as the process that answered GenerateInvite wrote it
    ref: str  # the survey page's visit reference

    def on(self, via: Sandbox, origin: Sandbox) -> str:
        """The link as served by ``via`` (the same path on another process)."""
        return via.base_url + self.url.removeprefix(origin.base_url)


def started_visits(sandbox: Sandbox, count: int, quota: int) -> list[Visit]:
    """``count`` generated members invited to ``quota`` and each on its survey page (a started visit); members the
    quota's sampling refuses are passed over."""
    visits: list[Visit] = []
    with requests.Session() as session:
        for i in range(POPULATION):
            member = f"GEN-{i:06d}"
            invited = sandbox.invite(member, quota)
            if invited.status_code != 200:
                continue
            url = invited.json()["URL"]
            page = click(url, session)
            assert page.status_code == 200, page.text[:300]
            visits.append(Visit(member, url, reference(page)))
            if len(visits) == count:
                return visits
    raise AssertionError(f"only {len(visits)} of the population could be invited to quota {quota}")


def finish(visit: Visit, outcome: str, via: Sandbox, origin: Sandbox) -> str:
    """The member posts ``outcome`` through ``via``; where the sandbox sends them (the end page's URL)."""
    with requests.Session() as own:
        done = answer(visit.on(via, origin), outcome, own, visit.ref)
    assert done.status_code == 302, done.text[:300]
    return done.headers["Location"]

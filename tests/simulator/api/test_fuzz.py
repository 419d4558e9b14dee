"""The CI slice of the fuzz run: every operation of ``/openapi.json``, a few cases each with a fixed seed, against a
fresh real server. No 5xx, and every answer as the document says (``python -m tests.fuzz`` is the long run)."""

from __future__ import annotations

from pathlib import Path

from tests.fuzz import fuzz, load_schema, ordered
from tests.support import start_sandbox

CASES_PER_OPERATION = 3
SEED = 20260115


def test_every_operation_answers_as_documented(tmp_path: Path) -> None:
    server = start_sandbox(tmp_path)
    try:
        tally = fuzz(server.base_url, CASES_PER_OPERATION, SEED)
    finally:
        server.stop()
    assert not tally.failures, "\n".join(tally.failures)
    every = {f"{op.method.upper()} {op.path}" for op in ordered(load_schema())}
    assert set(tally.cases) == every
    assert all(count >= 1 for count in tally.cases.values())

"""A few seconds of ``python -m bench.soak`` on a real server with small retention limits: the journal and the
finished notifications stay within their limits (plus what arrives between two prune passes) while many times
that many arrive, and the notifications pending across a scenario load are delivered afterwards."""

from __future__ import annotations

from pathlib import Path

from bench.soak import Sample, Settings, run


def test_retention_holds_the_tables_under_their_limits_on_a_real_server(tmp_path: Path) -> None:
    settings = Settings(
        seconds=5, sample_seconds=0.5, reload_seconds=2, keep_journal=50, keep_outbox=5, prune_seconds=0.5, pace=0.4
    )

    def enough(s: Sample) -> bool:  # many times the limits arrived, however slow the machine is
        return s.arrived["journal"] > 3 * settings.keep_journal and s.arrived["outbox"] > 3 * settings.keep_outbox

    result = run(settings, tmp_path, enough=enough, longest=30)
    last = result.samples[-1]
    assert enough(last), last.arrived
    assert result.peak("journal") <= result.bound("journal", settings.keep_journal)
    assert result.peak("outbox_done") <= result.bound("outbox", settings.keep_outbox)
    assert result.reloads and all(r.carried and not r.lost for r in result.reloads)
    assert last.processes >= 1 + settings.workers and last.rss_kb > 0  # the server's workers are measured too

"""The console's conformance runs (``/console/runs``): the reports ``toluna-conformance`` wrote into the reports
directory (``serve --reports DIR``, the app setting ``REPORTS_DIR``, default ``.sandbox/reports``), newest first,
with the verdict and counts read from each JSON report; ``/console/runs/<name>`` serves one report file, never a
path outside the directory (no ``..``, no absolute path, no link)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, render_template

from simulator.services import Services

from ..context import bind
from .pages import message

#: The app setting naming the reports directory, and its default (relative to the server's working directory).
CONFIG = "REPORTS_DIR"
DEFAULT = ".sandbox/reports"
#: The report files the console lists and serves, and what it answers each with.
TYPES = {".html": "text/html; charset=utf-8", ".json": "application/json"}
#: How many runs the page lists (the newest), and the largest JSON report it reads.
SHOWN = 50
MAX_JSON_BYTES = 8 * 1024 * 1024


def reports_dir() -> Path:
    return Path(current_app.config.get(CONFIG) or DEFAULT)


def _plain(path: Path) -> bool:
    """A regular file reached without a link."""
    return path.is_file() and not path.is_symlink()


def _summary(path: Path) -> dict[str, Any]:
    """What the page shows of a JSON report (or why it cannot)."""
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            return {"Problem": f"larger than {MAX_JSON_BYTES // 1024 // 1024} MB: not read"}
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        return {"Problem": f"not a readable JSON report ({type(e).__name__})"}
    if not isinstance(doc, dict) or "verdict" not in doc:
        return {"Problem": "not a toluna-conformance JSON report (no verdict)"}
    counts = doc.get("counts") if isinstance(doc.get("counts"), dict) else {}
    return {
        "Verdict": str(doc["verdict"]),
        "Partner": str(doc.get("partner") or ""),
        "Started": str(doc.get("started") or ""),
        "Finished": str(doc.get("finished") or ""),
        "Counts": {str(k): v for k, v in counts.items()},
        "Aborted": doc.get("aborted"),
    }


def runs() -> list[dict[str, Any]]:
    """Each report in the directory (a JSON report, its HTML report, or both under one name), newest first."""
    folder = reports_dir()
    if not folder.is_dir():
        return []
    files: dict[str, dict[str, Path]] = {}
    for path in folder.iterdir():
        if path.suffix in TYPES and not path.name.startswith(".") and _plain(path):
            files.setdefault(path.stem, {})[path.suffix] = path
    found = []
    for stem, by_type in files.items():
        written = max(p.stat().st_mtime for p in by_type.values())
        found.append((written, stem, by_type))
    found.sort(reverse=True)
    out = []
    for written, stem, by_type in found[:SHOWN]:
        run: dict[str, Any] = {
            "Name": stem,
            "Written": datetime.fromtimestamp(written, UTC).isoformat(timespec="seconds"),
        }
        run["HTML"] = by_type[".html"].name if ".html" in by_type else None
        run["JSON"] = by_type[".json"].name if ".json" in by_type else None
        if ".json" in by_type:
            run.update(_summary(by_type[".json"]))
        out.append(run)
    return out


def runs_page() -> str:
    return render_template("console/runs.html", runs=runs(), folder=reports_dir(), total_shown=SHOWN)


def report_file(name: str) -> Response:
    """One report file of the directory, by its plain name."""
    folder = reports_dir()
    suffix = Path(name).suffix
    path = folder / name
    if (
        suffix not in TYPES
        or name.startswith(".")
        or any(c in name for c in "/\\\0")
        or not _plain(path)
        or not path.resolve().is_relative_to(folder.resolve())
    ):
        return message(
            404,
            "Not found",
            [f"No report {name[:100]!r} in the reports directory. Fix: pick one from /console/runs."],
        )
    resp = Response(path.read_bytes(), 200, content_type=TYPES[suffix])
    resp.headers["Content-Security-Policy"] = "sandbox"  # a report acts on nothing: no script, no form
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def register(bp: Blueprint, services: Services) -> None:
    bind(bp, "/console/runs", runs_page)
    bind(bp, "/console/runs/<name>", report_file)

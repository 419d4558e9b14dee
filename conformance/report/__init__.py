"""Report writers: each turns one ``Report`` into one format; the CLI and the pytest plugin share them."""

from __future__ import annotations

from pathlib import Path

from ..model import Report
from .html import render_html
from .json import render_json
from .junit import render_junit

WRITERS = {"json": render_json, "junit": render_junit, "html": render_html}


def write(report: Report, fmt: str, path: str | Path) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(WRITERS[fmt](report), encoding="utf-8")
    return out

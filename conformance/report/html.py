"""A self-contained HTML report (no external file or script): the sign-off first, then every step and check with
its evidence, explanation trees and requests."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from ..model import Report, Status

_ENV = Environment(loader=PackageLoader("conformance.report", "templates"), autoescape=select_autoescape(["html"]))


def render_html(report: Report) -> str:
    return _ENV.get_template("report.html").render(report=report, counts=report.counts(), Status=Status)

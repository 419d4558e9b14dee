"""A partner's exchanges as HAR 1.2: ``export`` turns a running sandbox's request journal into a HAR file,
``replay`` sends a HAR file's requests again and ``compare`` says which answers differ from the recorded ones.

A client of the control API and of the partner routes over HTTP (requests): no Flask, no store."""

from __future__ import annotations


class HarError(Exception):
    """A HAR file that cannot be read, or a sandbox that does not answer: the message names the problem and the fix."""

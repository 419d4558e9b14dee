"""What every Hypothesis run of the project shares: its caches out of the repository, and one reproducible profile.

Hypothesis keeps caches (the constants it mines from source files, schemathesis's too) under its home directory,
the working directory by default; importing this module moves them to ``HYPOTHESIS_STORAGE_DIRECTORY`` or the
system's temporary directory.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

set_hypothesis_home_dir(os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY") or Path(tempfile.gettempdir()) / "hypothesis")

#: Reproducible in CI: the same examples on every run, no example database, no per-example deadline.
PROPERTY = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

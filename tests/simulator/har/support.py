"""What the HAR tests share: the JSON Schema of HAR 1.2's required fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA = json.loads((Path(__file__).parent / "har12_required.json").read_text(encoding="utf-8"))


def har_problems(doc: Any) -> list[str]:
    """Every way ``doc`` breaks HAR 1.2's required fields (none for a valid file)."""
    validator = jsonschema.Draft202012Validator(SCHEMA)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]

"""``toluna-sandbox import-quotas`` and ``generate-inventory``: inventories in and out of scenario files.

``import-quotas`` turns a GetQuotas body captured from Toluna into a scenario, so a partner can replay the
exact inventory their integration saw; ``generate-inventory`` writes a synthetic body shaped like a real one
when no capture is at hand. ``simulator.cli`` adds both commands when this module is present.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from simulator.domain.errors import ScenarioError
from simulator.scenario.generate import generate_inventory
from simulator.scenario.importer import count_quotas, read_body, scenario_from_body, write_scenario


def cmd_import_quotas(args: argparse.Namespace) -> int:
    """Read the body, build the scenario, write it; any problem is a ``ScenarioError`` (exit 2)."""
    body = read_body(args.body)
    doc = scenario_from_body(
        body,
        panel_guid=args.panel_guid,
        api_key=args.api_key,
        culture=args.culture,
        members=args.members,
        seed=args.seed,
        name=args.name,
        source=args.body,
    )
    write_scenario(doc, args.output)
    surveys = body["Surveys"]
    print(
        f"import-quotas: {len(surveys)} surveys, {count_quotas(surveys)} quotas, {args.members} members "
        f"-> {args.output}"
    )
    return 0


def cmd_generate_inventory(args: argparse.Namespace) -> int:
    """Print the body (to pipe it somewhere), or write it to ``-o`` and print a one-line summary."""
    try:
        body = generate_inventory(surveys=args.surveys, quotas=args.quotas, seed=args.seed)
    except ValueError as exc:
        print(f"toluna-sandbox: generate-inventory: {exc}. Fix: pass --quotas >= --surveys >= 1", file=sys.stderr)
        return 2
    text = json.dumps(body, indent=2, ensure_ascii=False)
    if args.output is None:
        print(text)
        return 0
    try:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(args.output, "", f"cannot write the file ({exc.strerror})", "check the directory") from exc
    print(f"generate-inventory: {args.surveys} surveys, {args.quotas} quotas (seed {args.seed}) -> {args.output}")
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``import-quotas`` and ``generate-inventory`` on the ``toluna-sandbox`` subcommands."""
    p = sub.add_parser("import-quotas", help="turn a captured GetQuotas body into a scenario file")
    p.add_argument("body", metavar="BODY.json", help="a GetQuotas response body saved as JSON")
    p.add_argument("--panel-guid", required=True, help="PanelGUID of the scenario's panel")
    p.add_argument("--api-key", required=True, help="API_AUTH_KEY of the scenario's panel")
    p.add_argument("--culture", default="EN-US", help="the panel's culture (default EN-US)")
    p.add_argument("--members", type=int, default=0, help="generate this many members who can match the quotas")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated members")
    p.add_argument("--name", help="name of the scenario and its panel")
    p.add_argument("-o", "--output", required=True, metavar="SCENARIO.yaml")
    p.set_defaults(func=cmd_import_quotas)

    p = sub.add_parser("generate-inventory", help="write a synthetic GetQuotas body shaped like Toluna's")
    p.add_argument("--surveys", type=int, default=68)
    p.add_argument("--quotas", type=int, default=142)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--output", metavar="BODY.json", help="write here instead of printing")
    p.set_defaults(func=cmd_generate_inventory)

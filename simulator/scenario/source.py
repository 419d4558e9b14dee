"""Read a scenario's text and parse it within ``Limits``: UTF-8 only, a size cap, and YAML refused before it is
built when it nests too deep, holds too many aliases or expands too far (an alias bomb), or repeats a key.

The YAML is checked on its event stream first (cheap, nothing expanded: an alias adds the size its anchor had),
then composed, checked for repeated keys, and only then built into Python values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from simulator.domain.errors import Problem, ScenarioError

from .limits import Limits

_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_BOM = b"\xef\xbb\xbf"
_FLATTEN = "flatten it: a scenario needs about 15 levels (TOLUNA_SANDBOX_SCENARIO_MAX_DEPTH raises the limit)"


class YamlLoader(_BASE_LOADER):  # type: ignore[misc, valid-type]
    """Safe YAML without implicit timestamps: dates stay text, so a bad one gets a message, not a crash."""


YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BASE_LOADER.yaml_implicit_resolvers.items()
}


def read_file(path: Path, limits: Limits | None = None) -> str:
    """A scenario or body file's text; an unreadable, oversized or non-UTF-8 one is a ``ScenarioError`` naming it."""
    limits = limits or Limits.from_env()
    try:
        with path.open("rb") as f:
            data = f.read(limits.max_bytes + 1)
    except OSError as exc:
        raise ScenarioError(str(path), "", f"cannot read the file ({exc.strerror})", "check the path") from exc
    return decode(data, str(path), limits)


def decode(data: bytes | str, file: str, limits: Limits) -> str:
    """The text of ``data``: at most ``limits.max_bytes`` bytes of UTF-8 (a BOM allowed), without NUL bytes."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > limits.max_bytes:
        raise ScenarioError(
            file,
            "",
            f"the file is larger than {limits.max_bytes:,} bytes",
            f"declare generated members and recontact codes by count, or raise {limits.variable('max_bytes')}",
        )
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ScenarioError(file, "", "the file is UTF-16 text", "save the file as UTF-8")
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise ScenarioError(
            file, "", f"the file holds binary data (a NUL byte at offset {nul})", "give a YAML or JSON text file"
        )
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return raw.removeprefix(_BOM).decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + (len(_BOM) if raw.startswith(_BOM) else 0)
        line = raw[:offset].count(b"\n") + 1
        raise ScenarioError(
            file,
            f"line {line}",
            f"the file is not UTF-8 text (byte 0x{raw[offset]:02X} at offset {offset})",
            "save the file as UTF-8 (a Latin-1 or UTF-16 file must be converted)",
        ) from None


def parse_yaml(text: str, file: str, limits: Limits) -> tuple[Any, list[Problem]]:
    """The YAML (or JSON) document in ``text`` and the keys it repeats; refused whole when it breaks a limit."""
    try:
        _check_events(text, file, limits)
        loader = YamlLoader(text)
        try:
            node = loader.get_single_node()
            repeated = _repeated_keys(node, file)
            return (None if node is None else loader.construct_document(node)), repeated
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = str(getattr(exc, "problem", None) or exc)
        if "nesting depth" in problem:  # libyaml's own limit, met while reading ahead
            raise ScenarioError(
                file, where, f"the document nests deeper than {limits.max_depth} levels", _FLATTEN
            ) from None
        raise ScenarioError(file, where, f"not valid YAML: {problem}", "fix the syntax at that line") from None


def _too_big(file: str, event: yaml.Event, problem: str, fix: str) -> ScenarioError:
    return ScenarioError(file, f"line {event.start_mark.line + 1}", problem, fix)


def _check_events(text: str, file: str, limits: Limits) -> None:
    """Walk the event stream counting nesting, aliases and the values the document holds once every alias is
    expanded (each anchor's size is noted when its node ends); stop at the first limit broken."""
    open_nodes: list[list[Any]] = []  # [anchor, values so far] per collection being read
    sizes: dict[str, int] = {}
    aliases = 0
    for event in yaml.parse(text, Loader=YamlLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            if len(open_nodes) >= limits.max_depth:
                raise _too_big(
                    file,
                    event,
                    f"the document nests deeper than {limits.max_depth} levels",
                    _FLATTEN,
                )
            open_nodes.append([event.anchor, 1])
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            anchor, size = open_nodes.pop()
            if anchor is not None:
                sizes[anchor] = size
        elif isinstance(event, yaml.ScalarEvent):
            size = 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > limits.max_aliases:
                raise _too_big(
                    file,
                    event,
                    f"more than {limits.max_aliases:,} aliases",
                    f"write the values out, or raise {limits.variable('max_aliases')}",
                )
            if any(anchor == event.anchor for anchor, _ in open_nodes):
                raise _too_big(
                    file,
                    event,
                    f"the alias *{event.anchor} refers to a node that contains it",
                    "an alias may only name a node that is complete before it",
                )
            size = sizes.get(event.anchor, 0)  # an undefined anchor: the composer names it
        else:
            continue
        if open_nodes:
            open_nodes[-1][1] += size
            if open_nodes[-1][1] > limits.max_nodes:
                raise _too_big(
                    file,
                    event,
                    f"aliases expand the document to more than {limits.max_nodes:,} values",
                    f"use fewer aliases of large nodes, or raise {limits.variable('max_nodes')}",
                )


def _key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _repeated_keys(root: yaml.Node | None, file: str) -> list[Problem]:
    """A key written twice in one mapping, at any depth (YAML would keep the last one silently)."""
    found: list[tuple[int, Problem]] = []
    seen: set[int] = set()
    todo: list[tuple[yaml.Node, str]] = [(root, "")] if root is not None else []
    while todo:
        node, path = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            marks: dict[str, yaml.Mark] = {}
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode) or key.tag == _MERGE_TAG:
                    todo.append((value, path))
                    continue
                mark = key.start_mark
                if key.value in marks:
                    first = marks[key.value]
                    where = (
                        f"line {mark.line + 1}, columns {first.column + 1} and {mark.column + 1}"
                        if first.line == mark.line
                        else f"lines {first.line + 1} and {mark.line + 1}"
                    )
                    problem = f"the key '{key.value}' is written twice ({where})"
                    fix = "keep one (YAML would keep the last one silently)"
                    found.append((mark.line, Problem(file, _key_path(path, key.value), problem, fix)))
                else:
                    marks[key.value] = mark
                todo.append((value, _key_path(path, key.value)))
        elif isinstance(node, yaml.SequenceNode):
            todo.extend((item, f"{path}[{i}]") for i, item in enumerate(node.value))
    return [p for _, p in sorted(found, key=lambda pair: pair[0])]


def parse_json(text: str, file: str, limits: Limits) -> Any:
    """The JSON in ``text`` (a captured body), refused when it repeats a key or nests deeper than the limit."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise ScenarioError(file, "", f"the key '{key}' is written twice in one object", "keep one")
            out[key] = value
        return out

    try:
        value = json.loads(text, object_pairs_hook=pairs)
    except RecursionError:
        value = None
        depth = limits.max_depth + 1
    except ValueError as exc:
        where = f"line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise ScenarioError(file, where, f"not JSON ({exc})", "save the raw response body of GET .../Quotas") from exc
    else:
        depth = _depth(value)
    if depth > limits.max_depth:
        raise ScenarioError(
            file,
            "",
            f"the JSON nests deeper than {limits.max_depth} levels",
            f"give a body as Toluna sends it, or raise {limits.variable('max_depth')}",
        )
    return value


def _depth(value: Any) -> int:
    deepest, todo = 0, [(value, 0)]
    while todo:
        item, level = todo.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, level + 1)
            todo.extend((child, level + 1) for child in children)
    return deepest

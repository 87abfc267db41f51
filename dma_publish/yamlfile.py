"""One reader for every YAML input (methodology, release, publication policy, reference
metadata). It refuses what a careless or hostile editor could put in such a file before any of
it is used: bytes that are not UTF-8, aliases (a few hundred bytes can expand to gigabytes),
deep nesting, keys given twice, and text that a spreadsheet would run as a formula or that holds
invisible direction controls. Dates stay text, so an impossible date is a schema error with its
place in the document, not a crash. Every fault is an InputError naming the file and where."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from dma_publish.errors import InputError
from dma_publish.vocab import excerpt, text_fault

MAX_DEPTH = 40  # nesting of mappings and sequences; the methodology needs 6
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader: only true/false are booleans (so `Yes` stays text), no timestamps (dates are
    checked by the schema), and keys are unique."""


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, rx)
        for tag, rx in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
    """Build a mapping, refusing a key given twice (PyYAML would silently keep the last)."""
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | bool | float) or key in seen:
            problem = f"duplicate key {excerpt(key)}" if key in seen else "a key must be text"
            raise yaml.constructor.ConstructorError(None, None, problem, key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "document"


def _decode(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(path, "file", "file not found", "file_missing") from exc
    except OSError as exc:
        raise InputError(
            path, "file", f"cannot read the file: {exc.strerror}", "unreadable"
        ) from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = f"not UTF-8 (byte {raw[exc.start]:#04x} at offset {exc.start})"
        raise InputError(path, f"line {line}", message, "not_utf8") from exc


def _check_events(path: Path, text: str) -> None:
    """Refuse aliases and deep nesting from the event stream, before anything is built."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            raise InputError(
                path,
                _where(event.start_mark),
                f"YAML alias *{event.anchor} is not allowed in input files (write the value out)",
                "yaml_alias",
            )
        if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise InputError(
                    path,
                    _where(event.start_mark),
                    f"nested more than {MAX_DEPTH} levels deep",
                    "yaml_too_deep",
                )
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            depth -= 1


def document_path(parts: tuple) -> str:
    """A place in a document as people write it: domains[3].elements[2].level."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part != "[key]":
            text += f".{part}" if text else str(part)
    return text or "document"


def _check_text(path: Path, value: Any, parts: tuple = ()) -> None:
    """Every text value and key: nothing a spreadsheet would run, no invisible controls."""
    if isinstance(value, str):
        fault = text_fault(value)
        if fault:
            raise InputError(path, document_path(parts), fault[1], fault[0])
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(path, key, parts)
            _check_text(path, item, (*parts, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_text(path, item, (*parts, i))


def read_yaml(path: Path | str) -> Any:
    """Parse and screen one YAML input file; any fault raises InputError naming where."""
    path = Path(path)
    text = _decode(path)
    try:
        _check_events(path, text)
        document = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
        raise InputError(path, _where(mark), message, "yaml_syntax") from None
    _check_text(path, document)
    return document

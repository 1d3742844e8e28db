"""YAML with line numbers, for error messages that point at the line an editor wrote.

PyYAML's composer knows where every key sits; :func:`parse_yaml` keeps that as a map
from key path to line, and :func:`validation_error` uses it to turn a pydantic error
into an :class:`~varcomms.errors.InputError` naming file, line and field.
:func:`replace_top_level_keys` rewrites a few keys of a file in place, so the workflow
can record status and sign-offs without losing the comments editors wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from varcomms import safeyaml
from varcomms.errors import InputError

KeyPath = tuple[str | int, ...]
# libyaml's parser keeps the same marks and is several times faster.
_Loader = safeyaml.Loader
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass(frozen=True)
class ParsedYaml:
    data: Any
    path: Path
    first_line: int  # file line of the YAML text's first line
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line_of(self, loc: KeyPath) -> int:
        """The file line of ``loc``, or of its nearest enclosing key that is known."""
        for end in range(len(loc), 0, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return self.first_line


def _record_lines(node: yaml.Node, prefix: KeyPath, offset: int, lines: dict[KeyPath, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            path = (*prefix, key_node.value)
            lines[path] = key_node.start_mark.line + offset
            _record_lines(value_node, path, offset, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, value_node in enumerate(node.value):
            path = (*prefix, index)
            lines[path] = value_node.start_mark.line + offset
            _record_lines(value_node, path, offset, lines)


def parse_yaml(text: str, path: Path, *, first_line: int = 1) -> ParsedYaml:
    """Parse one YAML document; syntax errors become InputError with the file line.

    Aliases, deep nesting and huge documents are refused first (see
    :mod:`varcomms.safeyaml`): an alias bomb would expand here and in the line map.
    """
    _refuse_unsafe(text, path, first_line)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        row = mark.line if mark is not None else 0
        # At the end of the text the parser points past it; the last line is meant.
        filled = [n for n, line in enumerate(text.splitlines()) if line.strip()]
        if filled:
            row = min(row, filled[-1])
        line = row + first_line
        problem = err.problem or err.context or "invalid YAML"
        raise InputError(
            f"not valid YAML: {problem}",
            path=path,
            line=line,
            hint="check indentation, and put quotes around text that contains ': ' or '#'",
        ) from err
    except yaml.YAMLError as err:
        raise InputError(f"not valid YAML: {err}", path=path, line=first_line) from err
    finally:
        loader.dispose()
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _record_lines(node, (), first_line, lines)
    return ParsedYaml(data=data, path=path, first_line=first_line, lines=lines)


def field_name(loc: KeyPath) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts)


def validation_error(err: ValidationError, parsed: ParsedYaml) -> InputError:
    """The first problem of a pydantic error, placed at its line in the file."""
    first = err.errors(include_url=False)[0]
    loc = tuple(part for part in first["loc"] if isinstance(part, int | str))
    message = str(first["msg"]).removeprefix("Value error, ")
    kind = first["type"]
    if kind == "missing":
        message = "required field is missing"
    elif kind == "extra_forbidden":
        message = "unknown field"
    elif kind not in ("model_type", "model_attributes_type") and "input" in first:
        shown = first["input"]
        if not isinstance(shown, dict | list):
            message += f" (got {shown!r})"
    more = err.error_count() - 1
    return InputError(
        message,
        path=parsed.path,
        line=parsed.line_of(loc),
        field=field_name(loc) or None,
        hint=f"{more} more problem(s) after this one" if more else None,
    )


class _EditorDumper(_BaseDumper):  # type: ignore[misc,valid-type]
    """Mappings as blocks, lists of plain values on one line: ``themes: [a, b]``."""

    def represent_list(self, data: list[Any]) -> yaml.Node:
        flat = all(not isinstance(value, dict | list) for value in data)
        return self.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat)

    def represent_dict(self, data: dict[Any, Any]) -> yaml.Node:
        return self.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=False)


_EditorDumper.add_representer(list, _EditorDumper.represent_list)
_EditorDumper.add_representer(dict, _EditorDumper.represent_dict)


def dump_yaml(data: Mapping[str, Any]) -> str:
    """Readable YAML in the given key order, unicode kept as written."""
    return yaml.dump(
        dict(data), Dumper=_EditorDumper, sort_keys=False, allow_unicode=True, width=1000
    )


def replace_top_level_keys(text: str, updates: Mapping[str, Any], path: Path) -> str:
    """``text`` with the given top-level keys set to new values, all else kept verbatim.

    Each key's old lines are removed; the new ones go where the first of them was, or
    at the end. Comments and formatting of every other key survive.
    """
    _refuse_unsafe(text, path, 1)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as err:
        raise InputError(f"not valid YAML: {err.problem}", path=path) from err
    finally:
        loader.dispose()
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    remove: list[tuple[int, int]] = []
    if isinstance(node, yaml.MappingNode):
        if node.flow_style:
            return dump_yaml({**loader_data(text), **updates})
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value in updates:
                start = key_node.start_mark.line
                end = value_node.end_mark
                stop = end.line if end.column == 0 else end.line + 1
                # Blank and comment lines before the next key belong to that key.
                while stop > start + 1 and (
                    not lines[stop - 1].strip() or lines[stop - 1].lstrip().startswith("#")
                ):
                    stop -= 1
                remove.append((start, stop))
    remove.sort()
    # Later ranges are deleted first, so the first range's start stays where it was.
    insert_at = remove[0][0] if remove else len(lines)
    for start, stop in reversed(remove):
        del lines[start:stop]
    new_text = dump_yaml(updates)
    return "".join(lines[:insert_at]) + new_text + "".join(lines[insert_at:])


def _refuse_unsafe(text: str, path: Path, first_line: int) -> None:
    try:
        safeyaml.check(text)
    except safeyaml.UnsafeYamlError as err:
        line = err.line + first_line - 1 if err.line is not None else first_line
        raise InputError(err.message, path=path, line=line) from err


def loader_data(text: str) -> dict[str, Any]:
    data = safeyaml.safe_load(text)
    return dict(data) if isinstance(data, Mapping) else {}

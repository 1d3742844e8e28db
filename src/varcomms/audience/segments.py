"""Segments: named rules in ``audiences/<name>.yaml``, validated with file and line.

```yaml
name: cyber-gemeenten            # optional; must equal the file name
description: Gemeenten die het thema cybercriminaliteit volgen
rule:
  all:                           # also: any, not (and/or are aliases of all/any)
    - org_type: gemeente         # one value or a list
    - themes: {any: [cybercriminaliteit]}      # any / all / none; a plain list is any
    - municipality: [Rotterdam, Schiedam]      # compared without case
    - language: nl
    - status: subscribed
    - signed_up: {after: 2021-01-01, before: 2022-01-01}
    - opened: {last_editions: 3}               # engagement, from webhook events
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.sql.elements import ColumnElement
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from varcomms import safeyaml
from varcomms.config import Config
from varcomms.errors import InputError, NotFoundError
from varcomms.models import OrgType, SubscriberStatus
from varcomms.safefiles import read_text_inside

from .rules import AllOf, AnyOf, FieldIn, Not, Opened, Rule, SignedUp, Themes

_NAME = re.compile(r"^(?=.{1,64}\Z)[a-z0-9]+(?:-[a-z0-9]+)*\Z")  # \Z: no trailing newline
_COMBINATORS = {"all": "all", "and": "all", "any": "any", "or": "any", "not": "not"}
_LEAVES = ("themes", "org_type", "municipality", "status", "language", "signed_up", "opened")


@dataclass(frozen=True)
class Segment:
    name: str
    description: str
    rule: Rule
    path: Path | None = None

    def where(self) -> ColumnElement[bool]:
        return self.rule.where()

    def describe(self) -> str:
        return self.rule.describe()


class _Reader:
    """Walks the YAML node tree, so every error can name its line."""

    def __init__(self, path: Path, config: Config) -> None:
        self.path = path
        self.config = config
        self.slugs = [theme.slug for theme in config.themes]
        self._constructor = yaml.SafeLoader("")

    def fail(self, node: Node, message: str, *, hint: str | None = None) -> InputError:
        return InputError(message, path=self.path, line=node.start_mark.line + 1, hint=hint)

    def value(self, node: Node) -> Any:
        try:
            return self._constructor.construct_object(node, deep=True)
        except (ValueError, yaml.YAMLError) as err:
            # e.g. 2022-02-30: YAML reads it as a date and the calendar refuses it
            raise self.fail(node, f"{node.value!r} is not a date or value: {err}") from err

    def mapping(self, node: Node, what: str) -> list[tuple[str, Node, Node]]:
        if not isinstance(node, MappingNode):
            raise self.fail(node, f"{what} must be a mapping")
        pairs = []
        for key_node, value_node in node.value:
            key = self.value(key_node)
            if not isinstance(key, str):
                raise self.fail(key_node, f"{what}: keys must be words, got {key!r}")
            pairs.append((key, key_node, value_node))
        return pairs

    def strings(self, node: Node, what: str) -> tuple[str, ...]:
        """One string or a non-empty list of strings."""
        if isinstance(node, ScalarNode):
            items = [node]
        elif isinstance(node, SequenceNode) and node.value:
            items = node.value
        else:
            raise self.fail(node, f"{what} needs a value or a non-empty list of values")
        values = []
        for item in items:
            value = self.value(item) if isinstance(item, ScalarNode) else None
            if not isinstance(value, str | int) or isinstance(value, bool):
                raise self.fail(item, f"{what}: expected a word, got {self.value(item)!r}")
            values.append(str(value))
        return tuple(values)

    def choice(self, node: Node, what: str, allowed: list[str]) -> tuple[str, ...]:
        values = self.strings(node, what)
        for value in values:
            if value not in allowed:
                raise self.fail(
                    node, f"{what}: unknown value {value!r}", hint=f"known: {', '.join(allowed)}"
                )
        return values

    # -- rules ---------------------------------------------------------------------------

    def rule(self, node: Node) -> Rule:
        pairs = self.mapping(node, "a rule")
        if len(pairs) != 1:
            keys = ", ".join(key for key, _, _ in pairs) or "nothing"
            raise self.fail(
                node,
                f"a rule has exactly one key, got {keys}",
                hint="combine several conditions under 'all:' or 'any:'",
            )
        key, key_node, value = pairs[0]
        if key in _COMBINATORS:
            kind = _COMBINATORS[key]
            if kind == "not":
                return Not(self.rule(value))
            if not isinstance(value, SequenceNode) or not value.value:
                raise self.fail(value, f"'{key}' needs a non-empty list of rules")
            rules = tuple(self.rule(item) for item in value.value)
            return AllOf(rules) if kind == "all" else AnyOf(rules)
        if key == "themes":
            return self.themes(value)
        if key == "org_type":
            return FieldIn("org_type", self.choice(value, key, [t.value for t in OrgType]))
        if key == "status":
            return FieldIn("status", self.choice(value, key, [s.value for s in SubscriberStatus]))
        if key == "language":
            languages = list(self.config.audience.languages)
            return FieldIn("language", self.choice(value, key, languages))
        if key == "municipality":
            return FieldIn("municipality", self.strings(value, key))
        if key == "signed_up":
            return self.signed_up(value)
        if key == "opened":
            return self.opened(value)
        raise self.fail(
            key_node,
            f"unknown rule {key!r}",
            hint=f"rules: {', '.join((*_LEAVES, 'all', 'any', 'not'))}",
        )

    def themes(self, node: Node) -> Rule:
        if not isinstance(node, MappingNode):
            return Themes("any", self.choice(node, "themes", self.slugs))
        parts: list[Rule] = []
        for mode, key_node, value in self.mapping(node, "themes"):
            if mode not in ("any", "all", "none"):
                raise self.fail(key_node, f"themes: unknown mode {mode!r} (any, all or none)")
            parts.append(Themes(mode, self.choice(value, f"themes.{mode}", self.slugs)))
        if not parts:
            raise self.fail(node, "themes: give any, all or none")
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def moment(self, node: Node, what: str) -> datetime:
        value = self.value(node)
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise self.fail(node, f"{what}: {value!r} is not a date") from None
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=self.config.tz)
        if isinstance(value, date):
            return datetime.combine(value, time(), tzinfo=self.config.tz)
        raise self.fail(node, f"{what}: expected a date like 2022-01-31, got {value!r}")

    def signed_up(self, node: Node) -> Rule:
        bounds: dict[str, datetime] = {}
        for key, key_node, value in self.mapping(node, "signed_up"):
            if key not in ("after", "before"):
                raise self.fail(key_node, f"signed_up: unknown key {key!r} (after, before)")
            bounds[key] = self.moment(value, f"signed_up.{key}")
        if not bounds:
            raise self.fail(node, "signed_up needs 'after', 'before' or both")
        after, before = bounds.get("after"), bounds.get("before")
        if after and before and after >= before:
            raise self.fail(node, "signed_up: 'after' must be earlier than 'before'")
        return SignedUp(after, before)

    def opened(self, node: Node) -> Rule:
        pairs = self.mapping(node, "opened")
        if [key for key, _, _ in pairs] != ["last_editions"]:
            raise self.fail(node, "opened needs exactly 'last_editions: N'")
        _, _, value = pairs[0]
        count = self.value(value)
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 1000:
            raise self.fail(
                value,
                f"opened.last_editions must be a whole number from 1 to 1000, got {count!r}",
            )
        return Opened(count)

    # -- the file ------------------------------------------------------------------------

    def segment(self) -> Segment:
        name = self.path.stem
        try:
            # Only plain files inside audiences/, and YAML without aliases (F5, F17).
            text = read_text_inside(self.path, self.config.audiences_dir, encoding="utf-8")
            root = safeyaml.compose(text)
        except safeyaml.UnsafeYamlError as err:
            raise InputError(err.message, path=self.path, line=err.line) from err
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark
            line = mark.line + 1 if mark is not None else None
            raise InputError(f"not valid YAML: {err.problem}", path=self.path, line=line) from err
        except OSError as err:
            raise InputError(f"cannot read: {err}", path=self.path) from err
        if root is None:
            raise InputError("the file is empty", path=self.path, hint="a segment needs 'rule:'")
        description = ""
        rule: Rule | None = None
        for key, key_node, value in self.mapping(root, "a segment file"):
            if key == "name":
                given = self.value(value)
                if given != name:
                    raise self.fail(
                        value,
                        f"name {given!r} does not match the file name {name!r}",
                        hint="a segment is called after its file; rename one of them",
                    )
            elif key == "description":
                text = self.value(value)
                if not isinstance(text, str):
                    raise self.fail(value, "description must be text")
                description = " ".join(text.split())
            elif key == "rule":
                rule = self.rule(value)
            else:
                raise self.fail(key_node, f"unknown key {key!r} (name, description, rule)")
        if rule is None:
            raise self.fail(root, "missing 'rule:'")
        return Segment(name=name, description=description, rule=rule, path=self.path)


def segment_path(config: Config, name: str) -> Path:
    return config.audiences_dir / f"{name}.yaml"


def load_segment(config: Config, name: str) -> Segment:
    """The segment ``audiences/<name>.yaml``, validated against the configuration."""
    if not _NAME.match(name):
        raise NotFoundError(
            f"{name!r} is not a segment name", hint="segment names are like 'cyber-gemeenten'"
        )
    path = segment_path(config, name)
    if not path.is_file():
        known = ", ".join(segment_names(config)) or "none"
        raise NotFoundError(
            f"no segment named {name!r} in {path.parent}", hint=f"segments: {known}"
        )
    return _Reader(path, config).segment()


def segment_names(config: Config) -> list[str]:
    folder = config.audiences_dir
    if not folder.is_dir():
        return []
    return sorted(path.stem for path in folder.glob("*.yaml") if _NAME.match(path.stem))


def load_segments(config: Config) -> list[Segment]:
    """Every segment in the audiences folder, by name; the first invalid file raises."""
    folder = config.audiences_dir
    if folder.is_dir():
        for path in sorted(folder.glob("*.yaml")):
            if not _NAME.match(path.stem):
                raise InputError(
                    "is not a usable segment name",
                    path=path,
                    hint="name segment files in lower case with '-', like cyber-gemeenten.yaml",
                )
    return [load_segment(config, name) for name in segment_names(config)]

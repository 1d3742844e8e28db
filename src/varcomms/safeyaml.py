"""YAML the way varcomms reads it: safe tags only, no aliases, bounded size and depth.

SafeLoader already refuses ``!!python/…`` tags, but it expands aliases: nine levels of
lists of aliases to the level before (a "billion laughs") make gigabytes from a file of
a few hundred bytes, and a deeply nested document exhausts the recursion of the code
that walks it. Editions, segments and manual items never need an alias, so a document
is first scanned event by event (no expansion, no recursion) and refused when it has
one, nests too deep or is too large; only then is it composed.
"""

from __future__ import annotations

from typing import Any

import yaml

Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Deeper than any file varcomms reads (a segment rule nests a few levels), shallow enough
# for every recursive walk of the composed nodes.
MAX_DEPTH = 64
MAX_EVENTS = 200_000


class UnsafeYamlError(ValueError):
    """A document uses an alias, nests too deep or is too large; ``line`` is 1-based."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def check(text: str) -> None:
    """Raise :class:`UnsafeYamlError` for an alias, deep nesting or too many nodes.

    Syntax errors are left to the parser that follows, which reports them as before.
    """
    depth = 0
    count = 0
    try:
        for event in yaml.parse(text, Loader=Loader):
            count += 1
            if isinstance(event, yaml.AliasEvent):
                raise UnsafeYamlError(
                    f"YAML aliases (*{event.anchor}) are not allowed; write the value out",
                    event.start_mark.line + 1 if event.start_mark else None,
                )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise UnsafeYamlError(
                        f"nested more than {MAX_DEPTH} levels deep",
                        event.start_mark.line + 1 if event.start_mark else None,
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            if count > MAX_EVENTS:
                raise UnsafeYamlError(f"more than {MAX_EVENTS} YAML nodes", None)
    except yaml.YAMLError:
        return


def compose(text: str) -> yaml.Node | None:
    check(text)
    return yaml.compose(text, Loader=Loader)


def safe_load(text: str | bytes) -> Any:
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    check(text)
    return yaml.load(text, Loader=Loader)  # noqa: S506 - a safe loader

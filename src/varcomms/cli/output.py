"""Terminal output that data cannot take over.

Names, feed titles, segment rules and error messages reach the terminal inside strings
the CLI styles with Rich markup. Data must never be read as markup (a name
``[link=https://evil.example]Klik hier[/link]`` becomes a hidden hyperlink, a rule
``[gemeente]`` disappears) nor reach the terminal as control sequences (``ESC ]0;`` sets
the window title, ``ESC [2J`` clears the screen). Every console of the CLI is a
:class:`SafeConsole`, so this holds in one place for every command:

* markup: only the style tags the CLI itself writes (:data:`STYLE_TAGS`) are markup;
  any other ``[…]`` is shown as written. :func:`data` escapes a value completely, for
  where the CLI puts data between its own tags.
* control characters: every C0/C1 control except newline and tab, and the Unicode
  direction overrides, are shown as visible escapes (``\\u001b``) in whatever is printed:
  strings, tables, trees, log records.
* emoji codes (``:cop:``) in data stay text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.segment import Segment
from rich.text import Text

# The styles the CLI's own markup uses; a tag is markup only when every word is one.
STYLE_WORDS = frozenset(
    {"bold", "dim", "italic", "underline", "red", "green", "yellow", "blue", "magenta", "cyan"}
)
# Rich's own tag syntax: an opening or closing tag, possibly preceded by backslashes.
_TAG = re.compile(r"(\\*)\[([a-z#/@][^[]*?)]")  # exactly as Rich finds tags
# C0 and C1 controls except TAB and LF, DEL, and the bidirectional overrides/isolates
# that reorder what a terminal shows (a name could otherwise display as something else).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    # \u001b rather than \x1b: the same text is then also a valid escape inside the
    # JSON that --json prints.
    return f"\\u{ord(match.group(0)):04x}"


def clean(text: str) -> str:
    """``text`` with control characters made visible (``\\u001b``); newline and tab stay."""
    return _CONTROL.sub(_visible, text)


def data(value: object) -> str:
    """A data value ready to stand inside CLI markup: no markup, no control characters."""
    return escape(clean(str(value)))


def _is_style(body: str) -> bool:
    return bool(body) and all(word in STYLE_WORDS for word in body.split())


def guard_markup(text: str) -> str:
    """Escape every ``[…]`` that is not one of the CLI's own, balanced style tags.

    A closing tag that closes nothing is escaped too: Rich would raise on it, and a
    name like ``x [/]`` must not be able to crash a command.
    """
    opened: list[str] = []

    def tag(match: re.Match[str]) -> str:
        backslashes, body = match.group(1), match.group(2)
        if len(backslashes) % 2:
            return match.group(0)  # already escaped
        if _is_style(body):
            opened.append(body)
            return match.group(0)
        if body.startswith("/"):
            name = body[1:]
            if not name and opened:
                opened.pop()
                return match.group(0)
            if name in opened:
                del opened[len(opened) - 1 - opened[::-1].index(name)]
                return match.group(0)
        return f"{backslashes}\\[{body}]"

    return _TAG.sub(tag, text)


class SafeConsole(Console):
    """A Rich console that treats unknown markup as text and shows control characters."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("emoji", False)
        super().__init__(*args, **kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        markup = kwargs.get("markup")
        if markup is None:
            markup = self._markup
        # Cleaned before measuring, so tables keep their columns aligned.
        text = clean(text)
        return super().render_str(guard_markup(text) if markup else text, **kwargs)

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        # The last step before the terminal: whatever the renderable (string, Text,
        # table, log record), text segments lose their control characters here, while
        # Rich's own styling and control segments pass unchanged.
        safe = (
            segment if segment.control else Segment(clean(segment.text), segment.style)
            for segment in buffer
        )
        return super()._render_buffer(safe)


def safe_console(console: Console) -> SafeConsole:
    """``console`` as a :class:`SafeConsole` writing to the same file, same settings."""
    if isinstance(console, SafeConsole):
        return console
    return SafeConsole(
        file=console.file,
        width=console.width if console._width is not None else None,
        no_color=console.no_color,
        force_terminal=console.is_terminal if console._force_terminal is not None else None,
        color_system=None if console.color_system is None else "auto",
        stderr=console.stderr,
        highlight=console._highlight,
        markup=console._markup,
    )

"""One pass over rendered email HTML that tells the rules what it meets.

A tokenizer, not a full parser (rendering must stay fast), with a stack of open
elements, so colour, background and hidden-ness are inherited as a browser would. The
walker also gathers what several rules read: whether the body has begun, whether a
heading is open, and the accessible name of each open link (its visible text and the alt
text of its images). Content inside Outlook's conditional comments is handed to the
rules as it is, for what applies to Outlook readers.

Rules subscribe by overriding the handlers of :class:`Rule` (a handler left as the
base's no-op is never called) and, for ``start``/``end``, by naming their ``tags``.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

from varcomms.config import RenderSettings
from varcomms.findings import Finding, Severity
from varcomms.render.colours import Rgb, first_colour, parse_colour

DEFAULT_LINK: Rgb = (0, 0, 238)  # what clients show for a link without a colour
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
HEADINGS = frozenset(f"h{level}" for level in range(1, 7))
# Tags the walker itself follows: the body begins, a link gathers its name, a heading is
# open, a <style> holds CSS and no text.
_STRUCTURE = frozenset({"body", "a", "style"}) | HEADINGS

# Fast path: a tag is "<name …>" with no ">" inside; attribute values that contain ">"
# (rare: a title, a URL) are re-read with the quote-aware _TAG below.
_COMMENT = re.compile(r"<!--(.*?)-->", re.DOTALL)
_TOKEN = re.compile(
    r"<(?:!(?P<decl>[^>]*)|(?P<close>/)?(?P<tag>[a-zA-Z][a-zA-Z0-9:-]*)(?P<attrs>[^>]*))>"
)
_TAG = re.compile(
    r"<(?P<close>/)?(?P<tag>[a-zA-Z][a-zA-Z0-9:-]*)"
    r"(?P<attrs>(?:\s+[^\s=/>]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)\s*/?>",
    re.DOTALL,
)
_ATTR = re.compile(r"([^\s=/>]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+)))?")
_NO_ATTRS: dict[str, str] = {}
_NO_STYLE: dict[str, str] = {}

# What a tag's attributes do to the text inside: (colour, background, hides, plain).
# ``plain`` is False when a rule must see the tag itself (it carries a URL).
Effect = tuple[Rgb | None, Rgb | None, bool, bool]
_PLAIN: Effect = (None, None, False, True)
_V = TypeVar("_V")


@dataclass(slots=True)
class Element:
    """An open element and what its content inherits."""

    tag: str
    colour: Rgb
    background: Rgb
    hidden: bool
    attrs: dict[str, str] = field(default_factory=dict)
    style: dict[str, str] = field(default_factory=dict)
    # For a link: its visible text and the alt text of its images, in order.
    name_parts: list[str] = field(default_factory=list)


class Parsed:
    """What attribute and style strings mean, remembered: mail HTML repeats the same
    strings hundreds of times. Pass one to several checks to share it (it only grows to
    ``limit`` entries per table, then starts over)."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self._attrs: dict[str, dict[str, str]] = {}
        self._styles: dict[str, dict[str, str]] = {}
        self._effects: dict[str, Effect] = {}

    def attributes(self, raw: str) -> dict[str, str]:
        return self._remembered(self._attrs, raw, _parse_attributes)

    def style(self, raw: str) -> dict[str, str]:
        return self._remembered(self._styles, raw, _parse_style)

    def effect(self, raw_attrs: str) -> Effect:
        """What the attributes of a tag no rule names do to the text inside."""
        return self._remembered(self._effects, raw_attrs, self._effect)

    def _remembered(self, table: dict[str, _V], raw: str, parse: Callable[[str], _V]) -> _V:
        value = table.get(raw)
        if value is None:
            if len(table) > self.limit:
                table.clear()
            value = table[raw] = parse(raw)
        return value

    def _effect(self, raw_attrs: str) -> Effect:
        if not raw_attrs:
            return _PLAIN
        # Parsed afresh, not through attributes(): a plain wrapper's attributes are
        # needed only here, and its effect is remembered.
        attrs = _parse_attributes(raw_attrs.rstrip("/ \n\t"))
        plain = "href" not in attrs and "src" not in attrs and "background" not in attrs
        raw_style = attrs.get("style")
        if raw_style is None:
            bgcolor = attrs.get("bgcolor")
            return None, parse_colour(bgcolor) if bgcolor is not None else None, False, plain
        style = self.style(raw_style)
        colour = parse_colour(style["color"]) if "color" in style else None
        background = None
        if "background-color" in style:
            background = parse_colour(style["background-color"])
        elif "background" in style:
            background = first_colour(style["background"])
        elif "bgcolor" in attrs:
            background = parse_colour(attrs["bgcolor"])
        hides = style.get("display") == "none" or "mso-hide" in style
        return colour, background, hides, plain


def _parse_attributes(raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for name, double, single, bare in _ATTR.findall(raw):
        value = double or single or bare
        attrs[name.lower()] = html_lib.unescape(value) if "&" in value else value
    return attrs


def _parse_style(raw: str) -> dict[str, str]:
    declarations: dict[str, str] = {}
    for part in raw.lower().split(";"):
        name, sep, value = part.partition(":")
        if sep:
            declarations[name.strip()] = value.strip()
    return declarations


class Report:
    """The findings of one check, in the order found, each (code, message) once."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self._seen: set[tuple[str, str]] = set()

    def add(self, severity: Severity, code: str, message: str) -> None:
        key = (code, message)
        if key not in self._seen:
            self._seen.add(key)
            self.findings.append(Finding(severity, code, message))


class Rule:
    """One quality rule. Override the handlers it needs; the walker calls only those."""

    # The tags whose start and end this rule is told of; ``None``: every tag shown to
    # the rules (the ones some rule names, and any carrying a URL attribute).
    tags: ClassVar[frozenset[str] | None] = frozenset()
    # Where the rule's findings in Outlook's HTML come among other rules' (lowest first;
    # rules of the same rank in the order they are given).
    outlook_rank: ClassVar[int] = 0

    def __init__(self, report: Report, settings: RenderSettings, *, email: bool) -> None:
        self.report = report
        self.settings = settings
        self.email = email

    def add(self, severity: Severity, code: str, message: str) -> None:
        self.report.add(severity, code, message)

    def begin(self, document: str) -> None:
        """Before the walk, with the whole document."""

    def start(self, tag: str, attrs: dict[str, str], walk: Walker) -> None:
        """A start tag; its element (not for a void tag) is ``walk.stack[-1]``."""

    def end(self, element: Element, walk: Walker) -> None:
        """The end of an element of one of ``tags`` (also when an outer end closes it)."""

    def text(self, text: str, element: Element, walk: Walker) -> None:
        """Text, decoded and stripped, in ``element``: visible text, and hidden text in a
        link or heading."""

    def hidden_text(self, walk: Walker) -> None:
        """Hidden text outside links and headings (the preheader), not decoded."""

    def style(self, css: str) -> None:
        """The content of a <style> element."""

    def outlook(self, html: str) -> None:
        """The HTML inside Outlook's conditional comments, all of it at once."""

    def finish(self) -> None:
        """After the walk: the document-level rules."""


def _overrides(rule: Rule, name: str) -> bool:
    return getattr(type(rule), name) is not getattr(Rule, name)


StartHandler = Callable[[str, dict[str, str], "Walker"], None]
EndHandler = Callable[[Element, "Walker"], None]


class Walker:
    """Walks one document and calls the rules' handlers on what it meets."""

    def __init__(self, rules: Sequence[Rule], parsed: Parsed) -> None:
        self.rules = rules
        self.parsed = parsed
        self.in_body = False
        self.heading_open = False
        self.links: list[Element] = []  # the open links, innermost last
        root = Element("#root", (0, 0, 0), (255, 255, 255), hidden=False)
        # Two stacks in step: the open tags, and what each passes on to its content. A
        # plain wrapper changes nothing, so it shares its parent's element.
        self.stack: list[Element] = [root]
        self.tags: list[str] = ["#root"]
        named: set[str] = set()
        for rule in rules:
            named |= rule.tags or set()
        # Tags some rule (or the walker) looks at; any other tag only passes on what it
        # inherits, unless it carries a URL.
        self.special = _STRUCTURE | named
        # Each tag's handlers in the order of the rules, those for every tag among them.
        self._start_any: list[StartHandler] = []
        self._start: dict[str, list[StartHandler]] = {tag: [] for tag in self.special}
        self._end: dict[str, list[EndHandler]] = {tag: [] for tag in self.special}
        for rule in rules:
            every = rule.tags is None
            starts, ends = _overrides(rule, "start"), _overrides(rule, "end")
            for tag in self.special if every else rule.tags or ():
                if starts:
                    self._start[tag].append(rule.start)
                if ends:
                    self._end[tag].append(rule.end)
            if every and starts:
                self._start_any.append(rule.start)
        self._text = [rule.text for rule in rules if _overrides(rule, "text")]
        self._hidden_text = [rule.hidden_text for rule in rules if _overrides(rule, "hidden_text")]
        self._style = [rule.style for rule in rules if _overrides(rule, "style")]

    def run(self, document: str) -> None:
        for rule in self.rules:
            rule.begin(document)
        outlook: list[str] = []
        in_style = False  # inside <style>: skip to its end tag
        # Comments first (a conditional comment holds tags, and so its own ">"s), then
        # the tags and text of each stretch between them.
        for index, chunk in enumerate(_COMMENT.split(document)):
            if not index % 2:
                in_style = self._stretch(chunk, in_style)
            elif chunk.startswith("[if"):
                outlook.append(chunk)
        if outlook:
            html = "".join(outlook)
            for rule in sorted(self.rules, key=lambda rule: rule.outlook_rank):
                if _overrides(rule, "outlook"):
                    rule.outlook(html)
        for rule in self.rules:
            rule.finish()

    def _stretch(self, chunk: str, in_style: bool) -> bool:
        """The tags and text between two comments; returns whether a <style> is open."""
        stack, tags, special = self.stack, self.tags, self.special
        position = 0
        for match in _TOKEN.finditer(chunk):
            start = match.start()
            if start < position:
                continue  # inside a tag re-read by _TAG
            if in_style:
                if match.group("close") and match.group("tag").lower() == "style":
                    self._styled(chunk[position:start])
                    in_style = False
                    position = match.end()
                continue
            if start > position:
                self.text(chunk[position:start])
            decl, close, tag, raw_attrs = match.groups()
            # "[^>]*" stops at a ">" inside a quoted value: an odd quote count shows it.
            if decl is None and (
                raw_attrs.count('"') % 2 or ('"' not in raw_attrs and raw_attrs.count("'") % 2)
            ):
                match = _TAG.match(chunk, start) or match
                close, tag, raw_attrs = match.group("close", "tag", "attrs")
            position = match.end()
            if decl is not None:
                continue
            tag = tag.lower()
            # Fast paths for the plain wrappers that make up most of an email.
            if close:
                if tags[-1] == tag and tag not in special:
                    tags.pop()
                    stack.pop()
                else:
                    self.close(tag)
            elif tag in special or not self._wrap(tag, raw_attrs):
                raw_attrs = raw_attrs.rstrip("/ \n\t")
                self.open(tag, self.parsed.attributes(raw_attrs) if raw_attrs else _NO_ATTRS)
                in_style = tag == "style"
        if not in_style and position < len(chunk):
            self.text(chunk[position:])
        return in_style

    def _wrap(self, tag: str, raw_attrs: str) -> bool:
        """Open a tag no rule names, if it carries no URL: it only passes on colour,
        background and hidden-ness. False when the rules must see it after all."""
        colour, background, hides, plain = self.parsed.effect(raw_attrs)
        if not plain:
            return False
        if tag not in VOID:
            parent = self.stack[-1]
            if colour is None and background is None and not hides:
                self.stack.append(parent)
            else:
                self.stack.append(
                    Element(
                        tag,
                        colour or parent.colour,
                        background or parent.background,
                        hides or parent.hidden,
                    )
                )
            self.tags.append(tag)
        return True

    def _styled(self, css: str) -> None:
        for handler in self._style:
            handler(css)

    def open(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "body":
            self.in_body = True
        if tag not in VOID:
            self.stack.append(self._element(tag, attrs))
            self.tags.append(tag)
            if tag == "a":
                self.links.append(self.stack[-1])
            elif tag in HEADINGS:
                self.heading_open = True
        elif tag == "img" and self.links:
            alt = attrs.get("alt", "").strip()
            if alt:
                self.links[-1].name_parts.append(alt)
        for handler in self._start.get(tag, self._start_any):
            handler(tag, attrs, self)

    def _element(self, tag: str, attrs: dict[str, str]) -> Element:
        parent = self.stack[-1]
        style = self.parsed.style(attrs["style"]) if "style" in attrs else _NO_STYLE
        colour = parent.colour
        if "color" in style:
            colour = parse_colour(style["color"]) or colour
        elif tag == "a":
            colour = DEFAULT_LINK
        background = parent.background
        if "background-color" in style:
            background = parse_colour(style["background-color"]) or background
        elif "background" in style:
            background = first_colour(style["background"]) or background
        elif "bgcolor" in attrs:
            background = parse_colour(attrs["bgcolor"]) or background
        hidden = parent.hidden or style.get("display") == "none" or "mso-hide" in style
        return Element(tag, colour, background, hidden, attrs, style)

    def close(self, tag: str) -> None:
        if tag not in self.tags:
            return  # a stray end tag; browsers ignore it too
        stack, tags = self.stack, self.tags
        while True:
            element = stack.pop()
            popped = tags.pop()
            # Only these have an element of their own (a tag with a URL has one too, but
            # no rule waits for its end).
            if popped in self.special:
                self.closed(element)
            if popped == tag:
                return

    def closed(self, element: Element) -> None:
        tag = element.tag
        if tag == "a":
            self.links.pop()
        elif tag in HEADINGS:
            self.heading_open = False
        for handler in self._end.get(tag, ()):
            handler(element, self)

    def text(self, raw: str) -> None:
        if not raw or raw.isspace():
            return
        element = self.stack[-1]
        if element.hidden and not self.heading_open and not self.links:
            # Hidden text outside links and headings (the preheader and its filler of
            # entities) matters only as "the first text is hidden": no need to decode it.
            for on_hidden in self._hidden_text:
                on_hidden(self)
            return
        text = html_lib.unescape(raw).replace("\xa0", " ").strip()
        if not text:
            return
        if self.links and not element.hidden:
            self.links[-1].name_parts.append(text)
        for on_text in self._text:
            on_text(text, element, self)


def snippet(text: str) -> str:
    """Text short enough to quote in a message."""
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "…"

"""Rules about the structure a screen reader announces: tables and headings."""

from __future__ import annotations

import re
from typing import ClassVar

from varcomms.config import RenderSettings
from varcomms.render.checks.walker import HEADINGS, Element, Report, Rule, Walker, snippet

_OUTLOOK_TABLE = re.compile(r"<table\b(?![^>]*\brole=\"presentation\")[^>]*>", re.IGNORECASE)


class TableRole(Rule):
    """A layout table says role="presentation"; a data table (with <th> or <caption>)
    need not."""

    tags: ClassVar[frozenset[str] | None] = frozenset({"table", "th", "caption"})

    def __init__(self, report: Report, settings: RenderSettings, *, email: bool) -> None:
        super().__init__(report, settings, email=email)
        self.data: list[bool] = []  # per open table: does it hold a <th> or <caption>?

    def start(self, tag: str, attrs: dict[str, str], walk: Walker) -> None:
        if tag == "table":
            self.data.append(False)
        elif self.data:
            self.data[-1] = True

    def end(self, element: Element, walk: Walker) -> None:
        if element.tag != "table":
            return
        data = self.data.pop()
        if element.attrs.get("role") != "presentation" and not data:
            self.add(
                "error",
                "table-role",
                'layout table without role="presentation" (screen readers announce it)',
            )

    def outlook(self, html: str) -> None:
        if _OUTLOOK_TABLE.search(html):
            self.add("error", "table-role", 'Outlook layout table without role="presentation"')


class Headings(Rule):
    """One <h1>, no empty heading, and no level skipped on the way down."""

    tags: ClassVar[frozenset[str] | None] = HEADINGS

    def __init__(self, report: Report, settings: RenderSettings, *, email: bool) -> None:
        super().__init__(report, settings, email=email)
        self.headings: list[tuple[int, str]] = []
        self.level = 0
        self.parts: list[str] | None = None  # the text of the open heading

    def start(self, tag: str, attrs: dict[str, str], walk: Walker) -> None:
        self.level = int(tag[1])
        self.parts = []

    def text(self, text: str, element: Element, walk: Walker) -> None:
        if self.parts is not None:
            self.parts.append(text + " ")

    def end(self, element: Element, walk: Walker) -> None:
        if self.parts is not None:
            self.headings.append((self.level, " ".join("".join(self.parts).split())))
            self.parts = None

    def finish(self) -> None:
        levels = [level for level, _ in self.headings]
        if 1 not in levels:
            self.add("error", "headings", "no <h1>: the email needs one main heading")
        elif levels.count(1) > 1:
            self.add("warning", "headings", f"{levels.count(1)} <h1> headings; use one")
        previous = 0
        for level, text in self.headings:
            if not text:
                self.add("error", "headings", f"empty <h{level}>")
            if previous and level > previous + 1:
                self.add(
                    "error",
                    "headings",
                    f"<h{level}> {snippet(text)!r} follows <h{previous}>: a level is skipped",
                )
            previous = level

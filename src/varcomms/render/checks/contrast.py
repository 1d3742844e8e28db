"""Visible text must stand out from its background (WCAG 2 AA)."""

from __future__ import annotations

from varcomms.render.checks.links import PERSONAL
from varcomms.render.checks.walker import Element, Rule, Walker, snippet
from varcomms.render.colours import contrast, hex_of

MIN_CONTRAST = 4.5


class Contrast(Rule):
    """Text colour against the background it inherits, at least 4.5:1."""

    def text(self, text: str, element: Element, walk: Walker) -> None:
        if element.hidden or not walk.in_body or element.tag in ("title", "style"):
            return
        if text in PERSONAL:
            return
        ratio = contrast(element.colour, element.background)
        if ratio < MIN_CONTRAST:
            self.add(
                "error",
                "contrast",
                f"text {snippet(text)!r}: {hex_of(element.colour)} on "
                f"{hex_of(element.background)} has contrast {ratio:.2f}:1 "
                f"(at least {MIN_CONTRAST}:1 needed)",
            )

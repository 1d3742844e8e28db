"""Rules about images: alt text, and a width that fits the column."""

from __future__ import annotations

import re
from typing import ClassVar

from varcomms.render.checks.walker import Rule, Walker, snippet
from varcomms.render.images import COLUMN_WIDTH

_IMAGES = frozenset({"img"})
# Outlook-only HTML inside conditional comments: only what a rule needs is looked for.
_OUTLOOK_IMG = re.compile(r"<img\b(?![^>]*\balt=)[^>]*>", re.IGNORECASE)
_OUTLOOK_IMG_WIDTH = re.compile(r"<img\b[^>]*\bwidth=\"(\d+)", re.IGNORECASE)


class ImageWidth(Rule):
    """An image wider than the column pushes the layout sideways (Outlook uses the
    attribute as is; a phone scrolls)."""

    tags: ClassVar[frozenset[str] | None] = _IMAGES
    outlook_rank: ClassVar[int] = 2

    def start(self, tag: str, attrs: dict[str, str], walk: Walker) -> None:
        self.width(attrs.get("width", ""), attrs.get("src", ""))

    def outlook(self, html: str) -> None:
        for width in _OUTLOOK_IMG_WIDTH.finditer(html):
            self.width(width.group(1), "in Outlook-only HTML")

    def width(self, width: str, src: str) -> None:
        width = width.strip().lower().removesuffix("px")
        if width.isdigit() and int(width) > COLUMN_WIDTH:
            shown = src if len(src) < 80 else src[:77] + "…"
            self.add(
                "error",
                "image-width",
                f'image {shown} has width="{width}", wider than the {COLUMN_WIDTH} px column',
            )


class AltText(Rule):
    """Every image has an alt attribute (empty for decoration)."""

    tags: ClassVar[frozenset[str] | None] = _IMAGES
    outlook_rank: ClassVar[int] = 1

    def start(self, tag: str, attrs: dict[str, str], walk: Walker) -> None:
        if "alt" not in attrs:
            self.add("error", "alt-text", f"image {attrs.get('src', '')} has no alt attribute")

    def outlook(self, html: str) -> None:
        for image in _OUTLOOK_IMG.finditer(html):
            self.add("error", "alt-text", f"Outlook image has no alt: {snippet(image.group(0))}")

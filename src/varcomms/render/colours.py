"""CSS colours and the WCAG 2 contrast ratio between two of them."""

from __future__ import annotations

import re
from functools import lru_cache

Rgb = tuple[int, int, int]

NAMED: dict[str, Rgb] = {
    "white": (255, 255, 255),
    "black": (0, 0, 0),
    "red": (255, 0, 0),
    "green": (0, 128, 0),
    "blue": (0, 0, 255),
    "gray": (128, 128, 128),
    "grey": (128, 128, 128),
    "silver": (192, 192, 192),
    "navy": (0, 0, 128),
    "maroon": (128, 0, 0),
    "orange": (255, 165, 0),
    "yellow": (255, 255, 0),
}
_RGB = re.compile(r"rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(?:,\s*([\d.]+)\s*)?\)")


@lru_cache(maxsize=512)
def parse_colour(value: str) -> Rgb | None:
    """An opaque colour from a CSS value; None for transparent, inherit or unknown."""
    value = value.strip().lower().removesuffix("!important").strip()
    if value.startswith("#"):
        digits = value[1:]
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        if len(digits) == 6:
            try:
                return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))
            except ValueError:
                return None
        return None
    match = _RGB.match(value)
    if match:
        alpha = match.group(4)
        if alpha is not None and float(alpha) < 1:
            return None  # translucent: the result depends on what is behind it
        r, g, b = (min(int(match.group(i)), 255) for i in (1, 2, 3))
        return (r, g, b)
    return NAMED.get(value)


def first_colour(value: str) -> Rgb | None:
    """The colour in a ``background`` shorthand ('#fff url(x) no-repeat')."""
    for token in value.replace(",", " , ").split():
        colour = parse_colour(token)
        if colour is not None:
            return colour
    return parse_colour(value)


@lru_cache(maxsize=512)
def luminance(colour: Rgb) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = colour
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


@lru_cache(maxsize=1024)
def contrast(foreground: Rgb, background: Rgb) -> float:
    """WCAG contrast ratio, from 1 (none) to 21 (black on white)."""
    a, b = luminance(foreground), luminance(background)
    light, dark = max(a, b), min(a, b)
    return (light + 0.05) / (dark + 0.05)


def hex_of(colour: Rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)

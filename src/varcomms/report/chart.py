"""A horizontal bar chart as inline SVG: self-contained, readable without JavaScript.

A report page must open from a mail attachment or a file share with no network, so the
chart is drawn here as a few SVG rectangles rather than with a plotting library (the
figures are a handful of bars; matplotlib would add 40 MB for them).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

BAR = 26
GAP = 10
LABEL_WIDTH = 190
BAR_WIDTH = 420
VALUE_WIDTH = 90


def bar_chart(bars: Sequence[tuple[str, int]], *, title: str, colour: str = "#1a4f8b") -> str:
    """``bars`` as (label, value); the longest bar spans the chart."""
    top = max((value for _, value in bars), default=0) or 1
    height = len(bars) * (BAR + GAP) + GAP
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    rows = []
    for index, (label, value) in enumerate(bars):
        y = GAP + index * (BAR + GAP)
        length = round(BAR_WIDTH * value / top)
        rows.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR * 0.7:.1f}" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{max(length, 1)}" height="{BAR}" '
            f'fill="{escape(colour)}" rx="2"><title>{escape(label)}: {value}</title></rect>'
            f'<text x="{LABEL_WIDTH + length + 8}" y="{y + BAR * 0.7:.1f}">{value}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px" font-family="Arial, Helvetica, sans-serif" '
        f'font-size="14" fill="#1a1a1a"><title>{escape(title)}</title>{"".join(rows)}</svg>'
    )

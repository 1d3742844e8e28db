"""Images inside item and intro HTML: fitted to the column, and never shown twice.

Feed HTML and editors' Markdown bring images of any size (``width="600"`` in a 552 px
column, or no size at all for a 1,100 px photo). Outlook for Windows sizes an image by
its ``width`` attribute alone and ignores CSS ``max-width``; other clients honour
``max-width:100%``. So every image gets both: a ``width`` no wider than its column
(height scaled along) and ``max-width:100%;height:auto``. The input has passed the
sanitiser (double-quoted attributes, no ``style``, whole-pixel sizes only), so a few
regular expressions suffice.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# The text column of the layout: 600 px body minus 2 × 24 px padding.
COLUMN_WIDTH = 552
# Shown while images are blocked (Outlook's default for new senders): readable alt text.
ALT_STYLE = "font-family:'Segoe UI',Helvetica,Arial,sans-serif;font-size:14px;color:#52606d;"

_IMG = re.compile(r"<img\b([^>]*?)\s*/?>", re.IGNORECASE)
_SIZE = re.compile(r'\s(width|height)="(\d+)"', re.IGNORECASE)
_SRC = re.compile(r'\ssrc="([^"]*)"', re.IGNORECASE)
_FIGURE = re.compile(r"<figure\b[^>]*>(.*?)</figure>", re.IGNORECASE | re.DOTALL)
_FIGURE_OPEN = re.compile(r"<figure>", re.IGNORECASE)
_FIGCAPTION_OPEN = re.compile(r"<figcaption>", re.IGNORECASE)
_EMPTY = re.compile(r"<(a|p|span|strong|em)\b[^>]*>\s*</\1>", re.IGNORECASE)
# WordPress serves one upload in several sizes: photo.jpg, photo-300x200.jpg, …
_SIZE_SUFFIX = re.compile(r"-\d+x\d+(?=\.[a-z0-9]+$)", re.IGNORECASE)


def fit_images(html: str, width: int = COLUMN_WIDTH) -> str:
    """Every ``<img>`` at most ``width`` px wide (attribute and CSS), alt text styled."""
    if "<img" not in html and "<IMG" not in html:
        return html

    def fit(match: re.Match[str]) -> str:
        attributes = match.group(1)
        sizes = {name.lower(): int(value) for name, value in _SIZE.findall(attributes)}
        rest = _SIZE.sub("", attributes)
        given = sizes.get("width")
        fitted = min(given, width) if given else width
        size = f' width="{fitted}"'
        if given and "height" in sizes:
            size += f' height="{max(1, round(sizes["height"] * fitted / given))}"'
        style = f"max-width:100%;height:auto;border:0;{ALT_STYLE}"
        return f'<img{rest}{size} style="{style}">'

    html = _IMG.sub(fit, html)
    # Browsers give <figure> 40 px side margins: enough to push a full-width image out.
    html = _FIGURE_OPEN.sub('<figure style="margin:0 0 12px 0;">', html)
    return _FIGCAPTION_OPEN.sub(
        '<figcaption style="margin:6px 0 0 0;font-size:14px;line-height:1.5;color:#52606d;">',
        html,
    )


def same_image(a: str, b: str) -> bool:
    """Whether two image URLs show the same picture (scheme, query and size suffix aside)."""
    return _identity(a) == _identity(b)


def _identity(url: str) -> str:
    parts = urlsplit(url.strip().replace("&amp;", "&"))
    return parts.netloc.lower().removeprefix("www.") + _SIZE_SUFFIX.sub("", parts.path)


def without_image(html: str, image_url: str | None) -> str:
    """``html`` without the image that is already shown above it as the item's image.

    A feed often repeats its lead image in the body; the email would show it twice. The
    figure around it (with its caption) goes too, and so do wrappers left empty.
    """
    if not image_url or "<img" not in html:
        return html
    target = _identity(image_url)

    def repeats(tag: str) -> bool:
        src = _SRC.search(tag)
        return src is not None and _identity(src.group(1)) == target

    def figure(match: re.Match[str]) -> str:
        tags = list(_IMG.finditer(match.group(1)))
        if tags and all(repeats(tag.group(1)) for tag in tags):
            return ""
        return match.group(0)

    stripped = _FIGURE.sub(figure, html)
    stripped = _IMG.sub(lambda m: "" if repeats(m.group(1)) else m.group(0), stripped)
    if stripped == html:
        return html
    previous = None
    while previous != stripped:  # <p><a><img></a></p> empties from the inside out
        previous, stripped = stripped, _EMPTY.sub("", stripped)
    return stripped.strip()

"""The plain-text part: sanitised HTML fragments turned into wrapped, readable text.

The input is item HTML that has passed the sanitiser (a small, well-formed tag set),
so a handful of regular expressions is enough — and fast, which matters because every
variant renders a text part.
"""

from __future__ import annotations

import html
import re

WIDTH = 72

_LINK = re.compile(r'<a\b[^>]*?\bhref="([^"]*)"[^>]*>(.*?)</a>', re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_ITEM = re.compile(r"<li\b[^>]*>", re.IGNORECASE)
_LIST = re.compile(r"</?(?:ul|ol)\b[^>]*>", re.IGNORECASE)
_ITEM_END = re.compile(r"</li>", re.IGNORECASE)
_BLOCK_END = re.compile(
    r"</(?:p|div|h[1-6]|blockquote|table|tr|figure|figcaption|pre|dl|dd|dt)>",
    re.IGNORECASE,
)
_TAG = re.compile(r"<[^>]+>")
_PARAGRAPHS = re.compile(r"\n\s*\n+")
# A line break in the HTML source (Markdown's soft break) is only a space, as in a browser.
_SOURCE_BREAK = re.compile(r"[ \t]*\r?\n\s*")


def html_to_text(fragment: str, *, width: int = WIDTH) -> str:
    """Readable text of an HTML fragment: paragraphs, '- ' list items, 'label (url)' links."""
    if not fragment:
        return ""

    def link(match: re.Match[str]) -> str:
        url = html.unescape(match.group(1))
        label = _TAG.sub("", match.group(2)).strip()
        label = html.unescape(label)
        if not label or label == url or url == f"mailto:{label}":
            return label or url
        return f"{label} ({url})"

    text = _LINK.sub(link, _SOURCE_BREAK.sub(" ", fragment))
    text = _BREAK.sub("\n", text)
    text = _LIST.sub("\n\n", text)
    text = _ITEM_END.sub("", text)
    text = _ITEM.sub("\n\x00", text)  # \x00 marks a list item until wrapping
    text = _BLOCK_END.sub("\n\n", text)
    text = html.unescape(_TAG.sub("", text)).replace("\xa0", " ")
    paragraphs = [p.strip() for p in _PARAGRAPHS.split(text)]
    return "\n\n".join(wrap(p, width=width) for p in paragraphs if p.strip("\x00 \n"))


def wrap(text: str, *, width: int = WIDTH) -> str:
    """Wrap each line at ``width`` without breaking URLs or placeholders.

    A greedy word wrap: words are never split, so a long URL gets a line of its own.
    (textwrap does the same, several times slower, and the text part is on every render.)
    """
    lines: list[str] = []
    for raw in text.split("\n"):
        words = raw.split()
        if not words:
            continue
        bullet = words[0].startswith("\x00")
        if bullet:
            words[0] = words[0].lstrip("\x00")
            if not words[0]:
                words.pop(0)
        indent = "  " if bullet else ""
        line = "- " if bullet else ""
        fresh = True
        for word in words:
            if fresh:
                line += word
                fresh = False
            elif len(line) + 1 + len(word) <= width:
                line += " " + word
            else:
                lines.append(line)
                line = indent + word
        lines.append(line)
    return "\n".join(lines)


def heading(title: str) -> str:
    """A section heading for the text part; an empty title gives a plain rule."""
    if not title:
        return "-" * 40
    upper = title.upper()
    return f"{upper}\n{'=' * min(len(upper), WIDTH)}"


def tidy(text: str) -> str:
    """At most one blank line in a row, no trailing spaces, one final newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    return "\n".join(out).strip() + "\n"

"""Markdown in, sanitised HTML out; and the way back for drafting.

Editors write Markdown. Pool items carry sanitised HTML from the feeds, which drafting
turns into Markdown when it is simple (paragraphs, links, emphasis, lists) so the
files stay pleasant to edit; anything richer is kept as HTML, which Markdown allows.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from markdown_it import MarkdownIt

from varcomms.sanitize import sanitize_html

_md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)


def markdown_to_html(text: str, *, base_url: str | None = None) -> str:
    """Render Markdown and reduce it to the email allow-list."""
    if not text.strip():
        return ""
    return sanitize_html(_md.render(text), base_url=base_url)


_SIMPLE = {"p", "br", "a", "strong", "b", "em", "i", "ul", "ol", "li"}


class _ToMarkdown(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.simple = True
        self.links: list[str] = []
        self.lists: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _SIMPLE:
            self.simple = False
            return
        if tag == "p":
            self.out.append("\n\n")
        elif tag == "br":
            self.out.append("  \n")
        elif tag in ("strong", "b"):
            self.out.append("**")
        elif tag in ("em", "i"):
            self.out.append("*")
        elif tag == "a":
            self.links.append(dict(attrs).get("href") or "")
            self.out.append("[")
        elif tag in ("ul", "ol"):
            self.lists.append(tag)
            self.out.append("\n\n")
        elif tag == "li":
            marker = "1." if self.lists and self.lists[-1] == "ol" else "-"
            self.out.append(f"\n{marker} ")

    def handle_endtag(self, tag: str) -> None:
        if tag not in _SIMPLE:
            self.simple = False
            return
        if tag == "p":
            self.out.append("\n\n")
        elif tag in ("strong", "b"):
            self.out.append("**")
        elif tag in ("em", "i"):
            self.out.append("*")
        elif tag == "a":
            href = self.links.pop() if self.links else ""
            self.out.append(f"]({href})" if href else "]")
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self.out.append("\n\n")

    def handle_data(self, data: str) -> None:
        text = re.sub(r"\s+", " ", data)  # HTML whitespace: runs are one space
        # Characters Markdown would read as markup are escaped.
        for char in ("\\", "*", "_", "[", "]", "`"):
            text = text.replace(char, "\\" + char)
        self.out.append(text)


def html_to_markdown(html: str) -> str:
    """Simple HTML as Markdown; anything beyond the simple subset is returned as is."""
    if not html.strip():
        return ""
    parser = _ToMarkdown()
    parser.feed(html)
    parser.close()
    if not parser.simple:
        return html.strip()
    lines = [line.strip() for line in "".join(parser.out).splitlines()]
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    text = text.strip()
    if text.startswith(("#", ">")):
        text = "\\" + text  # a feed's "#1 ..." is text, not a heading
    return text

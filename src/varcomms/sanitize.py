"""Sanitising HTML that comes from outside (feeds, editors' Markdown) for use in email.

One allow-list fit for email clients: text structure, links, images and simple tables;
no scripts, styles, iframes, forms, event handlers or ``javascript:`` URLs. Relative
links and image sources are made absolute against the document's URL, because an email
has no base URL of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

import nh3

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "dl", "dt",
        "em", "figcaption", "figure", "h2", "h3", "h4", "hr", "i", "img", "li", "ol", "p",
        "pre", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "th",
        "thead", "tr", "u", "ul",
    }
)  # fmt: skip

ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height", "title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "abbr": {"title"},
}

ALLOWED_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
# Elements removed together with their content (not just unwrapped).
DROP_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "noscript", "form"})


_INVISIBLE = "".join(map(chr, range(0x21))) + "\x7f\ufeff\ufffd\u200b"


def _pixels(value: str) -> str | None:
    """An image's width or height as whole pixels ("600", "600px"), else None.

    A percentage or "auto" says nothing about the picture's size, and render needs a
    number to fit the image into the column (and to give Outlook its width).
    """
    number = value.strip().lower().removesuffix("px").strip()
    if number.isdigit() and 0 < int(number) <= 10_000:
        return str(int(number))
    return None


def _absolute(base_url: str | None) -> Callable[[str, str, str], str | None]:
    def rewrite(element: str, attribute: str, value: str) -> str | None:
        if element == "img" and attribute in ("width", "height"):
            return _pixels(value)
        if attribute not in ("href", "src"):
            return value
        # Invisible characters in front hide a scheme from urlsplit ("\x7fjavascript:");
        # an email client may skip them, so they go before the scheme is judged.
        value = value.strip().lstrip(_INVISIBLE)
        try:
            # A fragment points into the page: an email has no page, so it gets the URL.
            if base_url and not urlsplit(value).scheme:
                value = urljoin(base_url, value)
            scheme = urlsplit(value).scheme.lower()
        except ValueError:  # e.g. "http://example.c[o.test/": not a URL at all
            return None
        if scheme and scheme not in ALLOWED_SCHEMES:
            return None  # drops the attribute: a javascript:/data: link becomes plain text
        if element == "img" and scheme not in ("http", "https"):
            return None
        return value

    return rewrite


def sanitize_html(html: str, *, base_url: str | None = None) -> str:
    """Return ``html`` reduced to the email allow-list, with absolute URLs."""
    if not html:
        return ""
    html = _close_xhtml_style(limit_nesting(html))
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_SCHEMES),
        link_rel="noopener noreferrer",
        attribute_filter=_absolute(base_url),
        strip_comments=True,
    ).strip()


def absolute_url(url: str | None, base_url: str | None) -> str | None:
    """``url`` resolved against ``base_url``; None for empty or non-web schemes."""
    if not url:
        return None
    try:
        resolved = urljoin(base_url, url.strip()) if base_url else url.strip()
        scheme = urlsplit(resolved).scheme
    except ValueError:  # malformed, e.g. an unbalanced "[" in the host
        return None
    return resolved if scheme in ("http", "https") else None


# -- bounding the cost of sanitising --------------------------------------------------------
#
# nh3 (html5ever) takes time quadratic in the nesting depth of some elements: 100,000
# nested <div> in one feed entry take a minute, and a 20 MB feed could take hours. No
# email needs more than a few dozen levels, so deeper markup is flattened (its text
# kept) and overlong fragments are cut before nh3 sees them: the cost stays linear.

MAX_HTML_CHARS = 1_000_000
MAX_DEPTH = 64
# Elements that never have content, so never open a level.
_VOID = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "param", "source", "track", "wbr",
    }
)  # fmt: skip
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)\b[^>]*?(/?)>")


def limit_nesting(html: str, *, max_depth: int = MAX_DEPTH, max_chars: int = MAX_HTML_CHARS) -> str:
    """``html`` cut to ``max_chars`` and with tags deeper than ``max_depth`` left out.

    Markup within the limits comes back unchanged. The scan is linear and needs no
    well-formed input: an unmatched closing tag is kept for nh3 to judge.
    """
    if len(html) > max_chars:
        html = html[:max_chars]
    if html.count("<") <= max_depth:
        return html  # cannot be nested deeper than the limit
    parts: list[str] = []
    stack: list[tuple[str, bool]] = []  # (tag, kept)
    open_count: dict[str, int] = {}  # per tag in the stack: a stray closing tag costs O(1)
    position = 0
    changed = False
    for match in _TAG.finditer(html):
        closing, name, self_closing = match[1], match[2].lower(), match[3]
        keep = True
        if closing:
            if open_count.get(name):
                # Pop down to the matching opening tag (what it closes implicitly goes
                # too); every element is popped once, so the scan stays linear.
                while stack:
                    top, kept = stack.pop()
                    open_count[top] -= 1
                    if top == name:
                        keep = kept
                        break
        elif name not in _VOID and not self_closing:
            keep = len(stack) < max_depth
            stack.append((name, keep))
            open_count[name] = open_count.get(name, 0) + 1
        if not keep:
            parts.append(html[position : match.start()])
            position = match.end()
            changed = True
    if not changed:
        return html
    parts.append(html[position:])
    return "".join(parts)


# Feeds are often XHTML, where <iframe .../> is an empty element; an HTML parser reads it
# as an opening tag and drops all text after it with the iframe. Closed explicitly, only
# the element goes.
_SELF_CLOSED = re.compile(
    r"<(iframe|script|style|object|embed|noscript|textarea|title)\b([^<>]*?)/>", re.IGNORECASE
)


def _close_xhtml_style(html: str) -> str:
    if "/>" not in html:
        return html
    return _SELF_CLOSED.sub(r"<\1\2></\1>", html)

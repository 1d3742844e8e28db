"""Sanitising HTML that comes from outside (feeds, editors' Markdown) for use in email.

One allow-list fit for email clients: text structure, links, images and simple tables;
no scripts, styles, iframes, forms, event handlers or ``javascript:`` URLs. Relative
links and image sources are made absolute against the document's URL, because an email
has no base URL of its own.
"""

from __future__ import annotations

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
        value = value.strip()
        try:
            if base_url and not urlsplit(value).scheme and not value.startswith("#"):
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

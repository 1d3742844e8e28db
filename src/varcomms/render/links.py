"""Tracking parameters (UTM) on links, and inline link styles for item HTML.

Every web link in an email gets ``utm_source``, ``utm_medium``, ``utm_campaign`` (the
edition id) and ``utm_content`` (where in the email it sits), unless tracking is off in
config. Links that belong to the reader — unsubscribe, preferences, the web version —
are never tagged: they carry personal tokens, and tagging them would leak nothing
useful and break signed URLs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from markupsafe import Markup, escape

from varcomms.config import Config
from varcomms.render.images import COLUMN_WIDTH, fit_images

_PLACEHOLDER_MARK = "%%VARCOMMS_"
_ANCHOR = re.compile(r"<a\b([^>]*)>", re.IGNORECASE)
_HREF = re.compile(r'\shref="([^"]*)"', re.IGNORECASE)
_PARAGRAPH = re.compile(r"<(p|ul|ol)>", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Tracker:
    """Adds UTM parameters to the web links of one edition (a no-op when disabled)."""

    enabled: bool
    source: str
    medium: str
    campaign: str
    never: tuple[str, ...] = ()  # URL prefixes never tagged

    @classmethod
    def for_edition(cls, config: Config, edition_id: str, *, medium: str | None = None) -> Tracker:
        urls = config.urls
        return cls(
            enabled=config.render.utm_enabled,
            source=config.render.utm_source,
            medium=medium or config.render.utm_medium,
            campaign=edition_id,
            never=(urls.unsubscribe_base, urls.preferences_base, urls.web_base),
        )

    def url(self, url: str, content: str | None = None) -> str:
        """``url`` with UTM parameters added, or unchanged when it must not be tagged."""
        if not self.enabled or not url or _PLACEHOLDER_MARK in url:
            return url
        if url.startswith(self.never):
            return url
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.path.lower().endswith(".ics"):
            return url
        if "utm_" in parts.query and any(
            name.startswith("utm_") for name, _ in parse_qsl(parts.query, keep_blank_values=True)
        ):
            return url  # the editor set their own; keep them
        query = f"{parts.query}&{self._suffix(content)}" if parts.query else self._suffix(content)
        return urlunsplit(parts._replace(path=parts.path or "/", query=query))

    def _suffix(self, content: str | None) -> str:
        return _utm_suffix(self.source, self.medium, self.campaign, content)


@lru_cache(maxsize=256)
def _utm_suffix(source: str, medium: str, campaign: str, content: str | None) -> str:
    pairs = [("utm_source", source), ("utm_medium", medium), ("utm_campaign", campaign)]
    if content:
        pairs.append(("utm_content", content))
    return urlencode(pairs)


def style_fragment(
    html: str,
    tracker: Tracker,
    *,
    content: str,
    link_colour: str,
    image_width: int = COLUMN_WIDTH,
) -> Markup:
    """Sanitised item HTML made fit for email: tagged links with inline styles, images
    no wider than ``image_width`` (the column they sit in).

    The HTML has passed the sanitiser, so attributes are double-quoted and there is no
    ``style`` attribute yet. Inline styles matter because several clients drop the
    ``<style>`` block; links are underlined so they never differ by colour alone.
    """
    if not html:
        return Markup("")

    def anchor(match: re.Match[str]) -> str:
        attributes = match.group(1)
        href = _HREF.search(attributes)
        if href is not None:
            tagged = tracker.url(_unescape_attr(href.group(1)), content)
            attributes = (
                attributes[: href.start()] + f' href="{escape(tagged)}"' + attributes[href.end() :]
            )
        style = f"color:{link_colour};text-decoration:underline;"
        return f'<a{attributes} style="{style}">'

    styled = _ANCHOR.sub(anchor, fit_images(html, image_width))
    styled = _PARAGRAPH.sub(lambda m: f'<{m.group(1)} style="margin:0 0 12px 0;">', styled)
    return Markup(styled)  # noqa: S704 - input is sanitised HTML; we only add attributes


def _unescape_attr(value: str) -> str:
    return value.replace("&amp;", "&").replace("&quot;", '"').replace("&#39;", "'")

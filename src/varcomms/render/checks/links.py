"""Rules about links: where they lead, what a screen reader calls them, and the reader's
own unsubscribe and preferences links."""

from __future__ import annotations

import html as html_lib
import re
from typing import ClassVar

from varcomms.config import RenderSettings
from varcomms.findings import Severity
from varcomms.models import PERSONAL_FIELDS
from varcomms.render.checks.walker import Element, Report, Rule, Walker, snippet

PERSONAL = frozenset(PERSONAL_FIELDS.values())
UNSUBSCRIBE = PERSONAL_FIELDS["unsubscribe_url"]
PREFERENCES = PERSONAL_FIELDS["preferences_url"]
# Link texts that say nothing about where a link goes. One is fine; three that sound the
# same are a list of identical links to a screen-reader user (WCAG 2.4.4).
GENERIC_LINK_TEXTS = frozenset(
    {
        "lees meer", "lees verder", "verder lezen", "meer", "meer informatie", "meer info",
        "klik hier", "hier", "bekijk", "bekijk hier", "link", "download", "zet in agenda",
        "read more", "more", "click here", "here", "learn more",
    }
)  # fmt: skip
GENERIC_LIMIT = 3
_NAME_TRIM = " \t\n.:…»›>→-"
_LINKS = frozenset({"a"})
_OUTLOOK_URL = re.compile(r"\b(href|src|background)=\"([^\"]*)\"", re.IGNORECASE)


def link_name(element: Element) -> tuple[str, bool]:
    """A link's accessible name, and whether it comes from its aria-label or title.

    aria-label is the name; a title only stands in when there is no text.
    """
    name = " ".join(" ".join(element.name_parts).split())
    attrs = element.attrs
    label = attrs.get("aria-label") or attrs.get("title") or None
    if label and (bool(attrs.get("aria-label")) or not name):
        return " ".join(label.split()), True
    return name, False


class Https(Rule):
    """Every URL absolute and https (an http link is a warning, an http image an error)."""

    tags: ClassVar[frozenset[str] | None] = None  # every tag with a URL
    outlook_rank: ClassVar[int] = 3

    def start(self, tag: str, attrs: dict[str, str], walk: Walker) -> None:
        if tag != "html":
            self.urls(attrs)

    def outlook(self, html: str) -> None:
        for match in _OUTLOOK_URL.finditer(html):
            self.urls({match.group(1).lower(): html_lib.unescape(match.group(2))})

    def urls(self, attrs: dict[str, str]) -> None:
        for name in ("href", "src", "background"):
            value = attrs.get(name)
            if value is None:
                continue
            value = value.strip()
            if value in PERSONAL or value.startswith("https://"):
                continue
            if name == "href" and value.startswith(("mailto:", "tel:")):
                continue
            if value.startswith("http://"):
                severity: Severity = "warning" if name == "href" else "error"
                self.add(severity, "https", f"{name}={value} is not https")
            else:
                shown = value if len(value) < 80 else value[:77] + "…"
                self.add("error", "absolute-url", f"{name}={shown!r} is not an absolute https URL")


class PersonalLinks(Rule):
    """Every newsletter lets the reader unsubscribe, and should link to the preferences."""

    tags: ClassVar[frozenset[str] | None] = _LINKS

    def __init__(self, report: Report, settings: RenderSettings, *, email: bool) -> None:
        super().__init__(report, settings, email=email)
        self.seen: set[str] = set()  # unsubscribe/preferences hrefs a reader sees

    def start(self, tag: str, attrs: dict[str, str], walk: Walker) -> None:
        href = attrs.get("href")
        if href in PERSONAL and not walk.stack[-1].hidden:
            self.seen.add(href)

    def finish(self) -> None:
        # A web page made of the email links to the general unsubscribe page instead.
        if self.email and UNSUBSCRIBE not in self.seen:
            self.add(
                "error",
                "unsubscribe",
                f'no visible unsubscribe link (href="{UNSUBSCRIBE}"): every newsletter '
                "must let the reader unsubscribe",
            )
        if self.email and PREFERENCES not in self.seen:
            self.add(
                "warning",
                "preferences",
                f'no link to the reader\'s preferences (href="{PREFERENCES}")',
            )


class LinkName(Rule):
    """A link needs a name: text, or alt text on the image in it."""

    tags: ClassVar[frozenset[str] | None] = _LINKS

    def end(self, element: Element, walk: Walker) -> None:
        href = element.attrs.get("href")
        if href and not link_name(element)[0]:
            self.add(
                "error",
                "link-name",
                f"link to {href} has no text (an image in it needs alt text)",
            )


class ColourOnly(Rule):
    """A link that looks like the text around it, told apart by colour alone."""

    tags: ClassVar[frozenset[str] | None] = _LINKS

    def end(self, element: Element, walk: Walker) -> None:
        if not element.name_parts or element.hidden:
            return
        style = element.style
        has_box = "background" in style or "background-color" in style
        if "none" not in style.get("text-decoration", "") or has_box:
            return
        name, _ = link_name(element)
        if element.attrs.get("href") and not name:
            return  # it has no name at all: "link-name" says so
        self.add(
            "warning",
            "colour-only",
            f"link {snippet(name)!r} is not underlined: it differs from the text by colour alone",
        )


class LinkPurpose(Rule):
    """Three links or more with the same vague text ("lees meer") sound identical."""

    tags: ClassVar[frozenset[str] | None] = _LINKS

    def __init__(self, report: Report, settings: RenderSettings, *, email: bool) -> None:
        super().__init__(report, settings, email=email)
        self.generic: dict[str, int] = {}  # the vague text as shown → how many links

    def end(self, element: Element, walk: Walker) -> None:
        name, labelled = link_name(element)
        if labelled or not element.attrs.get("href") or element.hidden:
            return
        if name.lower().strip(_NAME_TRIM) in GENERIC_LINK_TEXTS:
            shown = name.strip(_NAME_TRIM)
            self.generic[shown] = self.generic.get(shown, 0) + 1

    def finish(self) -> None:
        for name, count in self.generic.items():
            if count >= GENERIC_LIMIT:
                self.add(
                    "warning",
                    "link-purpose",
                    f"{count} links say {name!r}: a screen reader lists them as identical; "
                    "say where each goes in its text or an aria-label",
                )

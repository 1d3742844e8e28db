"""Quality checks on rendered email HTML, run on every render and by ``edition lint``.

One pass over the tags (a tokenizer, not a full parser: rendering must stay fast) with
a stack of open elements, so colours and hidden-ness are inherited as a browser would.
Content inside Outlook's conditional comments is checked for what applies to it too
(layout tables, images, links). Each rule has a name, so a finding can be looked up.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from varcomms.config import RenderSettings
from varcomms.findings import Finding, Severity
from varcomms.models import PERSONAL_FIELDS
from varcomms.render.colours import Rgb, contrast, first_colour, hex_of, parse_colour
from varcomms.render.images import COLUMN_WIDTH

MIN_CONTRAST = 4.5
DEFAULT_LINK: Rgb = (0, 0, 238)  # what clients show for a link without a colour

VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
FORBIDDEN = {
    "script": "scripts do not run in email and get the message flagged as spam",
    "form": "forms do not work in most mail clients",
    "input": "forms do not work in most mail clients",
    "button": "forms do not work in most mail clients",
    "select": "forms do not work in most mail clients",
    "textarea": "forms do not work in most mail clients",
    "iframe": "embedded frames are blocked by mail clients",
    "object": "embedded objects are blocked by mail clients",
    "embed": "embedded objects are blocked by mail clients",
}
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
# Tags and attributes a rule looks at; any other tag only passes on what it inherits.
_SPECIAL = frozenset(
    {"html", "body", "meta", "link", "img", "a", "table", "th", "caption", "style"}
    | {f"h{level}" for level in range(1, 7)}
    | set(FORBIDDEN)
)
_RELEVANT_ATTRS = frozenset({"style", "bgcolor", "href", "src", "background"})

# Fast path: a tag is "<name …>" with no ">" inside; attribute values that contain ">"
# (rare: a title, a URL) are re-read with the quote-aware _TAG below.
_COMMENT = re.compile(r"<!--(.*?)-->", re.DOTALL)
_TOKEN = re.compile(
    r"<(?:!(?P<decl>[^>]*)|(?P<close>/)?(?P<tag>[a-zA-Z][a-zA-Z0-9:-]*)(?P<attrs>[^>]*))>"
)
_TAG = re.compile(
    r"<(?P<close>/)?(?P<tag>[a-zA-Z][a-zA-Z0-9:-]*)"
    r"(?P<attrs>(?:\s+[^\s=/>]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)\s*/?>",
    re.DOTALL,
)
_ATTR = re.compile(r"([^\s=/>]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+)))?")
_NO_ATTRS: dict[str, str] = {}
# Outlook-only HTML inside conditional comments: only what a rule needs is looked for.
_OUTLOOK_TABLE = re.compile(r"<table\b(?![^>]*\brole=\"presentation\")[^>]*>", re.IGNORECASE)
_OUTLOOK_IMG = re.compile(r"<img\b(?![^>]*\balt=)[^>]*>", re.IGNORECASE)
_OUTLOOK_IMG_WIDTH = re.compile(r"<img\b[^>]*\bwidth=\"(\d+)", re.IGNORECASE)
_OUTLOOK_URL = re.compile(r"\b(href|src|background)=\"([^\"]*)\"", re.IGNORECASE)


@dataclass(slots=True)
class _Element:
    tag: str
    colour: Rgb
    background: Rgb
    hidden: bool
    # for links
    href: str | None = None
    label: str | None = None  # aria-label (the name), or a title (the name if no text)
    labelled: bool = False  # the label is an aria-label
    name_parts: list[str] = field(default_factory=list)
    plain_link: bool = False  # a link that looks like text, told apart only by colour
    # for tables
    data_table: bool = False
    role: str | None = None


@lru_cache(maxsize=1024)
def _attributes(raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for match in _ATTR.finditer(raw):
        value = match.group(2)
        if value is None:
            value = match.group(3) if match.group(3) is not None else (match.group(4) or "")
        attrs[match.group(1).lower()] = html_lib.unescape(value)
    return attrs


@lru_cache(maxsize=1024)
def _style(raw: str) -> dict[str, str]:
    declarations: dict[str, str] = {}
    for part in raw.split(";"):
        name, sep, value = part.partition(":")
        if sep:
            declarations[name.strip().lower()] = value.strip().lower()
    return declarations


# Mail HTML repeats the same attribute strings hundreds of times: remember their effect.
# (A plain dict, bounded below, is cheaper per lookup than lru_cache.)
_EFFECTS: dict[str, tuple[Rgb | None, Rgb | None, bool, bool]] = {}


def _effect(raw_attrs: str) -> tuple[Rgb | None, Rgb | None, bool, bool]:
    """What a tag's attributes do to the text inside: (colour, background, hides, plain).

    ``plain`` is False when a rule must look at the tag itself (a URL in it). Mail HTML
    repeats the same attribute strings hundreds of times, hence the cache.
    """
    if len(_EFFECTS) > 4096:
        _EFFECTS.clear()
    if not raw_attrs:
        return None, None, False, True
    attrs = _attributes(raw_attrs.rstrip("/ \n\t"))
    plain = not (attrs.keys() & {"href", "src", "background"})
    style = _style(attrs["style"]) if "style" in attrs else {}
    colour = parse_colour(style["color"]) if "color" in style else None
    background = None
    if "background-color" in style:
        background = parse_colour(style["background-color"])
    elif "background" in style:
        background = first_colour(style["background"])
    elif "bgcolor" in attrs:
        background = parse_colour(attrs["bgcolor"])
    hides = style.get("display") == "none" or "mso-hide" in style
    return colour, background, hides, plain


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "…"


class _Checker:
    def __init__(self, settings: RenderSettings, *, email: bool = True) -> None:
        self.settings = settings
        self.email = email
        self.findings: list[Finding] = []
        self._seen: set[tuple[str, str]] = set()
        self.headings: list[tuple[int, str]] = []
        self.heading_text: list[str] | None = None
        self.heading_level = 0
        self.styles: list[str] = []
        self.metas: list[dict[str, str]] = []
        self.lang: str | None = None
        self.in_body = False
        self.first_body_text: bool | None = None  # hidden? for the first text in <body>
        self.personal_links: set[str] = set()  # unsubscribe/preferences hrefs a reader sees
        self.links_open = 0
        self.generic_names: dict[str, int] = {}

    def add(self, severity: Severity, code: str, message: str) -> None:
        key = (code, message)
        if key not in self._seen:
            self._seen.add(key)
            self.findings.append(Finding(severity, code, message))

    # -- the walk ---------------------------------------------------------------------

    def run(self, document: str) -> list[Finding]:
        size = len(document.encode("utf-8"))
        kb = size / 1024
        if size > self.settings.max_html_bytes:
            self.add(
                "error",
                "size",
                f"HTML is {kb:.1f} KB; Gmail clips messages above "
                f"{self.settings.max_html_bytes // 1024} KB",
            )
        elif size >= self.settings.warn_html_bytes:
            self.add("warning", "size", f"HTML is {kb:.1f} KB, close to Gmail's clipping limit")
        root = _Element("#root", (0, 0, 0), (255, 255, 255), hidden=False)
        # Two stacks in step: the open tags, and what each passes on to its content. A
        # plain wrapper changes nothing, so it shares its parent's element.
        stack = [root]
        tags = self.tags = ["#root"]
        outlook: list[str] = []
        # Comments first (a conditional comment holds tags, and so its own ">"s), then
        # the tags and text of each stretch between them.
        chunks = _COMMENT.split(document)
        style_end: str | None = None  # inside <style>: skip to its end tag
        for index, chunk in enumerate(chunks):
            if index % 2:
                if chunk.startswith("[if"):
                    outlook.append(chunk)
                continue
            position = 0
            for match in _TOKEN.finditer(chunk):
                start = match.start()
                if start < position:
                    continue  # inside a tag re-read by _TAG, or a <style> block
                if style_end is not None:
                    if match.group("close") and match.group("tag").lower() == "style":
                        self.styles.append(chunk[position:start])
                        style_end = None
                        position = match.end()
                    continue
                if start > position:
                    self.text(chunk[position:start], stack)
                decl, close, tag, raw_attrs = match.groups()
                if decl is not None:
                    position = match.end()
                    continue
                # "[^>]*" stops at a ">" inside a quoted value: an odd quote count shows it.
                if raw_attrs.count('"') % 2 or ('"' not in raw_attrs and raw_attrs.count("'") % 2):
                    full = _TAG.match(chunk, start)
                    if full is not None:
                        match = full
                        close, tag, raw_attrs = full.groups()
                position = match.end()
                tag = tag.lower()
                # Fast paths for the plain wrappers that make up most of an email.
                if close:
                    if tags[-1] == tag and tag not in _SPECIAL:
                        tags.pop()
                        stack.pop()
                    else:
                        self.close(tag, stack)
                    continue
                if tag not in _SPECIAL:
                    effect = _EFFECTS.get(raw_attrs)
                    if effect is None:
                        effect = _EFFECTS[raw_attrs] = _effect(raw_attrs)
                    colour, background, hides, plain = effect
                    if plain:
                        if tag not in VOID:
                            parent = stack[-1]
                            if colour is None and background is None and not hides:
                                stack.append(parent)
                            else:
                                stack.append(
                                    _Element(
                                        tag,
                                        colour or parent.colour,
                                        background or parent.background,
                                        hides or parent.hidden,
                                    )
                                )
                            tags.append(tag)
                        continue
                raw_attrs = raw_attrs.rstrip("/ \n\t")
                attrs = _attributes(raw_attrs) if raw_attrs else _NO_ATTRS
                self.open(tag, attrs, stack)
                if tag == "style":
                    style_end = "style"
            if style_end is None and position < len(chunk):
                self.text(chunk[position:], stack)
        self.outlook("".join(outlook))
        self.finish()
        return self.findings

    def open(self, tag: str, attrs: dict[str, str], stack: list[_Element]) -> None:
        parent = stack[-1]
        if tag not in _SPECIAL and not (attrs.keys() & _RELEVANT_ATTRS):
            # Most tags of an email are plain wrappers: they only inherit.
            if tag not in VOID:
                stack.append(parent)
                self.tags.append(tag)
            return
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "body":
            self.in_body = True
        elif tag == "meta":
            self.metas.append(attrs)
        elif tag == "link":
            rel = attrs.get("rel", "").lower()
            if "stylesheet" in rel:
                self.add("error", "external-css", f"external stylesheet {attrs.get('href', '')}")
        if tag in FORBIDDEN:
            self.add("error", "forbidden-element", f"<{tag}>: {FORBIDDEN[tag]}")
        self.urls(tag, attrs)
        if tag == "img":
            self.image(attrs, stack)
        if tag in ("th", "caption"):
            for element in reversed(stack):
                if element.tag == "table":
                    element.data_table = True
                    break
        if tag in VOID:
            return
        style = _style(attrs["style"]) if "style" in attrs else {}
        colour = parent.colour
        if "color" in style:
            colour = parse_colour(style["color"]) or colour
        elif tag == "a":
            colour = DEFAULT_LINK
        background = parent.background
        if "background-color" in style:
            background = parse_colour(style["background-color"]) or background
        elif "background" in style:
            background = first_colour(style["background"]) or background
        elif "bgcolor" in attrs:
            background = parse_colour(attrs["bgcolor"]) or background
        hidden = parent.hidden or style.get("display") == "none" or "mso-hide" in style
        element = _Element(tag, colour, background, hidden)
        if tag == "a":
            self.links_open += 1
            element.href = attrs.get("href")
            if element.href in PERSONAL and not hidden:
                self.personal_links.add(element.href)
            # aria-label is the name; a title only stands in when there is no text.
            element.label = attrs.get("aria-label") or attrs.get("title") or None
            element.labelled = bool(attrs.get("aria-label"))
            decoration = style.get("text-decoration", "")
            has_box = "background" in style or "background-color" in style
            element.plain_link = "none" in decoration and not has_box
        elif tag == "table":
            element.role = attrs.get("role")
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.heading_level = int(tag[1])
            self.heading_text = []
        stack.append(element)
        self.tags.append(tag)

    def close(self, tag: str, stack: list[_Element]) -> None:
        if tag not in self.tags:
            return  # a stray end tag; browsers ignore it too
        while True:
            element = stack.pop()
            popped = self.tags.pop()
            if popped in _SPECIAL:  # only those have an element of their own
                self.closed(element)
            if popped == tag:
                return

    def closed(self, element: _Element) -> None:
        tag = element.tag
        if tag == "a":
            self.links_open -= 1
            name = " ".join(" ".join(element.name_parts).split())
            if element.label and (element.labelled or not name):
                name = " ".join(element.label.split())
            elif element.href and not element.hidden:
                key = name.lower().strip(_NAME_TRIM)
                if key in GENERIC_LINK_TEXTS:
                    self.generic_names[name.strip(_NAME_TRIM)] = (
                        self.generic_names.get(name.strip(_NAME_TRIM), 0) + 1
                    )
            if element.href and not name:
                self.add(
                    "error",
                    "link-name",
                    f"link to {element.href} has no text (an image in it needs alt text)",
                )
            elif element.plain_link and element.name_parts and not element.hidden:
                self.add(
                    "warning",
                    "colour-only",
                    f"link {_snippet(name)!r} is not underlined: it differs from the text "
                    "by colour alone",
                )
        elif tag == "table":
            if element.role != "presentation" and not element.data_table:
                self.add(
                    "error",
                    "table-role",
                    'layout table without role="presentation" (screen readers announce it)',
                )
        elif tag[0] == "h" and tag[1:].isdigit() and self.heading_text is not None:
            self.headings.append((self.heading_level, " ".join("".join(self.heading_text).split())))
            self.heading_text = None

    def text(self, raw: str, stack: list[_Element]) -> None:
        if not raw or raw.isspace():
            return
        element = stack[-1]
        if element.hidden and self.heading_text is None and not self.links_open:
            # Hidden text outside links and headings (the preheader and its filler of
            # entities) matters only as "the first text is hidden": no need to decode it.
            if self.in_body and self.first_body_text is None:
                self.first_body_text = True
            return
        text = html_lib.unescape(raw).replace("\xa0", " ").strip()
        if not text:
            return
        if self.in_body and self.first_body_text is None:
            self.first_body_text = element.hidden
        if self.heading_text is not None:
            self.heading_text.append(text + " ")
        for open_element in reversed(stack):
            if open_element.tag == "a":
                if not element.hidden:
                    open_element.name_parts.append(text)
                break
        if element.hidden or not self.in_body or element.tag in ("title", "style"):
            return
        if text in PERSONAL:
            return
        ratio = contrast(element.colour, element.background)
        if ratio < MIN_CONTRAST:
            self.add(
                "error",
                "contrast",
                f"text {_snippet(text)!r}: {hex_of(element.colour)} on "
                f"{hex_of(element.background)} has contrast {ratio:.2f}:1 "
                f"(at least {MIN_CONTRAST}:1 needed)",
            )

    def image(self, attrs: dict[str, str], stack: list[_Element]) -> None:
        src = attrs.get("src", "")
        self.image_width(attrs.get("width", ""), src)
        if "alt" not in attrs:
            self.add("error", "alt-text", f"image {src} has no alt attribute")
            return
        alt = attrs["alt"].strip()
        for element in reversed(stack):
            if element.tag == "a":
                if alt:
                    element.name_parts.append(alt)
                break

    def image_width(self, width: str, src: str) -> None:
        """An image wider than the column pushes the layout sideways (Outlook uses the
        attribute as is; a phone scrolls)."""
        width = width.strip().lower().removesuffix("px")
        if width.isdigit() and int(width) > COLUMN_WIDTH:
            shown = src if len(src) < 80 else src[:77] + "…"
            self.add(
                "error",
                "image-width",
                f'image {shown} has width="{width}", wider than the {COLUMN_WIDTH} px column',
            )

    def urls(self, tag: str, attrs: dict[str, str]) -> None:
        for name in ("href", "src", "background"):
            value = attrs.get(name)
            if value is None or (tag == "html"):
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

    def outlook(self, html: str) -> None:
        """Outlook's conditional HTML: its tables and images count for Outlook readers."""
        if not html:
            return
        if _OUTLOOK_TABLE.search(html):
            self.add("error", "table-role", 'Outlook layout table without role="presentation"')
        for image in _OUTLOOK_IMG.finditer(html):
            self.add("error", "alt-text", f"Outlook image has no alt: {_snippet(image.group(0))}")
        for width in _OUTLOOK_IMG_WIDTH.finditer(html):
            self.image_width(width.group(1), "in Outlook-only HTML")
        for match in _OUTLOOK_URL.finditer(html):
            self.urls("", {match.group(1).lower(): html_lib.unescape(match.group(2))})

    # -- document-level rules ---------------------------------------------------------

    def finish(self) -> None:
        if not self.lang:
            self.add("error", "lang", "<html> has no lang attribute (screen readers guess)")
        elif not self.lang.lower().startswith("nl"):
            self.add("error", "lang", f'<html lang="{self.lang}">, expected "nl"')
        if self.first_body_text is not True:
            # A warning, as in the content lint: the email works, its inbox line is worse.
            self.add(
                "warning",
                "preheader",
                "no preheader: the inbox shows the first text of the email instead",
            )
        if self.email and UNSUBSCRIBE not in self.personal_links:
            self.add(
                "error",
                "unsubscribe",
                f'no visible unsubscribe link (href="{UNSUBSCRIBE}"): every newsletter '
                "must let the reader unsubscribe",
            )
        if self.email and PREFERENCES not in self.personal_links:
            self.add(
                "warning",
                "preferences",
                f'no link to the reader\'s preferences (href="{PREFERENCES}")',
            )
        for name, count in self.generic_names.items():
            if count >= GENERIC_LIMIT:
                self.add(
                    "warning",
                    "link-purpose",
                    f"{count} links say {name!r}: a screen reader lists them as identical; "
                    "say where each goes in its text or an aria-label",
                )
        schemes = [m for m in self.metas if m.get("name", "").lower() == "color-scheme"]
        if not schemes or "dark" not in schemes[0].get("content", ""):
            self.add(
                "error",
                "dark-mode",
                'no <meta name="color-scheme" content="light dark">: clients invert '
                "colours on their own",
            )
        css = "\n".join(self.styles)
        if "prefers-color-scheme" not in css:
            self.add("warning", "dark-mode", "no @media (prefers-color-scheme: dark) styles")
        if "@import" in css:
            self.add("error", "external-css", "@import in a <style> block loads external CSS")
        self.heading_rules()

    def heading_rules(self) -> None:
        levels = [level for level, _ in self.headings]
        if 1 not in levels:
            self.add("error", "headings", "no <h1>: the email needs one main heading")
        elif levels.count(1) > 1:
            self.add("warning", "headings", f"{levels.count(1)} <h1> headings; use one")
        previous = 0
        for level, text in self.headings:
            if not text:
                self.add("error", "headings", f"empty <h{level}>")
            if previous and level > previous + 1:
                self.add(
                    "error",
                    "headings",
                    f"<h{level}> {_snippet(text)!r} follows <h{previous}>: a level is skipped",
                )
            previous = level


def check_html(html: str, settings: RenderSettings, *, email: bool = True) -> list[Finding]:
    """Every quality finding for one rendered email, errors and warnings, in order found.

    ``email=False`` checks a web page made of it (the archive copy), which links to the
    general unsubscribe page instead of carrying the reader's own link.
    """
    return _Checker(settings, email=email).run(html)


def check_text(text: str) -> list[Finding]:
    """The plain-text part: some clients show only this, so it needs the unsubscribe
    link too (and, less strictly, the preferences link)."""
    findings: list[Finding] = []
    if UNSUBSCRIBE not in text:
        findings.append(
            Finding(
                "error", "unsubscribe", f"the text part has no unsubscribe link ({UNSUBSCRIBE})"
            )
        )
    if PREFERENCES not in text:
        findings.append(
            Finding(
                "warning", "preferences", f"the text part has no preferences link ({PREFERENCES})"
            )
        )
    return findings


def errors(findings: list[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.severity == "error"]

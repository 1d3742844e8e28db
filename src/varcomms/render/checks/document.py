"""Rules about the document as a whole: its size, language, head and preheader."""

from __future__ import annotations

from typing import ClassVar

from varcomms.render.checks.walker import Element, Rule, Walker

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


class Size(Rule):
    """Gmail clips a message above about 102 KB of HTML, hiding the footer with it."""

    def begin(self, document: str) -> None:
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


class Lang(Rule):
    """A screen reader picks its voice by <html lang>."""

    tags: ClassVar[frozenset[str] | None] = frozenset({"html"})
    lang: str | None = None

    def start(self, tag: str, attrs: dict[str, str], walk: Walker) -> None:
        self.lang = attrs.get("lang")

    def finish(self) -> None:
        if not self.lang:
            self.add("error", "lang", "<html> has no lang attribute (screen readers guess)")
        elif not self.lang.lower().startswith("nl"):
            self.add("error", "lang", f'<html lang="{self.lang}">, expected "nl"')


class Preheader(Rule):
    """The inbox line after the subject is the first text of the body: a hidden one."""

    first_hidden: bool | None = None  # is the first text in <body> hidden?

    def hidden_text(self, walk: Walker) -> None:
        if walk.in_body and self.first_hidden is None:
            self.first_hidden = True

    def text(self, text: str, element: Element, walk: Walker) -> None:
        if walk.in_body and self.first_hidden is None:
            self.first_hidden = element.hidden

    def finish(self) -> None:
        if self.first_hidden is not True:
            # A warning, as in the content lint: the email works, its inbox line is worse.
            self.add(
                "warning",
                "preheader",
                "no preheader: the inbox shows the first text of the email instead",
            )


class DarkMode(Rule):
    """Without a colour scheme and dark styles, clients invert the colours themselves."""

    tags: ClassVar[frozenset[str] | None] = frozenset({"meta"})
    scheme: str | None = None  # the first color-scheme meta's content
    dark_styles = False

    def start(self, tag: str, attrs: dict[str, str], walk: Walker) -> None:
        if self.scheme is None and attrs.get("name", "").lower() == "color-scheme":
            self.scheme = attrs.get("content", "")

    def style(self, css: str) -> None:
        self.dark_styles = self.dark_styles or "prefers-color-scheme" in css

    def finish(self) -> None:
        if self.scheme is None or "dark" not in self.scheme:
            self.add(
                "error",
                "dark-mode",
                'no <meta name="color-scheme" content="light dark">: clients invert '
                "colours on their own",
            )
        if not self.dark_styles:
            self.add("warning", "dark-mode", "no @media (prefers-color-scheme: dark) styles")


class ExternalCss(Rule):
    """Mail clients do not load stylesheets: styles must be in the message."""

    tags: ClassVar[frozenset[str] | None] = frozenset({"link"})
    imports = False

    def start(self, tag: str, attrs: dict[str, str], walk: Walker) -> None:
        if "stylesheet" in attrs.get("rel", "").lower():
            self.add("error", "external-css", f"external stylesheet {attrs.get('href', '')}")

    def style(self, css: str) -> None:
        self.imports = self.imports or "@import" in css

    def finish(self) -> None:
        if self.imports:
            self.add("error", "external-css", "@import in a <style> block loads external CSS")


class Forbidden(Rule):
    """Elements mail clients block or that get a message flagged."""

    tags: ClassVar[frozenset[str] | None] = frozenset(FORBIDDEN)

    def start(self, tag: str, attrs: dict[str, str], walk: Walker) -> None:
        self.add("error", "forbidden-element", f"<{tag}>: {FORBIDDEN[tag]}")

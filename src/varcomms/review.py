"""Review before sign-off: the edition's content lint plus the rendered email's checks.

The editions stage lints the files; the render stage checks the HTML it makes of them
(size against Gmail's clipping, accessibility, dark mode, https links). Editions may
not import render, a later stage, so the two meet here, above both: ``edition lint``
and ``edition approve`` call these functions, and a render error blocks a sign-off
just as a content error does.
"""

from __future__ import annotations

from collections.abc import Iterator

from varcomms.config import Config
from varcomms.context import Context
from varcomms.editions import Approval, EditionDocument, LintReport
from varcomms.editions import approve as approve_signoff
from varcomms.editions import lint_edition as lint_content
from varcomms.findings import Finding
from varcomms.render.lint import RENDER_CODE_PREFIX, lint_rendered
from varcomms.render.text import html_to_text

# About a phone screen of text: a longer voorwoord pushes the first news item below two
# screens (the "In deze nieuwsbrief" list helps, a short voorwoord helps more).
INTRO_MAX_CHARS = 600
INTRO_FILE = "intro.md"
# Rules the content lint reports itself, from the edition's files: one finding, not two.
_REPORTED_BY_CONTENT = {RENDER_CODE_PREFIX + "preheader"}


def rendered_checks(doc: EditionDocument, config: Config) -> Iterator[Finding]:
    """The render stage's findings for an edition (an editions ``Check``).

    The code is ``render-<rule>``; the message ends with the variants it was found in,
    and a template error names the template file and line (see
    :func:`varcomms.render.lint.lint_rendered`).
    """
    edition = doc.to_edition()
    for found in lint_rendered(config, edition):
        if found.code in _REPORTED_BY_CONTENT and not edition.preheader.strip():
            continue  # "preheader-missing" says it, with the line in edition.yaml
        yield found


def reading_flow(doc: EditionDocument, config: Config) -> Iterator[Finding]:
    """Warn about a voorwoord that keeps a phone reader from the news for too long."""
    text = " ".join(html_to_text(doc.intro_html).split())
    if len(text) > INTRO_MAX_CHARS:
        yield Finding(
            "warning",
            "intro-length",
            f"the voorwoord is {len(text)} characters (about {INTRO_MAX_CHARS} fit on a "
            "phone screen): keep it to two or three sentences and link to the rest",
            INTRO_FILE,
        )
    if not config.sender.postal_address:
        yield Finding(
            "warning",
            "postal-address",
            "the footer has no postal address: set [sender] postal_address in varcomms.toml "
            "(Dutch and EU rules for bulk mail expect one)",
        )


def lint_edition(
    ctx: Context, edition_id: str, *, check_links: bool = False, link_timeout: float = 10.0
) -> LintReport:
    """``edition lint``: the content checks, then the quality checks of the rendered email."""
    return lint_content(
        ctx,
        edition_id,
        check_links=check_links,
        link_timeout=link_timeout,
        checks=(rendered_checks, reading_flow),
    )


def approve(ctx: Context, edition_id: str, role: str, by: str) -> Approval:
    """``edition approve``: a sign-off that content and render errors both block."""
    return approve_signoff(ctx, edition_id, role, by, checks=(rendered_checks, reading_flow))

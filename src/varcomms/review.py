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
from varcomms.editions import Approval, EditionDocument, Finding, LintReport
from varcomms.editions import approve as approve_signoff
from varcomms.editions import lint_edition as lint_content
from varcomms.render.lint import RenderFinding, lint_rendered, representative_variants

RENDER_CODE_PREFIX = "render-"


def rendered_checks(doc: EditionDocument, config: Config) -> Iterator[Finding]:
    """The render stage's findings for an edition, as lint findings (an editions ``Check``).

    The code is ``render-<rule>``; the message ends with the variants it was found in,
    and a template error names the template file and line.
    """
    edition = doc.to_edition()
    variants = representative_variants(edition)
    for found in lint_rendered(config, edition, variants):
        yield Finding(
            found.level,
            RENDER_CODE_PREFIX + found.rule,
            f"{found.message} ({_variants_note(found, len(variants))})",
            found.template,
            found.line,
        )


def _variants_note(found: RenderFinding, checked: int) -> str:
    if len(found.variants) == checked > 1:
        return "every variant"
    label = "variant" if len(found.variants) == 1 else "variants"
    return f"{label} {', '.join(found.variants)}"


def lint_edition(
    ctx: Context, edition_id: str, *, check_links: bool = False, link_timeout: float = 10.0
) -> LintReport:
    """``edition lint``: the content checks, then the quality checks of the rendered email."""
    return lint_content(
        ctx,
        edition_id,
        check_links=check_links,
        link_timeout=link_timeout,
        checks=(rendered_checks,),
    )


def approve(ctx: Context, edition_id: str, role: str, by: str) -> Approval:
    """``edition approve``: a sign-off that content and render errors both block."""
    return approve_signoff(ctx, edition_id, role, by, checks=(rendered_checks,))

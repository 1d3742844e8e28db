"""Quality checks on rendered email, run on every render and by ``edition lint``.

Laid out as linters are: :mod:`~varcomms.render.checks.walker` makes one pass over the
HTML (the tags, the text, the colours and hidden-ness each element inherits, Outlook's
conditional HTML) and calls the rules that subscribe to what it meets; each rule is a
small class in :mod:`.document`, :mod:`.links`, :mod:`.images`, :mod:`.structure` or
:mod:`.contrast`, with a code a finding can be looked up by.
"""

from __future__ import annotations

from varcomms.config import RenderSettings
from varcomms.findings import Finding
from varcomms.render.checks.contrast import Contrast
from varcomms.render.checks.document import (
    DarkMode,
    ExternalCss,
    Forbidden,
    Lang,
    Preheader,
    Size,
)
from varcomms.render.checks.images import AltText, ImageWidth
from varcomms.render.checks.links import (
    GENERIC_LINK_TEXTS,
    ColourOnly,
    Https,
    LinkName,
    LinkPurpose,
    PersonalLinks,
)
from varcomms.render.checks.structure import Headings, TableRole
from varcomms.render.checks.text import check_text
from varcomms.render.checks.walker import Parsed, Report, Rule, Walker

# Every rule, in the order their findings are reported when several are found at the
# same point of the walk (the document-level ones in the order of this list; in
# Outlook's HTML, tables, alt text, widths, then URLs: see Rule.outlook_rank).
RULES: tuple[type[Rule], ...] = (
    Size,
    Lang,
    Preheader,
    PersonalLinks,
    LinkPurpose,
    TableRole,
    DarkMode,
    ExternalCss,
    Forbidden,
    Https,
    ImageWidth,
    AltText,
    Headings,
    LinkName,
    ColourOnly,
    Contrast,
)

__all__ = ["GENERIC_LINK_TEXTS", "RULES", "Parsed", "check_html", "check_text"]


def check_html(
    html: str, settings: RenderSettings, *, email: bool = True, parsed: Parsed | None = None
) -> list[Finding]:
    """Every quality finding for one rendered email, errors and warnings, in order found.

    ``email=False`` checks a web page made of it (the archive copy), which links to the
    general unsubscribe page instead of carrying the reader's own link. ``parsed``
    remembers attribute and style strings across checks (one per call without it).
    """
    report = Report()
    rules = [rule(report, settings, email=email) for rule in RULES]
    Walker(rules, parsed if parsed is not None else Parsed()).run(html)
    return report.findings

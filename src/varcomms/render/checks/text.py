"""The plain-text part: some clients show only this, so it needs the unsubscribe link
too (and, less strictly, the preferences link)."""

from __future__ import annotations

from varcomms.findings import Finding
from varcomms.render.checks.links import PREFERENCES, UNSUBSCRIBE


def check_text(text: str) -> list[Finding]:
    """The findings for the text part of an email."""
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

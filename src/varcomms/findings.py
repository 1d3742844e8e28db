"""One finding type for every check: the content lint, the rendered email's quality
checks, the MJML check and the review that gathers them.

A finding says how bad it is, which rule found it (``code``), what is wrong, and where:
the file and line to fix (an edition file, or a template) and, for a check of rendered
email, the variants it was found in. It imports nothing of varcomms, so every stage can
report in it and a later stage can gather findings without translating them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem a check found. Errors block a sign-off or a render; warnings inform."""

    severity: Severity
    code: str
    message: str
    file: str | None = None
    line: int | None = None
    # The email variants (keys such as "algemeen") a rendered-email finding occurs in.
    variants: tuple[str, ...] = ()
    # What to do about it, when the message alone does not say (the MJML check has one).
    hint: str | None = None

    @property
    def where(self) -> str:
        """``file:line``, ``file``, or empty when the finding is about no file."""
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def __str__(self) -> str:
        where = f"{self.where}: " if self.file is not None else ""
        return f"{where}{self.severity} [{self.code}] {self.message}"


def error(
    code: str,
    message: str,
    file: str | None = None,
    line: int | None = None,
    *,
    hint: str | None = None,
) -> Finding:
    return Finding("error", code, message, file, line, hint=hint)


def warning(
    code: str,
    message: str,
    file: str | None = None,
    line: int | None = None,
    *,
    hint: str | None = None,
) -> Finding:
    return Finding("warning", code, message, file, line, hint=hint)

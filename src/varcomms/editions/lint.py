"""Content checks on an edition. Errors block sign-off; warnings inform.

Each finding names the file and line it is about. Checks that belong to later stages
(rendered HTML size, accessibility of the template) plug in through ``checks``: any
callable taking the document and the config and yielding :class:`Finding`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from varcomms.config import Config
from varcomms.context import Context
from varcomms.editions.addresses import AddressPolicy, is_public
from varcomms.editions.checks import (
    check_agenda,
    check_duplicates,
    check_header,
    check_images,
    check_sections,
    check_workflow,
)
from varcomms.editions.exposure import (
    check_link_targets,
    check_placeholders,
    check_tracking_images,
)
from varcomms.editions.reader import EditionDocument, edition_folder, read_folder
from varcomms.errors import InputError
from varcomms.findings import Finding, error
from varcomms.safefiles import UnsafePathError, links_below

__all__ = ["Check", "Finding", "LintReport", "lint_document", "lint_edition"]


@dataclass
class LintReport:
    edition_id: str
    findings: list[Finding] = field(default_factory=list)
    links_checked: int = 0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, object]:
        return {
            "edition": self.edition_id,
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "links_checked": self.links_checked,
            "findings": [finding.to_dict() for finding in self.findings],
        }


Check = Callable[[EditionDocument, Config], Iterable[Finding]]

CONTENT_CHECKS: tuple[Check, ...] = (
    check_header,
    check_images,
    check_sections,
    check_agenda,
    check_duplicates,
    check_placeholders,
    check_tracking_images,
)


def lint_document(
    doc: EditionDocument,
    config: Config,
    now: datetime,
    *,
    check_links: bool = False,
    link_timeout: float = 10.0,
    checks: Iterable[Check] = (),
    link_addresses: AddressPolicy = is_public,
) -> LintReport:
    report = LintReport(doc.id)
    for check in (*CONTENT_CHECKS, *checks):
        report.findings.extend(check(doc, config))
    report.findings.extend(check_workflow(doc, config, now))
    if check_links:
        found, count = check_link_targets(doc, config, link_timeout, link_addresses)
        report.findings.extend(found)
        report.links_checked = count
    return report


def lint_edition(
    ctx: Context,
    edition_id: str,
    *,
    check_links: bool = False,
    link_timeout: float = 10.0,
    checks: Iterable[Check] = (),
    link_addresses: AddressPolicy = is_public,
) -> LintReport:
    """Lint an edition folder. A file that cannot be read is reported, not raised."""
    links = unsafe_paths(ctx.config, edition_id)
    try:
        doc = read_folder(ctx.config, edition_id)
    except InputError as err:
        if isinstance(err, UnsafePathError) and links:
            return LintReport(edition_id, links)
        where = err.path.name if err.path is not None else None
        prefix = f"{err.path}:{err.line}: " if err.line is not None else f"{err.path}: "
        message = err.message.removeprefix(prefix) if where else err.message
        code = "unsafe-path" if isinstance(err, UnsafePathError) else "format"
        return LintReport(edition_id, [*links, error(code, message, where, err.line)])
    report = lint_document(
        doc,
        ctx.config,
        ctx.clock.now(),
        check_links=check_links,
        link_timeout=link_timeout,
        checks=checks,
        link_addresses=link_addresses,
    )
    report.findings[:0] = links
    return report


def unsafe_paths(config: Config, edition_id: str) -> list[Finding]:
    """Every symbolic link in the edition folder, as an error: varcomms never follows
    one, and a link in git could point a reader's email at any file on the machine."""
    folder = edition_folder(config, edition_id)
    findings = []
    for link in links_below(config.newsletters_dir, folder):
        name = link.relative_to(folder).as_posix() if link != folder else folder.name
        findings.append(
            error(
                "unsafe-path",
                f"{name} is a symbolic link; replace it by a copy of the file",
                name,
            )
        )
    return findings

"""Edition folders: read and write them, draft from the pool, lint, and the workflow.

An edition is a folder ``newsletters/<id>/`` of YAML and Markdown files that editors
edit and review in git (the format is described in docs/editions.md). This package
reads it into :class:`varcomms.models.Edition` for render and delivery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from varcomms.config import Config
from varcomms.editions.catalog import EditionSummary, list_editions
from varcomms.editions.reader import EditionDocument, read_folder
from varcomms.editions.signoff import VoidedSignOff, check_signoffs, required_roles
from varcomms.lazy import lazy_exports
from varcomms.models import Edition

if TYPE_CHECKING:
    from varcomms.editions.draft import RefreshReport, draft_new, refresh
    from varcomms.editions.lint import Finding, LintReport, lint_edition
    from varcomms.editions.workflow import (
        Approval,
        Transition,
        approve,
        back_to_sending,
        reopen,
        schedule,
        set_status,
        transition,
        unschedule,
    )

# Drafting, linting and the workflow pull in the pool, the database and the link
# checker's HTTP client; reading editions (`edition list`, `show`) needs none of them,
# so those names load from their modules on first use (PEP 562).
__getattr__ = lazy_exports(
    __name__,
    {
        "draft": ("RefreshReport", "draft_new", "refresh"),
        "lint": ("Finding", "LintReport", "lint_edition"),
        "workflow": (
            "Approval",
            "Transition",
            "approve",
            "back_to_sending",
            "reopen",
            "schedule",
            "unschedule",
            "set_status",
            "transition",
        ),
    },
)


def load_edition(config: Config, edition_id: str) -> Edition:
    """Read and validate ``newsletters/<edition_id>/``. Problems raise InputError
    naming the file, the line and the field.

    Only sign-offs that still match the content are included: one voided by an edit
    since is left out, so a consumer never mistakes it for an approval.
    """
    document = read_folder(config, edition_id)
    edition = document.to_edition()
    valid, voided = check_signoffs(document)
    if not voided:
        return edition
    kept = tuple(s for s in edition.signoffs if s.content_hash in {v.content_hash for v in valid})
    return edition.model_copy(update={"signoffs": kept})


__all__ = [
    "Approval",
    "EditionDocument",
    "EditionSummary",
    "Finding",
    "LintReport",
    "RefreshReport",
    "Transition",
    "VoidedSignOff",
    "approve",
    "back_to_sending",
    "check_signoffs",
    "draft_new",
    "lint_edition",
    "list_editions",
    "load_edition",
    "read_folder",
    "refresh",
    "reopen",
    "required_roles",
    "schedule",
    "set_status",
    "transition",
    "unschedule",
]

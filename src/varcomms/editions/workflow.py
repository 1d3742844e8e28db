"""The status machine and sign-offs.

::

    draft → review → approved → scheduled → sending → sent
      ↑        │         │          │
      └────────┴─────────┴──────────┘  reopen          (any open status → cancelled)

An edition reaches ``approved`` only through its sign-offs: the VAR's for the whole, and
the RIEC's for ``riec.md`` when it carries the RIEC brand. Every command that changes
an edition first drops sign-offs that edits have voided (and says which); an approved
or scheduled edition that loses one goes back to review. A sent edition is read-only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from varcomms.context import Context
from varcomms.editions.formats import SignOffRecord
from varcomms.editions.lint import Check, lint_document
from varcomms.editions.reader import EditionDocument, read_folder
from varcomms.editions.signoff import (
    ROLE_LABELS,
    VoidedSignOff,
    check_signoffs,
    required_roles,
    sign,
)
from varcomms.editions.writer import write_workflow
from varcomms.errors import StateError
from varcomms.models import Edition, EditionStatus

S = EditionStatus
TRANSITIONS: dict[EditionStatus, frozenset[EditionStatus]] = {
    S.DRAFT: frozenset({S.REVIEW, S.CANCELLED}),
    S.REVIEW: frozenset({S.DRAFT, S.APPROVED, S.CANCELLED}),
    # approved → sending is `varcomms send` now; scheduled → sending is the scheduler.
    S.APPROVED: frozenset({S.SCHEDULED, S.SENDING, S.DRAFT, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.SENDING, S.APPROVED, S.DRAFT, S.CANCELLED}),
    S.SENDING: frozenset({S.SENT}),
    S.SENT: frozenset(),
    S.CANCELLED: frozenset({S.DRAFT}),
}
# Statuses that claim the sign-offs are complete.
SIGNED_STATUSES = frozenset({S.APPROVED, S.SCHEDULED, S.SENDING})


@dataclass(frozen=True)
class Transition:
    """What a workflow command did, including the sign-offs it found void."""

    edition: Edition
    previous: EditionStatus
    voided: list[VoidedSignOff] = field(default_factory=list)


@dataclass(frozen=True)
class Approval:
    edition: Edition
    signoff: SignOffRecord
    voided: list[VoidedSignOff] = field(default_factory=list)

    @property
    def approved(self) -> bool:
        return self.edition.status is EditionStatus.APPROVED

    @property
    def waiting_for(self) -> list[str]:
        signed = {s.role for s in self.edition.signoffs}
        return [r for r in required_roles(self.edition.brands) if r not in signed]


def _read_only(doc: EditionDocument, target: EditionStatus | None = None) -> StateError:
    refused = f" (cannot move from sent to {target.value})" if target is not None else ""
    return StateError(
        f"edition {doc.id} was sent and is read-only{refused}",
        hint="start the next one with `varcomms draft new`",
    )


@dataclass(frozen=True)
class Synced:
    document: EditionDocument
    voided: list[VoidedSignOff]
    status_before: EditionStatus


def sync_signoffs(ctx: Context, edition_id: str) -> Synced:
    """Drop void sign-offs from edition.yaml; an approved edition that loses one is
    back in review. Returns the (re-read) document and what was voided."""
    doc = read_folder(ctx.config, edition_id)
    before = doc.meta.status
    if before in (S.SENT, S.SENDING):
        return Synced(doc, [], before)  # never rewritten; lint reports later changes
    valid, voided = check_signoffs(doc)
    if not voided:
        return Synced(doc, [], before)
    status = S.REVIEW if before in SIGNED_STATUSES else before
    write_workflow(doc.folder, status, valid, ctx.config.tz)
    return Synced(read_folder(ctx.config, edition_id), voided, before)


def missing_signoffs(doc: EditionDocument) -> list[str]:
    valid, _voided = check_signoffs(doc)
    signed = {record.role for record in valid}
    return [role for role in required_roles(doc.meta.brands) if role not in signed]


def _labels(roles: list[str]) -> str:
    return " and ".join(ROLE_LABELS[role] for role in roles)


def _move_hint(doc: EditionDocument, current: EditionStatus, target: EditionStatus) -> str:
    if target is S.APPROVED:
        return (
            f"an edition is approved by its sign-offs: `varcomms edition approve {doc.id} --as var`"
        )
    if target is S.SENT or current is S.SENDING:
        return "only delivery moves an edition from sending to sent"
    if target is S.SENDING:
        return "only an approved or scheduled edition can be sent"
    allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "none"
    return f"from {current.value} it can move to: {allowed}"


def _void_note(voided: list[VoidedSignOff]) -> str:
    return "; ".join(void.describe() for void in voided)


def transition(ctx: Context, edition_id: str, status: EditionStatus | str) -> Transition:
    """Move an edition to ``status`` if the move is legal, else raise StateError."""
    target = EditionStatus(status)
    synced = sync_signoffs(ctx, edition_id)
    doc, voided, previous = synced.document, synced.voided, synced.status_before
    current = doc.meta.status
    if target is current:
        return Transition(doc.to_edition(), previous, voided)
    if current is S.SENT:
        raise _read_only(doc, target)
    if target not in TRANSITIONS[current]:
        message = f"edition {doc.id} cannot move from {current.value} to {target.value}"
        if voided:
            message += f" ({_void_note(voided)}; it went back to review)"
        raise StateError(message, hint=_move_hint(doc, current, target))
    if target in SIGNED_STATUSES:
        missing = missing_signoffs(doc)
        if missing:
            raise StateError(
                f"edition {doc.id} cannot be {target.value} without the {_labels(missing)} "
                "sign-off",
                hint=f"`varcomms edition approve {doc.id} --as {missing[0]}`",
            )
    if target is S.SCHEDULED:
        planned = doc.meta.planned
        if planned is None:
            raise StateError(
                f"edition {doc.id} has no planned send time",
                hint="set 'planned' in edition.yaml (and approve again)",
            )
        if planned <= ctx.clock.now() and current is not S.SCHEDULED:
            raise StateError(
                f"edition {doc.id} was planned for {planned:%Y-%m-%d %H:%M}, which has passed",
                hint="set a new 'planned' time in edition.yaml (and approve again)",
            )
    write_workflow(doc.folder, target, doc.meta.signoffs, ctx.config.tz)
    return Transition(read_folder(ctx.config, edition_id).to_edition(), previous, voided)


def set_status(ctx: Context, edition_id: str, status: EditionStatus | str) -> Edition:
    """Move an edition along the workflow; illegal moves raise StateError with a reason."""
    return transition(ctx, edition_id, status).edition


def schedule(ctx: Context, edition_id: str) -> Transition:
    """approved → scheduled: the scheduler sends it at its planned time, which must lie ahead."""
    return transition(ctx, edition_id, S.SCHEDULED)


def unschedule(ctx: Context, edition_id: str) -> Transition:
    """scheduled → approved: the scheduler leaves it alone; sign-offs stay."""
    doc = read_folder(ctx.config, edition_id)
    if doc.meta.status is not S.SCHEDULED:
        raise StateError(
            f"edition {doc.id} is {doc.meta.status.value}, not scheduled",
            hint="only a scheduled edition can be unscheduled",
        )
    return transition(ctx, edition_id, S.APPROVED)


def reopen(ctx: Context, edition_id: str) -> Transition:
    """Back to draft for changes. Sign-offs stay until an edit voids them."""
    doc = read_folder(ctx.config, edition_id)
    if doc.meta.status is S.DRAFT:
        raise StateError(f"edition {doc.id} is already a draft")
    if doc.meta.status is S.SENDING:
        raise StateError(
            f"edition {doc.id} is being sent and cannot be reopened",
            hint="let the send finish, or pause it with the delivery commands",
        )
    return transition(ctx, edition_id, S.DRAFT)


def approve(
    ctx: Context, edition_id: str, role: str, by: str, *, checks: Iterable[Check] = ()
) -> Approval:
    """Record ``role``'s sign-off on the current content. When every required sign-off
    is in place the edition is approved; lint errors (also of extra ``checks``, such as
    render's) block any sign-off."""
    synced = sync_signoffs(ctx, edition_id)
    doc, voided = synced.document, synced.voided
    status = doc.meta.status
    if status is S.SENT:
        raise _read_only(doc)
    if status not in (S.DRAFT, S.REVIEW):
        hint = f"`varcomms edition reopen {doc.id}` to change it"
        if status is S.CANCELLED:
            hint = f"`varcomms edition reopen {doc.id}` first"
        raise StateError(f"edition {doc.id} is {status.value}; nothing to sign", hint=hint)
    if role not in ROLE_LABELS:
        raise StateError(f"unknown role {role!r}", hint="sign as 'var' or 'riec'")
    needed = required_roles(doc.meta.brands)
    if role not in needed:
        raise StateError(
            f"edition {doc.id} does not carry the {ROLE_LABELS[role]} brand; "
            f"it needs only the {_labels(list(needed))} sign-off"
        )
    if not by.strip():
        raise StateError("a sign-off needs a name", hint="pass --by NAME")
    now = ctx.clock.now()
    report = lint_document(doc, ctx.config, now, checks=checks)
    if report.errors:
        first = report.errors[0]
        where = f"{first.where}: " if first.where else ""
        raise StateError(
            f"{len(report.errors)} lint error(s) block the sign-off; first: {where}{first.message}",
            hint=f"`varcomms edition lint {doc.id}` lists them all",
        )
    record = sign(doc, role, by.strip(), now.astimezone(ctx.config.tz))
    signoffs = [s for s in doc.meta.signoffs if s.role != role] + [record]
    signed = {s.role for s in signoffs}
    new_status = S.APPROVED if all(r in signed for r in needed) else S.REVIEW
    write_workflow(doc.folder, new_status, signoffs, ctx.config.tz)
    edition = read_folder(ctx.config, edition_id).to_edition()
    return Approval(edition=edition, signoff=record, voided=voided)

"""Carry out the decisions: one pass reads the state, decides, acts, logs a line each.

:class:`SchedulerCore` is what every APScheduler job calls (through
:mod:`varcomms.scheduler.jobs`) and what tests and the benchmark call directly with a
fake clock. A pass is safe to run at any moment and any number of times: each act is
guarded by a notice or a send claim in the database, so running it again does nothing
new, and running it from two processes at once sends each edition once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from varcomms.context import Context
from varcomms.errors import VarcommsError
from varcomms.scheduler import mails, records
from varcomms.scheduler.decide import Decision, Mail, decide
from varcomms.scheduler.plan import PlannedEdition, YearPlan
from varcomms.scheduler.state import read_states

log = logging.getLogger("varcomms.scheduler")


class StopRequested(BaseException):
    """Raised inside a send between batches when the scheduler is asked to stop.

    A BaseException, so delivery's clean-up runs (it settles the batch in flight and
    marks the send interrupted) and nothing on the way mistakes it for a send error.
    """


@dataclass
class PassReport:
    decisions: list[Decision] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=dict)  # edition → messages accepted
    errors: list[str] = field(default_factory=list)


@dataclass
class SchedulerCore:
    ctx: Context
    plans: Sequence[YearPlan]
    owner: str = "scheduler"
    stop: threading.Event = field(default_factory=threading.Event)
    # Called between send batches; the SIGTERM test and the signal handler use `stop`.
    on_batch: Callable[[], None] | None = None
    collect: bool = True
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run_pass(self, why: str = "") -> PassReport:
        """Decide and act at the clock's now. Passes never overlap in one process."""
        with self._lock:
            report = PassReport()
            if self.stop.is_set():
                return report
            now = self.ctx.clock.now()
            states = read_states(
                self.ctx.config, [e.id for plan in self.plans for e in plan.editions]
            )
            memory = records.read_memory(self.ctx.store)
            decisions = decide(self.plans, states, memory, now)
            for decision in decisions:
                if self.stop.is_set():
                    break
                report.decisions.append(decision)
                try:
                    self._act(decision, report)
                except StopRequested:
                    raise
                except VarcommsError as err:
                    message = f"{decision.action} {decision.edition_id or ''} failed: {err.message}"
                    log.error(message)
                    report.errors.append(message)
            return report

    # -- acts ------------------------------------------------------------------------

    def _act(self, decision: Decision, report: PassReport) -> None:
        store, now = self.ctx.store, self.ctx.clock.now()
        if decision.action == "hold":
            log.warning(decision.line())
            return
        if decision.action == "send":
            self._send(decision, report)
            return
        assert decision.key is not None
        kind = decision.key.split(":", 1)[0]
        if not records.note_once(
            store, decision.key, kind=kind, now=now, edition_id=decision.edition_id
        ):
            return  # another process did it a moment ago
        try:
            if decision.action == "collect":
                if self.collect:
                    from varcomms.sources import collect

                    result = collect(self.ctx)
                    log.info(f"{decision.line()} ({_count(result)})")
                else:
                    log.info(f"{decision.line()} (collect disabled)")
            elif decision.action == "draft":
                self._draft(decision)
            elif decision.action == "refresh":
                from varcomms.editions import refresh

                added = refresh(self.ctx, decision.edition_id or "")
                log.info(f"{decision.line()} ({added.total} item(s) added)")
            elif decision.action == "remind":
                self._mail(decision)
                log.info(decision.line())
        except VarcommsError:
            if decision.action in ("remind", "draft", "collect"):
                # Not done: try again at the next pass (a refresh waits for the next day).
                records.forget(store, decision.key)
            raise

    def _planned(self, edition_id: str) -> tuple[YearPlan, PlannedEdition]:
        for plan in self.plans:
            for planned in plan.editions:
                if planned.id == edition_id:
                    return plan, planned
        raise KeyError(edition_id)

    def _draft(self, decision: Decision) -> None:
        from varcomms.editions import draft_new

        _plan, planned = self._planned(decision.edition_id or "")
        edition = draft_new(
            self.ctx,
            planned.id,
            planned=planned.send,
            brands=planned.brands,
            kind=planned.kind,
            audience=None if planned.segment is None else planned.segment,
            template=planned.template,
        )
        items = sum(len(s.items) for s in edition.all_sections)
        log.info(f"{decision.line()} ({items} item(s))")

    def _mail(self, decision: Decision) -> None:
        from varcomms.delivery.transactional import TransactionalMail, send_transactional

        assert decision.mail is not None
        for address in decision.mail.to:
            send_transactional(
                self.ctx,
                TransactionalMail(
                    to=address,
                    subject=decision.mail.subject,
                    text=decision.mail.text,
                    kind="herinnering",
                ),
            )

    def _send(self, decision: Decision, report: PassReport) -> None:
        from varcomms.delivery import send_edition

        edition_id = decision.edition_id or ""
        store, now = self.ctx.store, self.ctx.clock.now()
        if not records.claim_send(store, edition_id, owner=self.owner, now=now):
            log.info(f"send {edition_id}: claimed by another scheduler or a release; skipped")
            return
        log.info(decision.line())

        def between_batches(_done: int) -> None:
            if self.on_batch is not None:
                self.on_batch()
            if self.stop.is_set():
                raise StopRequested

        try:
            result = send_edition(
                self.ctx, edition_id, resume=decision.resume, progress=between_batches
            )
        except StopRequested:
            records.finish_send(
                store,
                edition_id,
                state="interrupted",
                now=self.ctx.clock.now(),
                note="scheduler stopped",
            )
            log.warning(f"send {edition_id}: interrupted by a stop; the next start resumes it")
            raise
        except VarcommsError as err:
            records.finish_send(
                store, edition_id, state="interrupted", now=self.ctx.clock.now(), note=err.message
            )
            raise
        except BaseException:
            records.finish_send(
                store, edition_id, state="interrupted", now=self.ctx.clock.now(), note="crashed"
            )
            raise
        done = result.status == "finished"
        records.finish_send(
            store,
            edition_id,
            state="sent" if done else "interrupted",
            now=self.ctx.clock.now(),
            note=None if done else f"send ended {result.status}",
        )
        report.sent[edition_id] = result.sent
        log.info(
            f"sent {edition_id}: {result.sent} accepted, {result.failed} failed, "
            f"{result.suppressed} suppressed, {result.already_done} done before ({result.status})"
        )
        if done:
            self._confirm(edition_id, result.sent + result.already_done)

    def _confirm(self, edition_id: str, count: int) -> None:
        plan, planned = self._planned(edition_id)
        key = f"remind:{edition_id}:sent"
        now = self.ctx.clock.now()
        if not records.note_once(
            self.ctx.store, key, kind="remind", now=now, edition_id=edition_id
        ):
            return
        subject, text = mails.sent(edition_id, count)
        to = plan.editors.var + (plan.editors.riec if planned.joint else ())
        decision = Decision(
            "remind", "sent confirmation", edition_id, key=key, mail=Mail(to, subject, text)
        )
        try:
            self._mail(decision)
        except VarcommsError as err:
            log.error(f"sent confirmation for {edition_id} failed: {err.message}")
            return
        log.info(decision.line())


def _count(result: object) -> str:
    new = getattr(result, "new", None)
    return f"{new} new item(s)" if new is not None else "done"


def release(ctx: Context, plans: Sequence[YearPlan], edition_id: str, *, by: str) -> PassReport:
    """``scheduler release ID``: an editor says a held or late edition may go out now.

    The release is recorded (a running scheduler then leaves the edition to this
    process) and the edition is sent here and now, through the same claim as the
    scheduler's send, so a scheduler firing at the same moment cannot send it twice.
    """
    from varcomms.editions import load_edition
    from varcomms.errors import StateError
    from varcomms.models import EditionStatus

    if not any(e.id == edition_id for p in plans for e in p.editions):
        raise StateError(
            f"edition {edition_id} is in no plan; send it with `varcomms send {edition_id}`"
        )
    core = SchedulerCore(ctx, plans, owner=f"release:{by}")
    edition = load_edition(ctx.config, edition_id)
    if edition.status is EditionStatus.SENT:
        raise StateError(f"edition {edition_id} was already sent; nothing to release")
    if edition.status not in (
        EditionStatus.APPROVED,
        EditionStatus.SCHEDULED,
        EditionStatus.SENDING,
    ):
        raise StateError(
            f"edition {edition_id} is {edition.status.value}; "
            "only an approved edition can be released",
            hint=f"`varcomms edition approve {edition_id} --as var` first",
        )
    now = ctx.clock.now()
    records.release(ctx.store, edition_id, by=by, now=now)
    log.info(f"release {edition_id}: released by {by}")
    report = PassReport()
    decision = Decision(
        "send", f"released by {by}", edition_id, resume=edition.status is EditionStatus.SENDING
    )
    report.decisions.append(decision)
    core._send(decision, report)
    return report

"""The decision core: what to do now, as a plain function of (plans, editions, memory, now).

Nothing here reads a clock, a file or the database, and nothing acts: :func:`decide`
returns :class:`Decision` values and :mod:`varcomms.scheduler.core` carries them out.
That is where APScheduler's traps are kept out: whether a send is due, late or held is
decided here from the plan and the edition's state, never from whether APScheduler
happened to fire a job in time.

The rules, per planned edition:

- **draft** once when drafting starts and no folder exists (before the send);
- **refresh** once a day at ``refresh_at`` while the edition is a draft, up to the
  review deadline;
- **remind** once each (the notice key makes it once, across restarts): the RIEC copy
  and the review ``remind_before`` their deadlines, and ``remind_before`` the send an
  edition that is not yet approved and scheduled;
- **send** a ``scheduled`` edition with every sign-off valid and the plan's time in its
  ``planned``, from its time until ``grace`` after it; a send a scheduler stop
  interrupted resumes within ``grace`` of the interruption;
- **hold** otherwise: the editors are told once why, it is checked again at every pass
  (``recheck``) until the grace ends, and past it only ``scheduler release`` sends it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from varcomms.models import EditionStatus
from varcomms.scheduler import mails
from varcomms.scheduler.plan import AMSTERDAM, PlannedEdition, YearPlan
from varcomms.scheduler.records import Memory
from varcomms.scheduler.state import EditionState

S = EditionStatus
Action = Literal["collect", "draft", "refresh", "remind", "send", "hold"]
SETTLED = (S.SENT, S.CANCELLED)
SIGNED = (S.APPROVED, S.SCHEDULED, S.SENDING, S.SENT)


@dataclass(frozen=True)
class Mail:
    to: tuple[str, ...]
    subject: str
    text: str


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str  # English, for the log line
    edition_id: str | None = None
    key: str | None = None  # the notice that makes the act happen once
    mail: Mail | None = None
    resume: bool = False
    slot: datetime | None = None

    def line(self) -> str:
        target = f" {self.edition_id}" if self.edition_id else ""
        return f"{self.action}{target}: {self.reason}"


@dataclass(frozen=True)
class Problem:
    en: str
    nl: str


@dataclass
class _Pass:
    plan: YearPlan
    edition: PlannedEdition
    state: EditionState | None
    memory: Memory
    now: datetime
    out: list[Decision] = field(default_factory=list)

    def remind(self, kind: str, to: Iterable[str], message: tuple[str, str], why: str) -> None:
        key = f"remind:{self.edition.id}:{kind}"
        if self.memory.done(key):
            return
        subject, text = message
        self.out.append(
            Decision(
                "remind",
                f"{kind} reminder to {', '.join(to)} ({why})",
                self.edition.id,
                key=key,
                mail=Mail(tuple(to), subject, text),
            )
        )


def send_problems(
    edition: PlannedEdition, state: EditionState | None, *, claimed: bool
) -> list[Problem]:
    """Why an edition may not go out now; empty when it may."""
    if state is None:
        return [
            Problem(
                f"there is no folder newsletters/{edition.id}",
                f"er is geen map newsletters/{edition.id}",
            )
        ]
    if state.error or state.status is None:
        return [Problem(f"the edition cannot be read: {state.error}", "de editie is onleesbaar")]
    problems: list[Problem] = []
    status = state.status
    if status is S.SENDING and not claimed:
        problems.append(
            Problem(
                "it is being sent by hand (status sending, no scheduler claim)",
                "zij wordt met de hand verstuurd (status sending)",
            )
        )
    elif status is S.APPROVED:
        problems.append(
            Problem(
                "it is approved but not scheduled (`varcomms edition schedule`)",
                "zij is goedgekeurd maar niet ingepland",
            )
        )
    elif status not in (S.SCHEDULED, S.SENDING):
        problems.append(
            Problem(
                f"it is {status.value}, not approved and scheduled",
                f"zij is nog niet goedgekeurd ({status.value})",
            )
        )
    if status is not S.SENDING:
        if state.voided:
            roles = " and ".join(sorted(r.upper() for r in state.voided))
            problems.append(
                Problem(
                    f"the {roles} sign-off was voided by an edit",
                    f"de ondertekening van {roles} is vervallen door een wijziging",
                )
            )
        elif status in SIGNED and state.missing:
            roles = " and ".join(r.upper() for r in state.missing)
            problems.append(
                Problem(
                    f"the {roles} sign-off is missing", f"de ondertekening van {roles} ontbreekt"
                )
            )
    if state.planned != edition.send and status is not S.SENDING:
        shown = f"{state.planned.astimezone(AMSTERDAM):%Y-%m-%d %H:%M}" if state.planned else "none"
        problems.append(
            Problem(
                f"its planned time ({shown}) differs from the plan's "
                f"({edition.send:%Y-%m-%d %H:%M})",
                f"het tijdstip in edition.yaml ({shown}) wijkt af van het jaarplan "
                f"({edition.send:%Y-%m-%d %H:%M})",
            )
        )
    return problems


def _editors(plan: YearPlan, edition: PlannedEdition) -> tuple[str, ...]:
    return plan.editors.var + (plan.editors.riec if edition.joint else ())


def _preparation(p: _Pass) -> None:
    e, st, now, plan = p.edition, p.state, p.now, p.plan
    status = st.status if st else None
    if now >= e.send or status in SETTLED:
        return
    if st is None and now >= e.drafting and not p.memory.done(f"draft:{e.id}"):
        p.out.append(Decision("draft", "drafting starts", e.id, key=f"draft:{e.id}"))
    local = now.astimezone(AMSTERDAM)
    refresh_from = datetime.combine(local.date(), plan.refresh_at, tzinfo=AMSTERDAM)
    if (
        st is not None
        and status is S.DRAFT
        and e.drafting.date() < local.date()
        and now >= refresh_from
        and now < e.review_deadline
    ):
        key = f"refresh:{e.id}:{local.date().isoformat()}"
        if not p.memory.done(key):
            p.out.append(Decision("refresh", "daily refresh of a draft", e.id, key=key))
    open_statuses = (None, S.DRAFT, S.REVIEW)
    if e.joint and e.riec_deadline is not None:
        riec_signed = st is not None and "riec" in st.signed
        if (
            now >= e.riec_deadline - plan.remind_before
            and status in open_statuses
            and not riec_signed
        ):
            p.remind(
                "riec-copy",
                plan.editors.riec,
                mails.riec_copy(e.id, e.riec_deadline, overdue=now > e.riec_deadline),
                f"RIEC copy due {e.riec_deadline:%Y-%m-%d %H:%M}",
            )
    if now >= e.review_deadline - plan.remind_before and status in open_statuses:
        missing = st.missing if st is not None else list(("var", "riec") if e.joint else ("var",))
        p.remind(
            "review",
            _editors(plan, e),
            mails.review(e.id, e.review_deadline, missing),
            f"review due {e.review_deadline:%Y-%m-%d %H:%M}",
        )
    if now >= e.send - plan.remind_before and status not in (S.SCHEDULED, S.SENDING):
        p.remind(
            "not-scheduled",
            _editors(plan, e),
            mails.not_scheduled(e.id, e.send, approved=status is S.APPROVED),
            f"send {e.send:%Y-%m-%d %H:%M} but {status.value if status else 'no folder'}",
        )


def _send(p: _Pass) -> None:
    e, st, now, plan = p.edition, p.state, p.now, p.plan
    claim = p.memory.sends.get(e.id)
    if now < e.send:
        return
    if st is not None and st.status in SETTLED:
        return
    if claim is not None and claim.state in ("sending", "sent"):
        return  # being sent (by this process, a release, or a twin that lost the race)
    released = claim is not None and claim.released_at is not None
    interrupted = claim is not None and claim.state == "interrupted"
    window_end = e.send + plan.grace
    if interrupted and claim is not None and claim.claimed_at is not None:
        # A send a stop interrupted may resume within the grace after it first started
        # (not after its last retry: a send failing every pass must not go on for days).
        window_end = max(window_end, claim.claimed_at + plan.grace)
    problems = send_problems(e, st, claimed=interrupted or released)
    late = now - e.send
    if not problems and (now <= window_end or released):
        why = "planned time reached" if late < plan.recheck else f"{_ago(late)} late, within grace"
        if interrupted:
            why = "resuming an interrupted send"
        if released:
            why = "released by " + (claim.released_by or "an editor") if claim else why
        resume = st is not None and st.status is S.SENDING
        p.out.append(Decision("send", why, e.id, resume=resume))
        return
    if not problems:
        problems = [
            Problem(
                f"{_ago(late)} late, past the {_ago(plan.grace)} grace",
                f"het geplande tijdstip is {_ago(late)} voorbij",
            )
        ]
    reason = "; ".join(pr.en for pr in problems)
    reason_nl = "; ".join(pr.nl for pr in problems)
    if now <= window_end:
        p.out.append(
            Decision(
                "hold",
                f"{reason}; checked again until {window_end.astimezone(AMSTERDAM):%Y-%m-%d %H:%M}",
                e.id,
            )
        )
        p.remind("held", _editors(plan, e), mails.held(e.id, e.send, reason_nl, window_end), reason)
    else:
        p.out.append(Decision("hold", f"{reason}; needs `varcomms scheduler release {e.id}`", e.id))
        p.remind("late", _editors(plan, e), mails.late(e.id, e.send, reason_nl), reason)


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"


def fire_times(trigger: Any, start: datetime, end: datetime) -> Iterator[datetime]:
    """A trigger's fire times in (start, end], strictly increasing in real time.

    On the last Sunday of October APScheduler 3.11's cron trigger fires 02:30 twice
    (once per offset); the collect key (local wall time) makes that one run.
    """
    # Steps are taken in UTC: a second added to 02:30+01:00 in local time would land
    # on 02:30:01+02:00, an hour *earlier*.
    # Compared in UTC too: two times of one zone compare by wall clock, fold ignored.
    previous: datetime | None = None
    probe, end = start.astimezone(UTC), end.astimezone(UTC)
    for _ in range(100_000):
        fire = trigger.get_next_fire_time(previous, probe)
        if fire is None or fire.astimezone(UTC) > end:
            return
        if previous is not None and fire.astimezone(UTC) <= previous.astimezone(UTC):
            probe += timedelta(minutes=1)
            continue
        yield fire
        previous, probe = fire, fire.astimezone(UTC) + timedelta(seconds=1)


def collect_slot(plan: YearPlan, now: datetime) -> datetime | None:
    """The latest collect time at or before ``now`` (missed ones coalesce into it)."""
    if not plan.collect:
        return None
    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger.from_crontab(plan.collect, timezone=AMSTERDAM)
    latest = None
    for fire in fire_times(trigger, now - timedelta(days=2), now):
        latest = fire
    return latest


def active_plan(plans: Sequence[YearPlan], now: datetime) -> YearPlan | None:
    if not plans:
        return None
    year = now.astimezone(AMSTERDAM).year
    for plan in plans:
        if plan.year == year:
            return plan
    return max(plans, key=lambda p: p.year)


def decide(
    plans: Sequence[YearPlan],
    states: dict[str, EditionState],
    memory: Memory,
    now: datetime,
) -> list[Decision]:
    """Everything that is due at ``now``, in the order to carry it out."""
    out: list[Decision] = []
    current = active_plan(plans, now)
    if current is not None:
        slot = collect_slot(current, now)
        if slot is not None:
            # Keyed on the local wall time: the doubled 02:30 in October is one run.
            key = f"collect:{slot.astimezone(AMSTERDAM):%Y-%m-%dT%H:%M}"
            if not memory.done(key):
                out.append(
                    Decision(
                        "collect",
                        f"collect run of {slot.astimezone(AMSTERDAM):%Y-%m-%d %H:%M}",
                        key=key,
                        slot=slot,
                    )
                )
    for plan in plans:
        for edition in plan.editions:
            p = _Pass(plan, edition, states.get(edition.id), memory, now)
            _preparation(p)
            _send(p)
            out.extend(p.out)
    order = {"collect": 0, "draft": 1, "refresh": 2, "send": 3, "hold": 4, "remind": 5}
    return sorted(out, key=lambda d: order[d.action])

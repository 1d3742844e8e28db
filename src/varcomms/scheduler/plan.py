"""The year plan: ``scheduler/plan-YYYY.yaml``, read and validated once, at the edge.

One file per year. Each edition in it says when drafting starts, when the RIEC copy
and the review are due and when it goes out (local Europe/Amsterdam times), for whom,
and with which brands. The file also holds the collect cron, who gets reminders, the
grace period for missed sends and how often a held send is checked again.

Which wins, the plan or an edition's own ``planned``? The plan proposes; once the
edition folder exists its ``planned`` is what the VAR signed (it is part of the signed
``edition.yaml``), so it decides when the edition may go out. The two must agree:
:mod:`varcomms.scheduler.checks` reports a mismatch as an error, ``edition schedule``
refuses it, and the send job holds such an edition instead of guessing.

Structural problems (a deadline after the send, two editions on one day, an unknown
segment, an id also planned in another year) raise :class:`InputError` naming the file,
the line and the key: the scheduler does not start on a plan it cannot trust.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from varcomms.addresses import InvalidAddressError, normalise_email
from varcomms.config import Config
from varcomms.editions.formats import EDITION_ID, parse_when
from varcomms.editions.yamlio import ParsedYaml, parse_yaml, validation_error
from varcomms.errors import InputError, NotFoundError
from varcomms.models import is_everyone

PLAN_FOLDER = "scheduler"
PLAN_FILE = re.compile(r"^plan-(\d{4})\.ya?ml$")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(value: Any) -> timedelta:
    """'4h', '30m', '2d', '45s' (or a number of seconds)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError("must be a duration like '4h', '30m' or '2d'")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _local(value: Any) -> datetime:
    when, date_only = parse_when(value, AMSTERDAM)
    if date_only:
        raise ValueError("needs a time as well, like '2022-02-01 09:00'")
    # Local times around the clock change: 02:30 on the last Sunday of March does not
    # exist, on the last Sunday of October it happens twice. Refuse both, not guess.
    wall = when.replace(tzinfo=None)
    if when.astimezone(UTC).astimezone(AMSTERDAM).replace(tzinfo=None) != wall:
        raise ValueError(f"{wall:%Y-%m-%d %H:%M} does not exist here (summer time starts)")
    if when.replace(fold=1).utcoffset() != when.replace(fold=0).utcoffset():
        raise ValueError(
            f"{wall:%Y-%m-%d %H:%M} happens twice here (summer time ends); pick another time"
        )
    return when


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Editors(_Strict):
    """Who is reminded: the VAR editors of everything, the RIEC editors of riec.md."""

    var: tuple[str, ...] = Field(min_length=1)
    riec: tuple[str, ...] = ()

    @field_validator("var", "riec", mode="before")
    @classmethod
    def _addresses(cls, value: Any) -> Any:
        """Each address in its one normal form (the same rule as the audience's)."""
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple):
            return value  # the field's own type error says what is wrong
        normalised = []
        for address in value:
            if not isinstance(address, str):
                raise ValueError(f"{address!r} is not an email address")
            try:
                normalised.append(normalise_email(address))
            except InvalidAddressError as err:
                raise ValueError(f"{address!r} is not an email address: {err}") from err
        return normalised


class PlannedEdition(_Strict):
    id: str
    kind: Literal["regular", "special"] = "regular"
    brands: tuple[str, ...] = ("var", "riec")
    send: datetime
    drafting: datetime
    riec_deadline: datetime | None = None
    review_deadline: datetime
    audience: str = "all"
    template: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not EDITION_ID.match(value):
            raise ValueError("must be lowercase letters, digits and '-', like 2022-03")
        return value

    @field_validator("send", "drafting", "riec_deadline", "review_deadline", mode="before")
    @classmethod
    def _when(cls, value: Any) -> datetime | None:
        return None if value is None else _local(value)

    @field_validator("brands")
    @classmethod
    def _brands(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "var" not in value:
            raise ValueError("every edition carries 'var' (joint editions also 'riec')")
        unknown = [b for b in value if b not in ("var", "riec")]
        if unknown:
            raise ValueError(f"unknown brand {unknown[0]!r}; use var and riec")
        return value

    @property
    def joint(self) -> bool:
        return "riec" in self.brands

    @property
    def segment(self) -> str | None:
        return None if is_everyone(self.audience) else self.audience

    def dates(self) -> list[tuple[str, datetime]]:
        """Every date of the edition in time order, named as in the file."""
        found = [("drafting", self.drafting)]
        if self.riec_deadline is not None:
            found.append(("riec_deadline", self.riec_deadline))
        found += [("review_deadline", self.review_deadline), ("send", self.send)]
        return found


class YearPlan(_Strict):
    year: int
    collect: str | None = "0 6 * * *"
    refresh_at: time = time(7, 0)
    grace: timedelta = timedelta(hours=4)
    recheck: timedelta = timedelta(minutes=30)
    remind_before: timedelta = timedelta(days=2)
    editors: Editors
    editions: tuple[PlannedEdition, ...] = Field(min_length=1)
    path: Path = Path("plan.yaml")  # set by the loader, not written in the file
    _lines: dict[tuple[str | int, ...], int] = PrivateAttr(default_factory=dict)

    def where(self, *loc: str | int) -> str:
        """'plan-2022.yaml:31: editions[2].send', for findings about the file."""
        line = None
        for end in range(len(loc), 0, -1):
            line = self._lines.get(tuple(loc[:end]))
            if line is not None:
                break
        key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        return f"{self.path.name}:{line}: {key}" if line else f"{self.path.name}: {key}"

    @field_validator("grace", "recheck", "remind_before", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> timedelta:
        return parse_duration(value)

    @field_validator("refresh_at", mode="before")
    @classmethod
    def _clock_time(cls, value: Any) -> Any:
        if isinstance(value, int):  # YAML 1.1 reads 07:00 as sexagesimal 420
            return time(value // 60, value % 60)
        return value

    @field_validator("collect")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value, timezone=AMSTERDAM)
        except ValueError as err:
            raise ValueError(
                f"not a cron expression (minute hour day month weekday): {err}"
            ) from err
        return value

    def joint_needs_riec_editors(self) -> bool:
        return any(e.joint for e in self.editions) and not self.editors.riec

    def edition(self, edition_id: str) -> PlannedEdition:
        for planned in self.editions:
            if planned.id == edition_id:
                return planned
        raise NotFoundError(f"edition {edition_id!r} is not in {self.path}")


@dataclass(frozen=True)
class Plans:
    """Every year plan in the folder, with a lookup by edition id."""

    folder: Path
    years: tuple[YearPlan, ...]

    def find(self, edition_id: str) -> tuple[YearPlan, PlannedEdition] | None:
        for plan in self.years:
            for planned in plan.editions:
                if planned.id == edition_id:
                    return plan, planned
        return None

    def require(self, edition_id: str) -> tuple[YearPlan, PlannedEdition]:
        found = self.find(edition_id)
        if found is None:
            raise NotFoundError(
                f"edition {edition_id!r} is in no plan in {self.folder}",
                hint="add it to scheduler/plan-YYYY.yaml",
            )
        return found

    def year(self, year: int) -> YearPlan:
        for plan in self.years:
            if plan.year == year:
                return plan
        known = ", ".join(str(p.year) for p in self.years) or "none"
        raise NotFoundError(
            f"no plan for {year} in {self.folder} (plans: {known})",
            hint=f"create {self.folder / f'plan-{year}.yaml'}",
        )

    def editions(self) -> Iterable[tuple[YearPlan, PlannedEdition]]:
        for plan in self.years:
            for planned in plan.editions:
                yield plan, planned


def plan_folder(config: Config) -> Path:
    return config.root / PLAN_FOLDER


def _error(parsed: ParsedYaml, loc: tuple[str | int, ...], message: str) -> InputError:
    key = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc)
    return InputError(
        message, path=parsed.path, line=parsed.line_of(loc), field=key.replace(".[", "[")
    )


def _check(parsed: ParsedYaml, plan: YearPlan, segments: set[str] | None) -> None:
    seen_days: dict[Any, int] = {}
    seen_ids: dict[str, int] = {}
    for index, edition in enumerate(plan.editions):
        at: tuple[str | int, ...] = ("editions", index)
        if edition.id in seen_ids:
            raise _error(parsed, (*at, "id"), f"{edition.id} is planned twice in this file")
        seen_ids[edition.id] = index
        day = edition.send.date()
        if day in seen_days:
            other = plan.editions[seen_days[day]].id
            raise _error(
                parsed,
                (*at, "send"),
                f"{edition.id} goes out on {day:%Y-%m-%d}, the same day as {other}; "
                "one edition per day",
            )
        seen_days[day] = index
        if edition.send.year != plan.year:
            raise _error(
                parsed,
                (*at, "send"),
                f"{edition.send:%Y-%m-%d} is not in the plan's year {plan.year}",
            )
        previous = None
        for name, when in edition.dates():
            if name != "send" and when >= edition.send:
                raise _error(
                    parsed,
                    (*at, name),
                    f"{when:%Y-%m-%d %H:%M} is not before the send ({edition.send:%Y-%m-%d %H:%M})",
                )
            if previous is not None and when < previous[1]:
                raise _error(parsed, (*at, name), f"{when:%Y-%m-%d %H:%M} is before {previous[0]}")
            previous = (name, when)
        if edition.joint and edition.riec_deadline is None:
            raise _error(parsed, at, "a joint edition needs a riec_deadline")
        if not edition.joint and edition.riec_deadline is not None:
            raise _error(parsed, (*at, "riec_deadline"), "a VAR-only edition has no RIEC copy")
        if segments is not None and edition.segment is not None and edition.segment not in segments:
            known = ", ".join(sorted(segments)) or "none"
            raise _error(
                parsed,
                (*at, "audience"),
                f"unknown segment {edition.segment!r} (segments: {known}; or 'all')",
            )
    if plan.joint_needs_riec_editors():
        raise _error(parsed, ("editors",), "joint editions are planned but no riec editors")


def read_plan(path: Path, *, segments: set[str] | None = None) -> YearPlan:
    """One plan file, validated; ``segments`` (known segment names) checks audiences."""
    match = PLAN_FILE.match(path.name)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise NotFoundError(f"{path}: no such plan file") from err
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read: {err}", path=path) from err
    parsed = parse_yaml(text, path)
    if not isinstance(parsed.data, dict):
        raise InputError(
            "a plan is a mapping with 'year', 'editors' and 'editions'", path=path, line=1
        )
    try:
        plan = YearPlan.model_validate({**parsed.data, "path": path})
    except ValidationError as err:
        raise validation_error(err, parsed) from err
    if match and int(match.group(1)) != plan.year:
        raise _error(parsed, ("year",), f"{plan.year} does not match the file name {path.name}")
    _check(parsed, plan, segments)
    plan._lines = dict(parsed.lines)
    return plan


def known_segments(config: Config) -> set[str]:
    from varcomms.audience.segments import segment_names

    return set(segment_names(config))


def load_plans(config: Config, folder: Path | None = None) -> Plans:
    """Every ``plan-YYYY.yaml`` in the scheduler folder; ids must be unique across years."""
    folder = folder or plan_folder(config)
    segments = known_segments(config)
    files = (
        sorted(p for p in folder.glob("plan-*.y*ml") if PLAN_FILE.match(p.name))
        if folder.is_dir()
        else []
    )
    years: list[YearPlan] = []
    owner: dict[str, Path] = {}
    for path in files:
        plan = read_plan(path, segments=segments)
        for index, edition in enumerate(plan.editions):
            if edition.id in owner:
                parsed = parse_yaml(path.read_text(encoding="utf-8"), path)
                raise _error(
                    parsed,
                    ("editions", index, "id"),
                    f"{edition.id} is also planned in {owner[edition.id].name}; ids are unique "
                    "across years",
                )
            owner[edition.id] = path
        years.append(plan)
    return Plans(folder=folder, years=tuple(years))

"""Segment rules: a small tree of conditions that compiles to one SQL WHERE clause.

Leaves test one property of a subscriber (themes, organisation type, municipality,
status, language, signup date, engagement); ``all``/``any``/``not`` combine them. The
database does the work, so resolving a segment never loads subscribers into Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Select, and_, exists, false, func, not_, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from varcomms.store.schema import events, sends, subscriber_themes, subscribers

# Normalised webhook event types that prove a subscriber read an edition. A click
# counts as well: privacy features in mail clients often block the open pixel.
ENGAGEMENT_EVENTS = ("opened", "clicked")


class Rule(Protocol):
    def where(self) -> ColumnElement[bool]:
        """The condition, over the ``subscribers`` table."""
        ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class AllOf:
    rules: tuple[Rule, ...]

    def where(self) -> ColumnElement[bool]:
        return and_(true(), *(rule.where() for rule in self.rules))

    def describe(self) -> str:
        return "(" + " and ".join(rule.describe() for rule in self.rules) + ")"


@dataclass(frozen=True)
class AnyOf:
    rules: tuple[Rule, ...]

    def where(self) -> ColumnElement[bool]:
        return or_(false(), *(rule.where() for rule in self.rules))

    def describe(self) -> str:
        return "(" + " or ".join(rule.describe() for rule in self.rules) + ")"


@dataclass(frozen=True)
class Not:
    rule: Rule

    def where(self) -> ColumnElement[bool]:
        return not_(self.rule.where())

    def describe(self) -> str:
        return f"not {self.rule.describe()}"


def _has_theme(slugs: tuple[str, ...]) -> ColumnElement[bool]:
    return exists().where(
        subscriber_themes.c.subscriber_id == subscribers.c.id,
        subscriber_themes.c.theme.in_(slugs),
    )


@dataclass(frozen=True)
class Themes:
    """``any``: at least one of the themes; ``all``: every one; ``none``: not one."""

    mode: str
    slugs: tuple[str, ...]

    def where(self) -> ColumnElement[bool]:
        if self.mode == "any":
            return _has_theme(self.slugs)
        if self.mode == "all":
            return and_(true(), *(_has_theme((slug,)) for slug in self.slugs))
        return ~_has_theme(self.slugs)

    def describe(self) -> str:
        return f"themes {self.mode} of [{', '.join(self.slugs)}]"


@dataclass(frozen=True)
class FieldIn:
    """A column equals one of the values. ``municipality`` compares without case."""

    field: str
    values: tuple[str, ...]

    def where(self) -> ColumnElement[bool]:
        column = subscribers.c[self.field]
        if self.field == "municipality":
            return func.lower(column).in_([value.lower() for value in self.values])
        return column.in_(self.values)

    def describe(self) -> str:
        return f"{self.field} in [{', '.join(self.values)}]"


def signup_time() -> ColumnElement[datetime]:
    """When someone signed up: their consent time, else when we first stored them."""
    return func.coalesce(subscribers.c.consent_at, subscribers.c.created_at)


@dataclass(frozen=True)
class SignedUp:
    """Signed up at or after ``after`` and before ``before`` (either may be open)."""

    after: datetime | None
    before: datetime | None

    def where(self) -> ColumnElement[bool]:
        conditions = []
        if self.after is not None:
            conditions.append(signup_time() >= self.after)
        if self.before is not None:
            conditions.append(signup_time() < self.before)
        return and_(true(), *conditions)

    def describe(self) -> str:
        parts = []
        if self.after is not None:
            parts.append(f"from {self.after.isoformat()}")
        if self.before is not None:
            parts.append(f"before {self.before.isoformat()}")
        return "signed up " + " ".join(parts)


def last_editions(count: int) -> Select[tuple[str]]:
    """The ids of the ``count`` most recently sent editions (real sends, not tests)."""
    return (
        select(sends.c.edition_id)
        .where(sends.c.is_test.is_(False))
        .group_by(sends.c.edition_id)
        .order_by(func.max(sends.c.created_at).desc(), sends.c.edition_id.desc())
        .limit(count)
    )


@dataclass(frozen=True)
class Opened:
    """Opened (or clicked in) at least one of the last ``editions`` editions sent.

    With no editions sent yet nobody matches, so ``not: {opened: …}`` is everyone.
    """

    editions: int

    def where(self) -> ColumnElement[bool]:
        return exists().where(
            events.c.email == subscribers.c.email,
            events.c.type.in_(ENGAGEMENT_EVENTS),
            events.c.edition_id.in_(last_editions(self.editions)),
        )

    def describe(self) -> str:
        return f"opened one of the last {self.editions} editions"

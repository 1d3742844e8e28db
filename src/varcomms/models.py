"""Domain types shared by the stages.

Plain, typed values: the stages pass these between each other, the store maps them to
rows. Edition file formats (what editors write) are pydantic models in
:mod:`varcomms.editions`, built from these.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict


class ItemKind(StrEnum):
    NEWS = "news"
    EVENT = "event"
    CAMPAIGN = "campaign"
    MANUAL = "manual"


class ItemStatus(StrEnum):
    NEW = "new"  # in the pool, not yet in an edition
    USED = "used"  # drafted into an edition
    SKIPPED = "skipped"  # an editor decided against it; never offered again


@dataclass(frozen=True, slots=True)
class EventInfo:
    """When and where an agenda item takes place. Times are aware (UTC in the store)."""

    start: datetime
    end: datetime | None = None
    all_day: bool = False
    location: str | None = None
    uid: str | None = None
    ics_url: str | None = None


@dataclass(frozen=True, slots=True)
class Item:
    """One thing a source published: a news story, an event, a campaign, a manual note.

    ``summary_html`` is always sanitised before an Item is made; ``published`` is UTC.
    """

    id: str
    source: str
    kind: ItemKind
    title: str
    url: str
    summary_html: str = ""
    published: datetime | None = None
    image_url: str | None = None
    image_alt: str | None = None
    themes: tuple[str, ...] = ()
    guid: str | None = None
    brand: str | None = None
    event: EventInfo | None = None
    status: ItemStatus = ItemStatus.NEW
    used_in: str | None = None  # edition id, once drafted

    @staticmethod
    def make_id(source: str, key: str) -> str:
        """A stable id from the source name and the item's own key (guid, link, uid)."""
        digest = hashlib.sha256(f"{source}\x00{key}".encode()).hexdigest()
        return digest[:16]


class EditionStatus(StrEnum):
    DRAFT = "draft"
    REVIEW = "review"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"


class SubscriberStatus(StrEnum):
    PENDING = "pending"
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


class OrgType(StrEnum):
    GEMEENTE = "gemeente"
    POLITIE = "politie"
    OM = "om"
    RIEC = "riec"
    ZORG_VEILIGHEIDSHUIS = "zorg-veiligheidshuis"
    ONDERNEMER = "ondernemer"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Subscriber:
    email: str
    name: str | None = None
    first_name: str | None = None
    organisation: str | None = None
    org_type: OrgType = OrgType.OTHER
    municipality: str | None = None
    themes: frozenset[str] = frozenset()
    language: str = "nl"
    status: SubscriberStatus = SubscriberStatus.PENDING
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Recipient:
    """What delivery needs of one person: the address, the greeting and the variant."""

    email: str
    variant: str
    name: str | None = None
    first_name: str | None = None
    subscriber_id: int | None = None


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    """One rendered variant of an edition, before personalisation.

    ``html`` and ``text`` contain placeholders for the personal fields (see
    :data:`PERSONAL_FIELDS`); delivery fills them in per recipient.
    """

    edition_id: str
    variant: str
    subject: str
    preheader: str
    html: str
    text: str
    web_html: str = ""
    warnings: tuple[str, ...] = field(default=())


# Placeholders the renderer leaves in a variant and delivery replaces per recipient.
# They are plain ASCII tokens that survive MJML, HTML escaping and text wrapping.
PERSONAL_FIELDS = {
    "greeting_name": "%%VARCOMMS_GREETING_NAME%%",
    "unsubscribe_url": "%%VARCOMMS_UNSUBSCRIBE_URL%%",
    "preferences_url": "%%VARCOMMS_PREFERENCES_URL%%",
    "web_url": "%%VARCOMMS_WEB_URL%%",
}
# What a substitution engine after render could act on if content wrote it: ours, Mailgun's
# recipient variables, SendGrid's tags (and its <%…%> unsubscribe tags), Brevo's template
# language. Render defuses these in content; edition lint reports them.
FORGEABLE_PLACEHOLDER = re.compile(r"%%VARCOMMS_|%recipient|-varcomms-|\{\{|\{%|\{#|<%", re.I)


class DeliveryState(StrEnum):
    PENDING = "pending"  # row written, message not yet accepted by the provider
    SENT = "sent"  # accepted by the provider
    FAILED = "failed"  # permanently refused
    UNCERTAIN = "uncertain"  # in flight when a send crashed; fate unknown
    SUPPRESSED = "suppressed"  # skipped because of the suppression list


# -- editions ---------------------------------------------------------------------------
# What an edition holds once its folder has been read and validated. The file formats
# (edition.yaml, intro.md, one Markdown file per section, riec.md) live in
# varcomms.editions; render and delivery only ever see these objects.


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EditionEvent(_Frozen):
    start: datetime
    end: datetime | None = None
    all_day: bool = False
    location: str | None = None
    ics_url: str | None = None


class EditionItem(_Frozen):
    """One entry of a section. Editors may rewrite every field; ``item_id`` links the pool."""

    title: str
    summary_html: str = ""  # sanitised HTML (editors write Markdown; the reader converts)
    url: str | None = None
    image_url: str | None = None
    image_alt: str | None = None
    themes: tuple[str, ...] = ()
    kind: ItemKind = ItemKind.NEWS
    item_id: str | None = None
    source: str | None = None
    event: EditionEvent | None = None


class EditionSection(_Frozen):
    """A block of items. A section with a ``theme`` goes only to people who chose it."""

    slug: str
    title: str
    items: tuple[EditionItem, ...] = ()
    intro_html: str = ""
    theme: str | None = None
    brand: str | None = None


class SignOff(_Frozen):
    role: Literal["var", "riec"]
    by: str
    at: datetime
    content_hash: str


# What an edition's `audience` (or --segment) may say for "everyone subscribed": these
# are never segment names, in edition.yaml, in the lint or in a send.
EVERYONE = frozenset({"all", "alle"})


def is_everyone(audience: str | None) -> bool:
    return audience is None or audience.strip().lower() in EVERYONE | {""}


class Edition(_Frozen):
    id: str
    number: int
    title: str
    subject: str
    preheader: str
    planned: datetime | None = None
    brands: tuple[str, ...] = ("var", "riec")
    kind: Literal["regular", "special"] = "regular"
    template: str | None = None
    audience: str | None = None  # a segment name; None is everyone subscribed
    status: EditionStatus = EditionStatus.DRAFT
    signoffs: tuple[SignOff, ...] = ()
    intro_html: str = ""
    sections: tuple[EditionSection, ...] = ()
    agenda: EditionSection | None = None
    campaign: EditionSection | None = None
    riec: EditionSection | None = None

    @property
    def all_sections(self) -> tuple[EditionSection, ...]:
        """Every section in reading order: news sections, agenda, campaign, RIEC."""
        extra = (self.agenda, self.campaign, self.riec)
        return self.sections + tuple(section for section in extra if section is not None)

    @property
    def themed_sections(self) -> tuple[EditionSection, ...]:
        return tuple(section for section in self.all_sections if section.theme)


# -- events -----------------------------------------------------------------------------


class EventType(StrEnum):
    """What happened to a message after it left, in one vocabulary for every provider."""

    DELIVERED = "delivered"
    BOUNCED = "bounced"  # data: {"bounce": "hard" | "soft", "code": …, "reason": …}
    COMPLAINED = "complained"
    UNSUBSCRIBED = "unsubscribed"
    OPENED = "opened"
    CLICKED = "clicked"  # data: {"url": …}

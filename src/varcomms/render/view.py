"""What the templates see: an edition reduced to one variant, with links and dates ready.

Templates stay simple when the decisions are made here: which sections a variant has,
which accent colour a section wears, the Dutch dates of an event, the tracked URL of
every link, and the personal fields left as placeholders for delivery.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from varcomms.config import Brand, Config
from varcomms.models import PERSONAL_FIELDS, Edition, EditionItem, EditionSection
from varcomms.render.dates import EventDates, event_dates, long_date, month_year
from varcomms.render.images import COLUMN_WIDTH, without_image
from varcomms.render.links import Tracker, style_fragment
from varcomms.render.variants import Variant

# What the web (archive) version shows where an email has a reader's personal field.
WEB_GREETING = "lezer"
# After the preheader: invisible characters, so that inbox previews that show more than
# the preheader do not run on into the first visible line ("Bekijk hem in uw browser").
PREHEADER_FILLER = Markup("&#847;&zwnj;&nbsp;" * 80)  # noqa: S704 - a constant
# Room for images beside the agenda's date badge, and inside the campaign panel.
AGENDA_TEXT_WIDTH = COLUMN_WIDTH - 68
CAMPAIGN_TEXT_WIDTH = COLUMN_WIDTH - 2 * 22 - 6


@dataclass(frozen=True, slots=True)
class BrandView:
    name: str
    website: str
    logo_src: str
    logo_alt: str
    accent: str


@dataclass(frozen=True, slots=True)
class ItemView:
    title: str
    url: str | None
    summary_html: Markup
    summary_source: str  # the sanitised HTML; the text part converts it
    image_url: str | None
    image_alt: str
    kind: str
    dates: EventDates | None = None
    location: str | None = None
    ics_url: str | None = None


@dataclass(frozen=True, slots=True)
class SectionView:
    slug: str
    title: str
    accent: str
    items: tuple[ItemView, ...]
    intro_html: Markup
    intro_source: str
    theme_label: str | None


@dataclass(frozen=True, slots=True)
class Contact:
    href: str
    label: str


@dataclass(frozen=True, slots=True)
class EmailView:
    """The template context of one variant."""

    edition: Edition
    variant: Variant
    brands: dict[str, BrandView]
    urls: dict[str, str]
    greeting_name: str
    kicker: str
    senders: str
    issue_label: str
    footer_text: str
    intro_html: Markup
    intro_source: str
    news_sections: tuple[SectionView, ...]
    agenda: SectionView | None
    campaign: SectionView | None
    riec: SectionView | None
    contents: tuple[str, ...]  # the section titles in reading order ("In deze nieuwsbrief")
    sender: Any
    contact: Contact | None
    planned_date: str | None  # "15 februari 2022", for templates that want it
    preheader_filler: Markup = PREHEADER_FILLER

    def context(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def build_view(
    config: Config,
    edition: Edition,
    variant: Variant,
    placeholders: Mapping[str, str] = PERSONAL_FIELDS,
) -> EmailView:
    """The template context of one variant; ``placeholders`` stand for the personal fields
    (a render passes its own unguessable ones, see :mod:`varcomms.render.placeholders`)."""
    tz = config.tz
    tracker = Tracker.for_edition(config, edition.id)
    # A VAR-only edition shows only its own logo; the joint one shows both.
    brands = {
        name: _brand(brand, tracker)
        for name, brand in config.brands.items()
        if name in edition.brands or name == "var"
    }
    joint = "riec" in brands
    var_accent = brands["var"].accent
    link_colour = var_accent

    def section(part: EditionSection, accent: str, image_width: int = COLUMN_WIDTH) -> SectionView:
        return _section(
            config, part, accent, tracker, tz, link_colour=accent, image_width=image_width
        )

    news = tuple(
        section(part, var_accent)
        for part in edition.sections
        if _included(part, variant) is not None
    )
    agenda = _included(edition.agenda, variant)
    campaign = _included(edition.campaign, variant)
    riec = _included(edition.riec, variant)
    agenda_view = section(agenda, var_accent, AGENDA_TEXT_WIDTH) if agenda else None
    campaign_view = section(campaign, "#9c4221", CAMPAIGN_TEXT_WIDTH) if campaign else None
    riec_view = section(riec, brands["riec"].accent) if riec and joint else None
    shown = (*news, agenda_view, campaign_view, riec_view)
    planned = edition.planned
    issue_label = f"Editie {edition.number}"
    if planned is not None:
        issue_label += f" · {month_year(planned, tz)}"
    senders = f"Van de {brands['var'].name}" + (f" en het {brands['riec'].name}" if joint else "")
    return EmailView(
        edition=edition,
        variant=variant,
        brands=brands,
        urls={
            "web": placeholders["web_url"],
            "preferences": placeholders["preferences_url"],
            "unsubscribe": placeholders["unsubscribe_url"],
            "privacy": config.urls.privacy_statement,
        },
        greeting_name=placeholders["greeting_name"],
        kicker=issue_label if edition.kind == "regular" else f"Extra editie · {issue_label}",
        senders=senders,
        issue_label=issue_label,
        footer_text=(
            "U ontvangt deze nieuwsbrief omdat u zich heeft aangemeld voor de nieuwsbrief "
            f"v{senders[1:]}. De nieuwsbrief is bedoeld voor professionals van gemeenten, "
            "politie, Openbaar Ministerie en partners in de regio Rotterdam."
        ),
        intro_html=style_fragment(
            edition.intro_html, tracker, content="intro", link_colour=link_colour
        ),
        intro_source=edition.intro_html,
        news_sections=news,
        agenda=agenda_view,
        campaign=campaign_view,
        riec=riec_view,
        contents=tuple(part.title for part in shown if part is not None),
        sender=config.sender,
        contact=_contact(config),
        planned_date=long_date(planned, tz) if planned else None,
    )


def _included(section: EditionSection | None, variant: Variant) -> EditionSection | None:
    # A section with neither items nor text would show a bare heading: leave it out.
    if section is None or not (section.items or section.intro_html):
        return None
    return section if variant.includes(section) else None


def _brand(brand: Brand, tracker: Tracker) -> BrandView:
    return BrandView(
        name=brand.name,
        website=tracker.url(brand.website, "logo"),
        logo_src=brand.logo_url,
        logo_alt=brand.logo_alt,
        accent=brand.accent_colour,
    )


def web_values(config: Config, edition_id: str) -> dict[str, str]:
    """What the web (archive) version shows for each personal field: it belongs to
    nobody, so general pages instead of a reader's own links."""
    urls = config.urls
    return {
        PERSONAL_FIELDS["greeting_name"]: WEB_GREETING,
        PERSONAL_FIELDS["unsubscribe_url"]: urls.unsubscribe_base,
        PERSONAL_FIELDS["preferences_url"]: urls.preferences_base,
        PERSONAL_FIELDS["web_url"]: f"{urls.web_base}/{edition_id}/",
    }


def _contact(config: Config) -> Contact | None:
    contact = config.urls.contact
    if not contact:
        return None
    label = contact.removeprefix("mailto:") if contact.startswith("mailto:") else contact
    return Contact(href=contact, label=label)


def _section(
    config: Config,
    section: EditionSection,
    accent: str,
    tracker: Tracker,
    tz: ZoneInfo,
    *,
    link_colour: str,
    image_width: int = COLUMN_WIDTH,
) -> SectionView:
    theme_label = None
    if section.theme:
        theme_label = config.theme_labels.get(section.theme, section.theme)
    return SectionView(
        slug=section.slug,
        title=section.title,
        accent=accent,
        items=tuple(
            _item(item, section.slug, tracker, tz, link_colour, image_width)
            for item in section.items
        ),
        intro_html=style_fragment(
            section.intro_html, tracker, content=section.slug, link_colour=link_colour
        ),
        intro_source=section.intro_html,
        theme_label=theme_label,
    )


def _item(
    item: EditionItem,
    content: str,
    tracker: Tracker,
    tz: ZoneInfo,
    link_colour: str,
    image_width: int,
) -> ItemView:
    event = item.event
    # The item's own image is shown above its text: a copy in the text would repeat it.
    summary = without_image(item.summary_html, item.image_url)
    return ItemView(
        title=item.title,
        url=tracker.url(item.url, content) if item.url else None,
        summary_html=style_fragment(
            summary, tracker, content=content, link_colour=link_colour, image_width=image_width
        ),
        summary_source=summary,
        image_url=item.image_url,
        # An image without a description is decoration: empty alt, never a missing one.
        image_alt=item.image_alt or "",
        kind=str(item.kind),
        dates=event_dates(event.start, event.end, event.all_day, tz) if event else None,
        location=event.location if event else None,
        ics_url=event.ics_url if event else None,
    )

"""Shared pieces of the delivery benchmarks: a sample-sized variant and a Context."""

from __future__ import annotations

import resource
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from varcomms.config import load_config, load_secrets
from varcomms.context import Context
from varcomms.models import PERSONAL_FIELDS, Recipient, RenderedEmail

ROOT = Path(__file__).resolve().parents[1]
P = PERSONAL_FIELDS
ENV = {
    "VARCOMMS_SIGNING_KEY": "benchmark-signing-key-0123456789",
    "VARCOMMS_MAILGUN_API_KEY": "key-benchmark",
}


def sample_variant(target_kb: int = 80) -> RenderedEmail:
    """An edition-sized variant: MJML-like nested tables, inline styles, Dutch text."""
    item = (
        '<tr><td style="padding:12px 24px;font-family:Arial,Helvetica,sans-serif;font-size:15px;'
        'line-height:22px;color:#1a1a1a" class="item">\n'
        '<h2 style="margin:0 0 8px;font-size:18px;color:#004b87">Samen tegen ondermijning in '
        "de wijk {n}</h2>\n"
        '<p style="margin:0 0 8px">De gemeente, politie en het RIEC werken in de regio '
        "Rotterdam samen aan een veiliger Zuid. In het jaarplan 2022 staan de prioriteiten: "
        "cybercriminaliteit, mensenhandel, personen met verward gedrag en jeugd. “Samen "
        "staan we sterker” — aldus de burgemeester. Kosten € {n},00.</p>\n"
        '<a href="https://veiligheidsalliantie.nl/nieuws/item-{n}?utm_source=nieuwsbrief'
        '&amp;utm_medium=email" style="color:#8a1538;font-weight:bold">Lees verder</a>\n'
        "</td></tr>\n"
    )
    head = (
        '<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Nieuwsbrief</title>'
        '</head><body style="margin:0;background:#f2f2f2">\n'
        f'<p>Beste {P["greeting_name"]},</p>\n<table role="presentation" width="600">\n'
    )
    foot = (
        f'</table>\n<p><a href="{P["web_url"]}">Bekijk online</a> · '
        f'<a href="{P["preferences_url"]}">Voorkeuren</a> · '
        f'<a href="{P["unsubscribe_url"]}">Afmelden</a></p>\n</body></html>\n'
    )
    items = []
    n = 0
    while len(head) + sum(map(len, items)) + len(foot) < target_kb * 1024:
        items.append(item.format(n=n))
        n += 1
    text = (
        f"Beste {P['greeting_name']},\n\n"
        + "".join(
            f"Samen tegen ondermijning in de wijk {i}\nLees verder: "
            f"https://veiligheidsalliantie.nl/nieuws/item-{i}\n\n"
            for i in range(n)
        )
        + f"Online: {P['web_url']}\nVoorkeuren: {P['preferences_url']}\n"
        f"Afmelden: {P['unsubscribe_url']}\n"
    )
    return RenderedEmail(
        edition_id="2022-02",
        variant="algemeen",
        subject="Nieuwsbrief VAR & RIEC Rotterdam — februari 2022",
        preheader="Samen veilig",
        html=head + "".join(items) + foot,
        text=text,
    )


def recipients(count: int) -> Iterator[Recipient]:
    for n in range(count):
        yield Recipient(
            email=f"ontvanger{n}@gemeente{n % 25}.nl",
            variant="algemeen",
            first_name=f"Naam{n}" if n % 4 else None,
            subscriber_id=n + 1,
        )


def context(tmp: Path, *, rate: float | None = 1e9, **provider: Any) -> Context:
    """The sample configuration in ``tmp``; ``rate`` None keeps the shipped default (the
    provider's documented limit, in its own unit)."""
    config = load_config(ROOT / "varcomms.toml")
    config = config.model_copy(
        update={
            "paths": config.paths.model_copy(update={"data": tmp / "data"}),
            "provider": config.provider.model_copy(update=provider),
            "delivery": config.delivery.model_copy(
                update={"rate_per_second": rate, "concurrency": 2}
            ),
        }
    )
    return Context(config=config, secrets=load_secrets(ENV))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

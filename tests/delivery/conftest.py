"""Fixtures for delivery: a signing key, rendered variants with placeholders, recipients."""

from __future__ import annotations

import random
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from varcomms.config import load_secrets
from varcomms.context import Context
from varcomms.delivery.providers.memory import MemoryProvider, SentMessage
from varcomms.models import PERSONAL_FIELDS, Recipient, RenderedEmail

SIGNING_KEY = "test-signing-key-0123456789abcdef"
ENV = {
    "VARCOMMS_SIGNING_KEY": SIGNING_KEY,
    "VARCOMMS_MAILGUN_API_KEY": "key-mailgun-test",
    "VARCOMMS_SENDGRID_API_KEY": "SG.test",
    "VARCOMMS_POSTMARK_SERVER_TOKEN": "pm-test-token",
    "VARCOMMS_BREVO_API_KEY": "xkeysib-test",
}
P = PERSONAL_FIELDS


def make_variant(key: str = "algemeen", *, paragraphs: int = 20) -> RenderedEmail:
    """A rendered variant like render leaves it: placeholders, Dutch text, long lines."""
    body = "".join(
        f'<tr><td style="padding:8px;font-family:Arial">Nieuws {n}: de gemeente en politie '
        f"werken samen aan veiligheid in de wijk — “samen sterk” ({n} × €5). "
        + "Lange regel zonder afbreking " * 6
        + "</td></tr>\n"
        for n in range(paragraphs)
    )
    html = (
        "<!doctype html><html><body>\n"
        f"<p>Beste {P['greeting_name']},</p>\n"
        f'<table role="presentation">{body}</table>\n'
        f'<p><a href="{P["web_url"]}">Bekijk online</a> · '
        f'<a href="{P["preferences_url"]}">Voorkeuren</a> · '
        f'<a href="{P["unsubscribe_url"]}">Afmelden</a></p>\n'
        "</body></html>\n"
    )
    text = (
        f"Beste {P['greeting_name']},\n\n"
        + "".join(f"Nieuws {n}: samenwerking in de wijk (€5).\n" for n in range(paragraphs))
        + f"\nOnline: {P['web_url']}\nVoorkeuren: {P['preferences_url']}\n"
        f"Afmelden: {P['unsubscribe_url']}\n"
    )
    return RenderedEmail(
        edition_id="2022-02",
        variant=key,
        subject="Nieuwsbrief VAR & RIEC — februari 2022",
        preheader="Samen veilig",
        html=html,
        text=text,
    )


def people(count: int, *, variant: str = "algemeen", start: int = 0) -> list[Recipient]:
    return [
        Recipient(
            email=f"persoon{n}@gemeente{n % 7}.nl",
            variant=variant,
            name=f"Persoon {n}" if n % 3 else None,
            first_name=f"Voornaam{n}" if n % 3 else None,
            subscriber_id=n + 1,
        )
        for n in range(start, start + count)
    ]


def parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


@pytest.fixture
def ctx(context: Context, tmp_path: Path) -> Context:
    """The shared test Context, with delivery's secrets, a fast rate, a private outbox."""
    context.secrets = load_secrets(ENV)
    return with_settings(
        context,
        delivery__rate_per_second=1000.0,
        provider__outbox__directory=tmp_path / "outbox",
    )


def with_settings(ctx: Context, **changes: object) -> Context:
    """Change delivery or provider settings: keys like 'delivery.max_retries'."""
    config = ctx.config
    for dotted, value in changes.items():
        section_name, _, rest = dotted.partition("__")
        section = getattr(config, section_name)
        if "__" in rest:
            sub_name, _, field = rest.partition("__")
            sub = getattr(section, sub_name).model_copy(update={field: value})
            section = section.model_copy(update={sub_name: sub})
        else:
            section = section.model_copy(update={rest: value})
        config = config.model_copy(update={section_name: section})
    ctx.config = config
    return ctx


@pytest.fixture
def sent() -> list[SentMessage]:
    return []


@pytest.fixture
def memory(ctx: Context, sent: list[SentMessage]) -> Iterator[MemoryProvider]:
    yield MemoryProvider(ctx, sent=sent, rng=random.Random(7))

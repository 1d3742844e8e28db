"""The fast MIME builder: what it makes must parse to exactly the filled-in variant."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from tests.delivery.conftest import make_variant, parse
from varcomms.delivery.mime import MimeTemplate, header_line
from varcomms.delivery.personalise import fill
from varcomms.models import PERSONAL_FIELDS

VALUES = {
    "greeting_name": "Zoë & <Jan>",
    "unsubscribe_url": "https://example.org/afmelden/abc.def-ghi",
    "preferences_url": "https://example.org/voorkeuren/xyz",
    "web_url": "https://example.org/nieuwsbrief/2022-02/",
}


def build(html_body: str, text_body: str, **values: str) -> EmailMessage:
    template = MimeTemplate(
        subject="Nieuwsbrief februari — “samen” veilig",
        from_header="VAR <nieuwsbrief@veiligheidsalliantie.nl>",
        html_body=html_body,
        text_body=text_body,
        date=datetime(2022, 2, 15, 9, 0, tzinfo=UTC),
        reply_to="communicatie@veiligheidsalliantie.nl",
        extra_headers=[("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")],
    )
    raw = template.render(
        to_header="a@example.org",
        message_id="<x.1@veiligheidsalliantie.nl>",
        personal_headers=[("List-Unsubscribe", "<https://example.org/u/1>, <mailto:u@x.nl>")],
        values={**VALUES, **values},
    )
    for line in raw.split(b"\r\n"):
        assert len(line) <= 78 or line.startswith(b"List-Unsubscribe")
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    return parse(raw)


def test_parts_decode_to_the_filled_variant() -> None:
    variant = make_variant()
    message = build(variant.html, variant.text)
    text, body = (part.get_content() for part in message.iter_parts())
    escaped = {name: html.escape(value) for name, value in VALUES.items()}
    assert text.replace("\r\n", "\n") == fill(variant.text, VALUES)
    assert body.replace("\r\n", "\n") == fill(variant.html, escaped)
    assert str(message["Subject"]) == "Nieuwsbrief februari — “samen” veilig"
    assert message["Date"].datetime == datetime(2022, 2, 15, 9, 0, tzinfo=UTC)
    assert message["Reply-To"] == "communicatie@veiligheidsalliantie.nl"


@pytest.mark.parametrize(
    "template",
    [
        PERSONAL_FIELDS["greeting_name"],  # placeholder only
        "x" * 75 + PERSONAL_FIELDS["greeting_name"] + "y" * 200,  # at the wrap column
        "a =b " + PERSONAL_FIELDS["greeting_name"] + " \n.\nFrom here\n",  # =, space, dot
        PERSONAL_FIELDS["greeting_name"] * 3 + "\n",  # adjacent placeholders
    ],
)
def test_placeholders_anywhere_survive_encoding(template: str) -> None:
    message = build(template, template, greeting_name="Ünïcode naam € ")
    text, body = (part.get_content() for part in message.iter_parts())
    values = {**VALUES, "greeting_name": "Ünïcode naam € "}
    assert text.replace("\r\n", "\n") == fill(template, values)
    escaped = {name: html.escape(value) for name, value in values.items()}
    assert body.replace("\r\n", "\n") == fill(template, escaped)


def test_an_empty_value_leaves_nothing_behind() -> None:
    template = f"Beste {PERSONAL_FIELDS['greeting_name']},\n"
    message = build(template, template, greeting_name="")
    assert next(message.iter_parts()).get_content().replace("\r\n", "\n") == "Beste ,\n"


def test_headers_are_encoded_and_folded() -> None:
    assert header_line("Subject", "Gewoon ASCII") == b"Subject: Gewoon ASCII\r\n"
    encoded = header_line("Subject", "Veiligheid in de wijk — “samen”")
    assert encoded.startswith(b"Subject: =?utf-8?") and encoded.isascii()
    folded = header_line("List-Unsubscribe", "<https://" + "a" * 80 + ">, <mailto:x@y.nl>")
    assert folded.count(b"\r\n ") == 1


def test_long_header_lines_are_folded_at_spaces_and_read_back_the_same() -> None:
    """delivery.md D15: lines stay within 78 characters wherever a space allows."""
    from email import policy as email_policy
    from email.parser import BytesParser as Parser

    from varcomms.delivery.mime import header_line

    values = {
        "List-Id": "Nieuwsbrief VeiligheidsAlliantie regio Rotterdam "
        "<nieuwsbrief.veiligheidsalliantie.nl>",
        "To": '"Jansen-van der Berg, Pieternella Wilhelmina Johanna Maria" '
        "<p.jansen@gemeente.example.org>",
        "Subject": "Cyberweerbaarheid, ondermijning en de agenda voor 2022 in de regio "
        "Rotterdam-Rijnmond",
    }
    for name, value in values.items():
        raw = header_line(name, value)
        assert max(len(line) for line in raw.split(b"\r\n")) <= 78, raw
        parsed = Parser(policy=email_policy.default).parsebytes(raw + b"\r\n")
        if name == "To":
            (address,) = parsed[name].addresses
            assert address.display_name.startswith("Jansen-van der Berg, Pieternella")
            assert address.addr_spec == "p.jansen@gemeente.example.org"
        else:
            assert str(parsed[name]) == value

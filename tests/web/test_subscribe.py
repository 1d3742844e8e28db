"""Sign-up with double opt-in: the form, the mail, the link, and what must not happen."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import FakeClock
from varcomms.audience import find_subscriber, suppress
from varcomms.audience.preferences import unsubscribe
from varcomms.context import Context
from varcomms.store.schema import events, optins
from varcomms.tokens import TokenSigner
from varcomms.web import create_app

from .conftest import add_people, confirmation_path, csrf_of, mails, submit

FORM = {
    "email": "Nieuw.Lid@Dordrecht.example.org",
    "name": "Nieuw Lid",
    "organisation": "Gemeente Dordrecht",
    "org_type": "gemeente",
    "municipality": "Dordrecht",
    "themes": ["ondermijning", "privacy"],
    "consent": "y",
}
ADDRESS = "nieuw.lid@dordrecht.example.org"


def sign_up(client: FlaskClient, **changes: Any) -> Any:
    return submit(client, "/aanmelden", {**FORM, **changes})


def confirm(client: FlaskClient, path: str) -> Any:
    return submit(client, path, {})


def test_only_a_confirmed_address_becomes_subscribed(
    client: FlaskClient, web_ctx: Context, clock: FakeClock
) -> None:
    answer = sign_up(client)
    assert answer.status_code == 303 and answer.headers["Location"] == "/aanmelden/verstuurd"
    assert find_subscriber(web_ctx.store, ADDRESS) is None  # not before confirming
    [mail] = mails(web_ctx)
    assert mail["To"].addresses[0].addr_spec == ADDRESS
    assert str(mail["Subject"]) == "Bevestig uw aanmelding voor de nieuwsbrief"
    path = confirmation_path(mail)
    assert "Beste Nieuw Lid," in mail.get_body(("plain",)).get_content()
    assert "3 februari 2022" in mail.get_body(("plain",)).get_content()  # 48 h, in Dutch

    # Opening the link (as a mail scanner does) confirms nothing.
    page = client.get(path)
    assert page.status_code == 200 and "Bevestig mijn aanmelding" in page.get_data(as_text=True)
    assert find_subscriber(web_ctx.store, ADDRESS) is None

    clock.advance(hours=47)
    done = confirm(client, path)
    assert done.status_code == 200
    assert "Uw aanmelding is bevestigd" in done.get_data(as_text=True)
    record = find_subscriber(web_ctx.store, ADDRESS)
    assert record is not None
    assert (record.status, record.name, record.organisation, record.municipality) == (
        "subscribed",
        "Nieuw Lid",
        "Gemeente Dordrecht",
        "Dordrecht",
    )
    assert record.themes == ("ondermijning", "privacy")
    assert record.consent_source == "website: aanmeldformulier"
    assert record.consent_at == clock.now() and record.confirmed_at == clock.now()
    with web_ctx.store.connect() as db:
        version = db.execute(
            select(events.c.data).where(events.c.type == "confirmed", events.c.email == ADDRESS)
        ).scalar_one()["consent_version"]
        # The request keeps no personal data once confirmed.
        assert db.execute(select(optins.c.data)).scalar_one() == {}
    assert version == web_ctx.config.web.consent_version
    # A second click is harmless.
    assert confirm(client, path).status_code == 200


def test_an_expired_link_confirms_nothing(
    client: FlaskClient, web_ctx: Context, clock: FakeClock
) -> None:
    sign_up(client)
    path = confirmation_path(mails(web_ctx)[0])
    clock.advance(hours=48, seconds=1)
    page = client.get(path)
    assert page.status_code == 410 and "Deze link is verlopen" in page.get_data(as_text=True)
    assert find_subscriber(web_ctx.store, ADDRESS) is None


def test_tampered_and_other_purpose_confirmation_links_are_refused(
    client: FlaskClient, web_ctx: Context, signer: TokenSigner
) -> None:
    sign_up(client)
    path = confirmation_path(mails(web_ctx)[0])
    token = path.rsplit("/", 1)[1]
    payload, signature = token.split(".")
    later = signer.sign("unsubscribe", ADDRESS, ref="1")  # right ref, wrong purpose
    forged = TokenSigner("someone-elses-signing-key-123").sign("confirm", ADDRESS, ref="1")
    for bad in (f"{payload}x.{signature}", later, forged, "x.y"):
        page = client.get(f"/bevestigen/{bad}")
        assert page.status_code == 400, bad
        assert "Deze link werkt niet" in page.get_data(as_text=True)
        html = client.get(path).get_data(as_text=True)  # a real CSRF token
        assert (
            client.post(f"/bevestigen/{bad}", data={"csrf_token": csrf_of(html)}).status_code == 400
        )
    assert find_subscriber(web_ctx.store, ADDRESS) is None


def test_confirming_without_csrf_token_is_refused(client: FlaskClient, web_ctx: Context) -> None:
    sign_up(client)
    path = confirmation_path(mails(web_ctx)[0])
    client.get(path)
    assert client.post(path, data={}).status_code == 400
    assert find_subscriber(web_ctx.store, ADDRESS) is None


def test_a_sign_up_without_csrf_token_is_refused(client: FlaskClient, web_ctx: Context) -> None:
    client.get("/aanmelden")
    response = client.post("/aanmelden", data=FORM)
    assert response.status_code == 400
    assert mails(web_ctx) == []


def _answer(client: FlaskClient, email: str) -> tuple[int, str, str]:
    response = sign_up(client, email=email)
    follow = client.get(response.headers["Location"])
    return response.status_code, response.headers["Location"], follow.get_data(as_text=True)


def test_the_answer_is_identical_for_new_known_and_suppressed_addresses(
    client: FlaskClient, web_ctx: Context, tmp_path: Path
) -> None:
    add_people(
        web_ctx,
        tmp_path,
        {"email": "bekend@example.org", "name": "Bekend"},
        {"email": "weg@example.org", "status": "unsubscribed"},  # on the suppression list
        {"email": "afgemeld@example.org", "name": "Afgemeld"},
        {"email": "klacht@example.org", "name": "Klacht", "status": "complained"},
    )
    unsubscribe(
        web_ctx.store, email="afgemeld@example.org", now=web_ctx.clock.now(), channel="web",
        source="test",
    )  # fmt: skip
    suppress(
        web_ctx.store, "geblokkeerd@example.org", kind="address", reason="bounced",
        source="test", now=web_ctx.clock.now(),
    )  # fmt: skip
    answers = {
        email: _answer(client, email)
        for email in (
            "nieuw@example.org",
            "bekend@example.org",
            "weg@example.org",
            "afgemeld@example.org",
            "geblokkeerd@example.org",
            "klacht@example.org",
        )
    }
    assert len(set(answers.values())) == 1, answers
    # The mailbox owner learns more; suppressed and complained addresses get nothing.
    mailed = sorted(m["To"].addresses[0].addr_spec for m in mails(web_ctx))
    assert mailed == ["afgemeld@example.org", "bekend@example.org", "nieuw@example.org"]


def test_suppression_wins_over_a_confirmation(client: FlaskClient, web_ctx: Context) -> None:
    sign_up(client)
    path = confirmation_path(mails(web_ctx)[0])
    suppress(
        web_ctx.store, "dordrecht.example.org", kind="domain", reason="test", source="test",
        now=web_ctx.clock.now(),
    )  # fmt: skip
    confirm(client, path)
    assert find_subscriber(web_ctx.store, ADDRESS) is None


def test_an_unsubscribed_person_comes_back_only_by_confirming(
    client: FlaskClient, web_ctx: Context, tmp_path: Path
) -> None:
    add_people(web_ctx, tmp_path, {"email": ADDRESS, "name": "Oud"})
    unsubscribe(web_ctx.store, email=ADDRESS, now=web_ctx.clock.now(), channel="web", source="t")
    sign_up(client)
    assert find_subscriber(web_ctx.store, ADDRESS).status == "unsubscribed"  # type: ignore[union-attr]
    confirm(client, confirmation_path(mails(web_ctx)[0]))
    record = find_subscriber(web_ctx.store, ADDRESS)
    assert record is not None and (record.status, record.name) == ("subscribed", "Nieuw Lid")


def test_the_honeypot_sends_nothing_but_answers_the_same(
    client: FlaskClient, web_ctx: Context
) -> None:
    response = sign_up(client, website="http://spam.example")
    assert (response.status_code, response.headers["Location"]) == (303, "/aanmelden/verstuurd")
    assert mails(web_ctx) == []


def test_a_missing_consent_or_bad_address_is_shown_on_the_form(
    client: FlaskClient, web_ctx: Context
) -> None:
    response = sign_up(client, email="geen-adres", consent="")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Dit is geen geldig e-mailadres." in html
    assert "Geef toestemming om u aan te melden." in html
    assert 'aria-invalid="true"' in html
    assert mails(web_ctx) == []


def test_the_rate_limit_per_address_holds_across_processes(app: Flask, web_ctx: Context) -> None:
    # A second app on the same database is another process as far as state goes.
    other = create_app(context=web_ctx, secure_cookies=False)
    limit = web_ctx.config.web.rate_limit_per_address
    codes = [sign_up((app if n % 2 else other).test_client()).status_code for n in range(limit + 2)]
    assert codes == [303] * limit + [429, 429]
    assert len(mails(web_ctx)) == limit


def test_the_rate_limit_per_client_address_holds(client: FlaskClient, web_ctx: Context) -> None:
    limit = web_ctx.config.web.rate_limit_per_ip
    codes = [sign_up(client, email=f"p{n}@example.org").status_code for n in range(limit + 1)]
    assert codes == [303] * limit + [429]
    assert "Te veel aanvragen" in sign_up(client, email="z@example.org").get_data(as_text=True)


def test_the_limit_starts_again_in_the_next_window(
    client: FlaskClient, web_ctx: Context, clock: FakeClock
) -> None:
    limit = web_ctx.config.web.rate_limit_per_address
    for _ in range(limit + 1):
        sign_up(client)
    clock.advance(minutes=web_ctx.config.web.rate_limit_window_minutes)
    assert sign_up(client).status_code == 303


@pytest.mark.parametrize("name", ['<script>alert("x")</script>', "<b>Vet</b> & Co"])
def test_html_in_a_name_is_escaped_in_the_mail_and_on_every_page(
    client: FlaskClient, web_ctx: Context, signer: TokenSigner, name: str
) -> None:
    sign_up(client, name=name, organisation=name)
    [mail] = mails(web_ctx)
    assert f"Beste {name}," in mail.get_body(("plain",)).get_content()
    html_part = mail.get_body(("html",)).get_content()
    assert "<script" not in html_part and "<b>" not in html_part
    assert "&lt;" in html_part
    path = confirmation_path(mail)
    confirmed = confirm(client, path).get_data(as_text=True)
    record = find_subscriber(web_ctx.store, ADDRESS)
    assert record is not None and record.name == name
    token = signer.sign("preferences", ADDRESS, subscriber_id=record.id)
    pages = [confirmed, client.get(f"/voorkeuren/{token}").get_data(as_text=True)]
    for page in pages:
        assert "<script>alert" not in page and "<b>Vet</b>" not in page
    assert "&lt;" in pages[1]


def test_no_address_reaches_the_log(
    client: FlaskClient, web_ctx: Context, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    sign_up(client)
    confirm(client, confirmation_path(mails(web_ctx)[0]))
    assert "dordrecht" not in caplog.text.lower()


def test_a_failing_provider_does_not_change_the_answer(
    client: FlaskClient, web_ctx: Context, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    from varcomms.errors import ProviderError
    from varcomms.web import subscribe

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise ProviderError(f"refused {ADDRESS}", provider="outbox")

    monkeypatch.setattr(subscribe, "send_transactional", refuse)
    response = sign_up(client)
    assert (response.status_code, response.headers["Location"]) == (303, "/aanmelden/verstuurd")
    assert "not sent" in caplog.text and ADDRESS not in caplog.text


def test_expired_requests_are_deleted(
    client: FlaskClient, web_ctx: Context, clock: FakeClock
) -> None:
    sign_up(client)
    clock.advance(hours=49)
    sign_up(client, email="ander@example.org")
    with web_ctx.store.connect() as db:
        assert db.execute(select(optins.c.email)).scalars().all() == ["ander@example.org"]


def test_confirm_page_after_the_request_was_deleted_says_expired(
    client: FlaskClient, web_ctx: Context, clock: FakeClock, signer: TokenSigner
) -> None:
    token = signer.sign("confirm", ADDRESS, ref="777", expires_at=clock.now() + timedelta(hours=1))
    assert submit(client, f"/bevestigen/{token}", {}).status_code == 410

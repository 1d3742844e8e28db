"""Unsubscribe: RFC 8058 one-click POST, the page with one button, and refused tokens."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from varcomms.audience import export_person, find_subscriber, find_suppression, iter_recipients
from varcomms.context import Context
from varcomms.store.schema import events
from varcomms.tokens import TokenSigner

from .conftest import add_people, csrf_of, submit

JAN = {"email": "jan@rotterdam.example.org", "name": "Jan", "themes": "ondermijning"}
PIET = {"email": "piet@schiedam.example.org", "name": "Piet"}


@pytest.fixture
def people(web_ctx: Context, tmp_path: Path) -> dict[str, int]:
    add_people(web_ctx, tmp_path, JAN, PIET)
    return {
        row["email"]: find_subscriber(web_ctx.store, row["email"]).id  # type: ignore[union-attr]
        for row in (JAN, PIET)
    }


def token_for(signer: TokenSigner, people: dict[str, int], email: str = JAN["email"]) -> str:
    return signer.sign("unsubscribe", email, subscriber_id=people[email], edition_id="2022-01")


def status(ctx: Context, email: str) -> str:
    record = find_subscriber(ctx.store, email)
    assert record is not None
    return record.status


def unsubscribe_events(ctx: Context) -> list[dict]:
    with ctx.store.connect() as db:
        rows = db.execute(select(events).where(events.c.type == "unsubscribed")).all()
    return [dict(row._mapping) for row in rows]


def test_one_click_post_unsubscribes_at_once_without_cookie_or_csrf(
    app: Flask, web_ctx: Context, people: dict[str, int], signer: TokenSigner
) -> None:
    client = app.test_client(use_cookies=False)
    token = token_for(signer, people)
    response = client.post(
        f"/afmelden/{token}",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert status(web_ctx, JAN["email"]) == "unsubscribed"
    assert status(web_ctx, PIET["email"]) == "subscribed"  # nobody else
    assert {s.email for s in iter_recipients(web_ctx.store)} == {PIET["email"]}
    # Mail clients may post it again; the answer stays 200 and it is one change.
    again = client.post(f"/afmelden/{token}", data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200
    [event] = unsubscribe_events(web_ctx)
    assert (event["email"], event["provider"], event["edition_id"]) == (
        JAN["email"],
        "web",
        "2022-01",
    )
    assert event["data"]["source"] == "one-click"
    exported = export_person(web_ctx, JAN["email"])
    assert [e["type"] for e in exported["events"]] == ["unsubscribed"]


def test_one_click_as_multipart_form_data_works_too(
    app: Flask, web_ctx: Context, people: dict[str, int], signer: TokenSigner
) -> None:
    # RFC 8058 allows either encoding; Gmail posts multipart/form-data.
    response = app.test_client().post(
        f"/afmelden/{token_for(signer, people)}",
        data={"List-Unsubscribe": "One-Click"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert status(web_ctx, JAN["email"]) == "unsubscribed"


def test_the_page_has_one_button_and_an_optional_reason(
    client: FlaskClient, web_ctx: Context, people: dict[str, int], signer: TokenSigner
) -> None:
    url = f"/afmelden/{token_for(signer, people)}"
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count('type="submit"') == 1
    assert "niet verplicht" in html and "required" not in html.split("<form")[1]
    assert status(web_ctx, JAN["email"]) == "subscribed"  # opening the page changes nothing
    # Without a reason.
    done = client.post(url, data={"csrf_token": csrf_of(html)})
    assert done.status_code == 200 and "U bent afgemeld" in done.get_data(as_text=True)
    assert status(web_ctx, JAN["email"]) == "unsubscribed"
    assert unsubscribe_events(web_ctx)[0]["data"] == {"source": "unsubscribe-page"}


def test_the_reason_is_kept_with_the_event(
    client: FlaskClient, web_ctx: Context, people: dict[str, int], signer: TokenSigner
) -> None:
    url = f"/afmelden/{token_for(signer, people)}"
    submit(client, url, {"reason": "Te veel mail"})
    assert unsubscribe_events(web_ctx)[0]["data"] == {
        "source": "unsubscribe-page",
        "reason": "Te veel mail",
    }


def test_a_form_post_without_csrf_token_is_refused(
    client: FlaskClient, web_ctx: Context, people: dict[str, int], signer: TokenSigner
) -> None:
    url = f"/afmelden/{token_for(signer, people)}"
    client.get(url)  # a session exists, but the token is not sent
    response = client.post(url, data={"reason": "x"})
    assert response.status_code == 400
    assert "Het formulier is verlopen" in response.get_data(as_text=True)
    assert status(web_ctx, JAN["email"]) == "subscribed"
    assert unsubscribe_events(web_ctx) == []


def _bad_tokens(signer: TokenSigner, people: dict[str, int]) -> dict[str, str]:
    good = token_for(signer, people)
    payload, signature = good.split(".")
    other_key = TokenSigner("another-signing-key-0123456789")
    return {
        "tampered": f"{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}",
        "other purpose": signer.sign(
            "preferences", JAN["email"], subscriber_id=people[JAN["email"]]
        ),
        "forged": other_key.sign("unsubscribe", JAN["email"], subscriber_id=people[JAN["email"]]),
        "other person": f"{token_for(signer, people, PIET['email']).split('.')[0]}.{signature}",
        "garbage": "not-a-token",
    }


@pytest.mark.parametrize("kind", ["tampered", "other purpose", "forged", "other person", "garbage"])
def test_bad_tokens_get_a_dutch_error_page_and_change_nothing(
    app: Flask, web_ctx: Context, people: dict[str, int], signer: TokenSigner, kind: str
) -> None:
    token = _bad_tokens(signer, people)[kind]
    client = app.test_client()
    page = client.get(f"/afmelden/{token}")
    assert page.status_code == 400
    assert "Deze link werkt niet" in page.get_data(as_text=True)
    one_click = client.post(f"/afmelden/{token}", data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 400
    assert {status(web_ctx, p["email"]) for p in (JAN, PIET)} == {"subscribed"}
    assert unsubscribe_events(web_ctx) == []


def test_a_test_send_link_for_an_unknown_address_suppresses_it(
    app: Flask, web_ctx: Context, signer: TokenSigner
) -> None:
    token = signer.sign("unsubscribe", "Redactie@Example.org")  # no subscriber record
    response = app.test_client().post(f"/afmelden/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    entry = find_suppression(web_ctx.store, "redactie@example.org")
    assert entry is not None and entry.reason == "unsubscribed"
    assert [e["email"] for e in unsubscribe_events(web_ctx)] == ["redactie@example.org"]


def test_a_link_of_an_erased_person_changes_nobody(
    app: Flask, web_ctx: Context, people: dict[str, int], signer: TokenSigner
) -> None:
    token = signer.sign("unsubscribe", "x@example.org", subscriber_id=9999)
    response = app.test_client().post(f"/afmelden/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200  # nothing to do is still done
    assert {status(web_ctx, p["email"]) for p in (JAN, PIET)} == {"subscribed"}

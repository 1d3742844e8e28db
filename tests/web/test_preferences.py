"""The preference centre: what is held, themes and profile, pause, unsubscribe."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import FakeClock
from varcomms.audience import (
    export_person,
    find_subscriber,
    iter_recipients,
    suppress,
)
from varcomms.audience.preferences import unsubscribe
from varcomms.context import Context
from varcomms.store.schema import events
from varcomms.tokens import TokenSigner

from .conftest import add_people, submit

ANNA = {
    "email": "anna@vlaardingen.example.org",
    "name": "Anna de Vries",
    "organisation": "Gemeente Vlaardingen",
    "org_type": "gemeente",
    "municipality": "Vlaardingen",
    "themes": "ondermijning|privacy",
}
EMAIL = ANNA["email"]


@pytest.fixture
def url(web_ctx: Context, tmp_path: Path, signer: TokenSigner) -> str:
    add_people(web_ctx, tmp_path, ANNA, {"email": "ander@example.org", "themes": "privacy"})
    record = find_subscriber(web_ctx.store, EMAIL)
    assert record is not None
    return f"/voorkeuren/{signer.sign('preferences', EMAIL, subscriber_id=record.id)}"


def form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": ANNA["name"],
        "organisation": ANNA["organisation"],
        "org_type": "gemeente",
        "municipality": "Vlaardingen",
        "themes": ["ondermijning", "privacy"],
    }
    data.update(changes)
    return data


def test_the_page_shows_what_is_held_and_links_the_privacy_statement(
    client: FlaskClient, web_ctx: Context, url: str
) -> None:
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for shown in (EMAIL, "Anna de Vries", "Gemeente Vlaardingen", "Ondermijning", "aangemeld"):
        assert shown in html
    assert web_ctx.config.urls.privacy_statement in html
    # The stored themes are ticked, the others not.
    assert 'checked id="themes-1" name="themes" type="checkbox" value="ondermijning"' in html
    assert 'value="mensenhandel"' in html and 'checked id="themes-2"' not in html
    # All 25 municipalities are offered, the stored one selected.
    assert html.count("<option") >= 25 + 1 + 7
    assert '<option selected value="Vlaardingen">' in html
    assert page.headers["Cache-Control"] == "no-store"


def test_changing_themes_and_profile_is_stored_with_an_event(
    client: FlaskClient, web_ctx: Context, url: str
) -> None:
    response = submit(
        client,
        url,
        form(themes=["verward-gedrag"], name="Anna Jansen", municipality="Schiedam"),
    )
    assert response.status_code == 303
    assert "opgeslagen" in client.get(response.headers["Location"]).get_data(as_text=True)
    record = find_subscriber(web_ctx.store, EMAIL)
    assert record is not None
    assert (record.themes, record.name, record.first_name, record.municipality) == (
        ("verward-gedrag",),
        "Anna Jansen",
        "Anna",
        "Schiedam",
    )
    assert record.status == "subscribed"
    [event] = export_person(web_ctx, EMAIL)["events"]
    assert event["type"] == "preferences"
    assert event["data"] == {
        "source": "preference-centre",
        "changed": ["name", "municipality", "themes"],
        "themes": ["verward-gedrag"],
    }
    # The next send's audience carries the new themes.
    [anna] = [s for s in iter_recipients(web_ctx.store) if s.email == EMAIL]
    assert anna.themes == frozenset({"verward-gedrag"})


def test_saving_unchanged_values_records_nothing(
    client: FlaskClient, web_ctx: Context, url: str
) -> None:
    submit(client, url, form())
    assert export_person(web_ctx, EMAIL)["events"] == []


def test_unknown_themes_and_municipalities_are_refused(
    client: FlaskClient, web_ctx: Context, url: str
) -> None:
    for bad in (form(themes=["bestaat-niet"]), form(municipality="Amsterdam")):
        assert submit(client, url, bad).status_code == 400
    assert find_subscriber(web_ctx.store, EMAIL).themes == ("ondermijning", "privacy")  # type: ignore[union-attr]


def test_a_post_without_csrf_token_is_refused(
    client: FlaskClient, web_ctx: Context, url: str
) -> None:
    client.get(url)
    assert client.post(url, data=form(themes=[])).status_code == 400
    assert client.post(f"{url}/afmelden", data={}).status_code == 400
    assert client.post(f"{url}/pauze", data={"months": "3"}).status_code == 400
    record = find_subscriber(web_ctx.store, EMAIL)
    assert record is not None and record.status == "subscribed" and record.themes


def test_choosing_themes_after_unsubscribing_does_not_resubscribe(
    client: FlaskClient, web_ctx: Context, url: str
) -> None:
    unsubscribe(web_ctx.store, email=EMAIL, now=web_ctx.clock.now(), channel="web", source="t")
    html = client.get(url).get_data(as_text=True)
    assert "u heeft zich afgemeld" in html
    submit(client, url, form(themes=["mensenhandel"]))
    record = find_subscriber(web_ctx.store, EMAIL)
    assert record is not None and (record.status, record.themes) == (
        "unsubscribed",
        ("mensenhandel",),
    )
    assert EMAIL not in {s.email for s in iter_recipients(web_ctx.store)}


def test_suppression_wins_over_preferences(client: FlaskClient, web_ctx: Context, url: str) -> None:
    suppress(
        web_ctx.store, EMAIL, kind="address", reason="complained", source="t",
        now=web_ctx.clock.now(),
    )  # fmt: skip
    assert "U ontvangt de nieuwsbrief nu niet" in client.get(url).get_data(as_text=True)
    submit(client, url, form(themes=["privacy"]))
    assert EMAIL not in {s.email for s in iter_recipients(web_ctx.store)}


def test_unsubscribing_from_the_preference_centre(
    client: FlaskClient, web_ctx: Context, url: str
) -> None:
    response = submit(client, f"{url}/afmelden", {"reason": ""}, page=url)
    assert response.status_code == 200 and "U bent afgemeld" in response.get_data(as_text=True)
    assert find_subscriber(web_ctx.store, EMAIL).status == "unsubscribed"  # type: ignore[union-attr]
    with web_ctx.store.connect() as db:
        sources = db.execute(select(events.c.data)).scalars().all()
    assert sources == [{"source": "preference-centre"}]


def test_a_pause_keeps_the_newsletter_away_until_it_ends(
    client: FlaskClient, web_ctx: Context, url: str, clock: FakeClock
) -> None:
    response = submit(client, f"{url}/pauze", {"months": "3"}, page=url)
    assert response.status_code == 303
    html = client.get(url).get_data(as_text=True)
    assert "gepauzeerd tot" in html

    def receives(now: datetime) -> bool:
        return EMAIL in {s.email for s in iter_recipients(web_ctx.store, now=now)}

    # The pause is judged on the caller's clock (a send on a shifted clock sees its own
    # moment), not the machine's.
    assert not receives(clock.now())
    assert not receives(clock.now() + timedelta(days=80))
    assert receives(clock.now() + timedelta(days=100))  # three months have passed
    [event] = export_person(web_ctx, EMAIL)["events"]
    assert event["type"] == "paused" and event["data"]["until"]
    submit(client, f"{url}/pauze", {"months": "0"}, page=url)  # "geen pauze" ends it
    assert receives(clock.now())


def test_bad_and_orphaned_links_get_a_dutch_page(
    client: FlaskClient, web_ctx: Context, url: str, signer: TokenSigner
) -> None:
    token = url.rsplit("/", 1)[1]
    unsubscribe_token = signer.sign("unsubscribe", EMAIL, subscriber_id=1)
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), unsubscribe_token):
        page = client.get(f"/voorkeuren/{bad}")
        assert page.status_code == 400 and "Deze link werkt niet" in page.get_data(as_text=True)
    gone = signer.sign("preferences", "x@example.org", subscriber_id=4242)
    page = client.get(f"/voorkeuren/{gone}")
    assert page.status_code == 404
    assert "Wij hebben geen gegevens over u" in page.get_data(as_text=True)


def test_clearing_the_name_clears_the_greeting_name_too(
    client: FlaskClient, web_ctx: Context, url: str
) -> None:
    submit(client, url, form(name=""))
    record = find_subscriber(web_ctx.store, EMAIL)
    assert record is not None and (record.name, record.first_name) == (None, None)

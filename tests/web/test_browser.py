"""The subscriber pages in a real browser: Playwright driving Debian's Chromium against
the app served by waitress on loopback.

One walk through a reader's whole life: sign up → the confirmation mail in the outbox →
open its link → confirm → preference centre: choose a theme → the next send gives them
the themed variant → one-click unsubscribe → the next send skips them. And the
unsubscribe page with the keyboard only. Screenshots of every page at 1280 and 375 px
are kept under test-artifacts/web/.
"""

from __future__ import annotations

import re
import shutil
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import ROOT
from varcomms.audience import export_person, find_subscriber
from varcomms.context import Context
from varcomms.delivery import send_edition
from varcomms.editions import approve
from varcomms.render.colours import contrast
from varcomms.render.screenshots import CHROMIUM, browser
from varcomms.report import edition_report
from varcomms.store.schema import deliveries
from varcomms.tokens import TokenSigner

from .conftest import add_people, confirmation_path, mails

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (apt-get install chromium)"
    ),
]
ARTIFACTS = ROOT / "test-artifacts" / "web"
WIDTHS = (1280, 375)
EMAIL = "lezer@capelle.example.org"
THEME = "verward-gedrag"
THEMED_SECTION = "thema-verward-gedrag"


def shoot(page: Any, name: str) -> None:
    """Screenshots at desktop and phone width; the page never scrolls sideways."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        scroll, client = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll <= client, f"{name} is {scroll}px wide at {width}px"
    page.set_viewport_size({"width": 1280, "height": 900})


def _rgb(css: str) -> tuple[int, int, int]:
    numbers = [int(float(n)) for n in re.findall(r"[\d.]+", css)[:3]]
    return (numbers[0], numbers[1], numbers[2])


def check_accessible(page: Any) -> None:
    """Every form control has a label; logos have alt text; buttons are readable (AA)."""
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
            .filter(e => !['hidden', 'submit'].includes(e.type))
            .filter(e => !e.closest('[aria-hidden="true"]'))
            .filter(e => !(e.labels && e.labels.length))
            .map(e => e.name)"""
    )
    assert unlabelled == []
    assert page.evaluate("[...document.images].every(i => i.alt && i.complete)")
    for button in page.query_selector_all(".button"):
        colour, background = button.evaluate(
            "b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]"
        )
        assert contrast(_rgb(colour), _rgb(background)) >= 4.5
    assert page.evaluate("document.documentElement.lang") == "nl"


def editions(ctx: Context, tmp_path: Path) -> Context:
    """Two approved editions (the sample and a copy) in tmp, to send one after the other."""
    folder = tmp_path / "newsletters"
    shutil.copytree(ROOT / "newsletters" / "2022-01", folder / "2022-01")
    shutil.copytree(ROOT / "newsletters" / "2022-01", folder / "2022-02")
    yaml_path = folder / "2022-02" / "edition.yaml"
    text = yaml_path.read_text(encoding="utf-8")
    yaml_path.write_text(
        text.replace("id: 2022-01", "id: 2022-02").replace("number: 1", "number: 2"),
        encoding="utf-8",
    )
    paths = ctx.config.paths.model_copy(update={"newsletters": folder})
    ctx.config = ctx.config.model_copy(update={"paths": paths})
    for edition in ("2022-01", "2022-02"):
        approve(ctx, edition, "var", "Redactie VAR")
        approve(ctx, edition, "riec", "Redactie RIEC")
    return ctx


def ledger(ctx: Context, edition: str) -> dict[str, str]:
    with ctx.store.connect() as db:
        rows = db.execute(
            select(deliveries.c.email, deliveries.c.variant).where(
                deliveries.c.edition_id == edition
            )
        ).all()
    return {row.email: row.variant for row in rows}


def test_a_readers_whole_life_in_the_browser(
    web_ctx: Context, live_server: str, tmp_path: Path
) -> None:
    ctx = editions(web_ctx, tmp_path)
    add_people(ctx, tmp_path, {"email": "collega@example.org", "themes": THEME})
    with browser() as chromium:
        page = chromium.new_page()
        page.goto(f"{live_server}/aanmelden")
        check_accessible(page)
        shoot(page, "aanmelden")
        page.get_by_label("E-mailadres").fill(EMAIL)
        page.get_by_label("Naam").fill("Lieke <b>Lezer</b>")
        page.get_by_label("Organisatie", exact=True).fill("Gemeente Capelle")
        page.get_by_label("Soort organisatie").select_option("gemeente")
        page.get_by_label("Gemeente", exact=True).select_option("Capelle aan den IJssel")
        page.get_by_label("Ondermijning").check()
        page.get_by_label("Ik ga akkoord").check()
        page.get_by_role("button", name="Aanmelden").click()
        page.wait_for_url("**/aanmelden/verstuurd")
        assert "Kijk in uw mailbox" in page.content()
        shoot(page, "aanmelden-verstuurd")

        [mail] = mails(ctx)
        page.goto(live_server + confirmation_path(mail))
        check_accessible(page)
        shoot(page, "bevestigen")
        assert find_subscriber(ctx.store, EMAIL) is None
        page.get_by_role("button", name="Bevestig mijn aanmelding").click()
        page.get_by_role("heading", name="Uw aanmelding is bevestigd").wait_for()
        shoot(page, "bevestigd")
        record = find_subscriber(ctx.store, EMAIL)
        assert record is not None and record.status == "subscribed"
        assert record.themes == ("ondermijning",)

        page.get_by_role("link", name="Mijn voorkeuren bekijken").click()
        page.get_by_role("heading", name="Mijn voorkeuren").wait_for()
        assert "Lieke &lt;b&gt;Lezer&lt;/b&gt;" in page.content()  # shown, not markup
        check_accessible(page)
        shoot(page, "voorkeuren")
        page.get_by_label("Ondermijning").uncheck()
        page.get_by_label("Personen met verward gedrag").check()
        page.get_by_role("button", name="Voorkeuren opslaan").click()
        page.get_by_text("Uw voorkeuren zijn opgeslagen.").wait_for()
        shoot(page, "voorkeuren-opgeslagen")

        # The next send: the themed variant, because of the new choice.
        send_edition(ctx, "2022-01")
        sent = ledger(ctx, "2022-01")
        assert sent[EMAIL] == THEMED_SECTION
        message = next(m for m in mails(ctx, "2022-01") if m["To"].addresses[0].addr_spec == EMAIL)
        # One-click, as a mail client does it: no cookie, no CSRF token.
        one_click = re.findall(r"<(https://[^>]+)>", message["List-Unsubscribe"])[0]
        path = "/" + one_click.split("/", 3)[3]
        request = urllib.request.Request(
            live_server + path, data=b"List-Unsubscribe=One-Click", method="POST"
        )
        with urllib.request.urlopen(request) as response:
            assert response.status == 200
        assert find_subscriber(ctx.store, EMAIL).status == "unsubscribed"  # type: ignore[union-attr]
        # The edition's report counts the unsubscribe (the link names the edition).
        assert edition_report(ctx, "2022-01").totals.unsubscribed == 1

        send_edition(ctx, "2022-02")
        assert set(ledger(ctx, "2022-02")) == {"collega@example.org"}

        page.goto(live_server + path)  # the page a person sees, already unsubscribed
        shoot(page, "afmelden")
        page.goto(f"{live_server}/voorkeuren/niet-geldig.tokenwaarde")
        assert "Deze link werkt niet" in page.content()
        shoot(page, "fout")


def test_the_unsubscribe_page_with_the_keyboard_only(
    web_ctx: Context, live_server: str, tmp_path: Path
) -> None:
    add_people(web_ctx, tmp_path, {"email": EMAIL, "name": "Toetsenbord"})
    record = find_subscriber(web_ctx.store, EMAIL)
    assert record is not None
    signer = TokenSigner.from_secrets(web_ctx.secrets)
    token = signer.sign("unsubscribe", EMAIL, subscriber_id=record.id, edition_id="2022-01")
    with browser() as chromium:
        page = chromium.new_page()
        page.goto(f"{live_server}/afmelden/{token}")
        check_accessible(page)
        focused: list[str] = []
        for _ in range(12):
            page.keyboard.press("Tab")
            info = page.evaluate(
                """() => { const e = document.activeElement, s = getComputedStyle(e);
                    return [e.tagName + (e.type ? ':' + e.type : ''), s.outlineStyle,
                            s.outlineWidth, e.textContent.trim() || e.value]; }"""
            )
            focused.append(info[0])
            # Focus is visible: a solid outline of at least 2 px on every stop.
            assert info[1] == "solid" and float(info[2].rstrip("px")) >= 2, info
            if info[0].startswith("TEXTAREA"):
                page.keyboard.type("Te vaak")
            if info[0] == "INPUT:submit":
                shoot(page, "afmelden-toetsenbord")
                page.keyboard.press("Enter")
                break
        assert "TEXTAREA:textarea" in focused and focused[-1] == "INPUT:submit"
        page.get_by_role("heading", name="U bent afgemeld").wait_for()
        shoot(page, "afgemeld")
    record = find_subscriber(web_ctx.store, EMAIL)
    assert record is not None and record.status == "unsubscribed"
    [event] = export_person(web_ctx, EMAIL)["events"]
    assert event["data"] == {"source": "unsubscribe-page", "reason": "Te vaak"}

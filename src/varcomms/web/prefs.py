"""The preference centre, reached by the signed preferences link in every newsletter.

It shows what is held about the reader, and lets them choose themes, correct their
profile, pause the newsletter or unsubscribe. Every change goes through
:mod:`varcomms.audience.preferences`, which never changes a status by accident.
"""

from __future__ import annotations

from datetime import datetime

from dateutil.relativedelta import relativedelta
from flask import Blueprint, Response, redirect, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from varcomms.audience import preferences, subscribers
from varcomms.audience.preferences import ProfileChange
from varcomms.audience.suppression import find_suppression
from varcomms.render.dates import long_date
from varcomms.tokens import TokenError

from .forms import PauseForm, PreferencesForm, UnsubscribeForm, fill_choices
from .pages import error_page, page
from .state import web

Answer = tuple[str, int] | Response | WerkzeugResponse


def _subscriber(token: str) -> subscribers.SubscriberRecord | tuple[str, int]:
    state = web()
    try:
        claims = state.signer.verify("preferences", token, now=state.ctx.clock.now())
    except TokenError:
        return error_page("invalid", 400)
    record = None
    if claims.subscriber_id is not None:
        record = preferences.subscriber_by_id(state.ctx.store, claims.subscriber_id)
    elif claims.email is not None:
        record = subscribers.find_subscriber(state.ctx.store, claims.email)
    if record is None:
        return error_page("unknown", 404)
    return record


def _pause_choices(form: PauseForm) -> None:
    form.months.choices = [(0, "Geen pauze")] + [
        (n, f"{n} maand" if n == 1 else f"{n} maanden") for n in web().ctx.config.web.pause_months
    ]


def _render(token: str, record: subscribers.SubscriberRecord, form: PreferencesForm,
            status: int = 200) -> tuple[str, int]:  # fmt: skip
    state = web()
    tz = state.ctx.config.tz
    pause_form = PauseForm(formdata=None)
    _pause_choices(pause_form)
    until = preferences.paused_until(state.ctx.store, record.id)
    now = state.ctx.clock.now()
    paused = long_date(until, tz) if until and until > now else None
    suppressed = find_suppression(state.ctx.store, record.email) is not None
    return page(
        "preferences.html",
        status,
        token=token,
        record=record,
        form=form,
        pause_form=pause_form,
        unsubscribe_form=UnsubscribeForm(formdata=None),
        paused=paused,
        suppressed=suppressed,
        saved=request.args.get("opgeslagen"),
        dates={
            name: long_date(value, tz) if value else None
            for name, value in (
                ("consent_at", record.consent_at),
                ("confirmed_at", record.confirmed_at),
                ("created_at", record.created_at),
            )
        },
        theme_labels=state.ctx.config.theme_labels,
    )


def show(token: str) -> Answer:
    record = _subscriber(token)
    if isinstance(record, tuple):
        return record
    form = PreferencesForm(
        formdata=None,
        data={
            "name": record.name or "",
            "organisation": record.organisation or "",
            "org_type": record.org_type,
            "municipality": record.municipality or "",
            "themes": list(record.themes),
        },
    )
    fill_choices(form, web().ctx.config)
    return _render(token, record, form)


def save(token: str) -> Answer:
    record = _subscriber(token)
    if isinstance(record, tuple):
        return record
    form = PreferencesForm()
    state = web()
    fill_choices(form, state.ctx.config)
    if not form.validate():
        return _render(token, record, form, 400)
    preferences.update_preferences(
        state.ctx.store,
        record.id,
        ProfileChange(
            themes=frozenset(form.themes.data or ()),
            name=form.name.data or "",
            organisation=form.organisation.data or "",
            org_type=form.org_type.data or "",
            municipality=form.municipality.data or "",
        ),
        now=state.ctx.clock.now(),
        known_themes=state.ctx.config.theme_labels,
    )
    return redirect(url_for("preferences.show", token=token, opgeslagen="gegevens"), 303)


def pause(token: str) -> Answer:
    record = _subscriber(token)
    if isinstance(record, tuple):
        return record
    form = PauseForm()
    _pause_choices(form)
    if not form.validate():
        return error_page("csrf", 400)
    state = web()
    now = state.ctx.clock.now()
    until: datetime | None = (
        now + relativedelta(months=form.months.data) if form.months.data else None
    )
    preferences.pause(state.ctx.store, record.id, until, now=now)
    return redirect(url_for("preferences.show", token=token, opgeslagen="pauze"), 303)


def leave(token: str) -> Answer:
    record = _subscriber(token)
    if isinstance(record, tuple):
        return record
    form = UnsubscribeForm()
    if not form.validate():
        return error_page("csrf", 400)
    state = web()
    preferences.unsubscribe(
        state.ctx.store,
        subscriber_id=record.id,
        now=state.ctx.clock.now(),
        channel="web",
        source="preference-centre",
        reason=(form.reason.data or "").strip() or None,
    )
    return page("unsubscribed.html")


def blueprint(path: str) -> Blueprint:
    """The routes under ``path`` (from the configured URL base)."""
    bp = Blueprint("preferences", __name__)
    bp.add_url_rule(f"{path}/<token>", "show", show, methods=["GET"])
    bp.add_url_rule(f"{path}/<token>", "save", save, methods=["POST"])
    bp.add_url_rule(f"{path}/<token>/pauze", "pause", pause, methods=["POST"])
    bp.add_url_rule(f"{path}/<token>/afmelden", "leave", leave, methods=["POST"])
    return bp

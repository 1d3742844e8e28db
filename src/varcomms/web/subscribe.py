"""Sign-up with double opt-in: the form, the confirmation mail, the confirmation link.

The answer to the form is the same page whatever the address is (new, known,
unsubscribed, suppressed), so the form does not reveal who is on the list; only the
mailbox's owner learns more, from the mail. The confirmation link opens a page with one
button rather than confirming on GET: mail scanners of many organisations open every
link in a message, and must not sign anyone up.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Blueprint, Response, redirect, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from varcomms.audience.optin import OptinExpiredError, confirm_optin, request_optin
from varcomms.delivery.transactional import send_transactional
from varcomms.errors import NotFoundError, VarcommsError
from varcomms.tokens import TokenClaims, TokenError, TokenExpiredError

from .confirmation import confirmation_mail
from .forms import ConfirmForm, SubscribeForm, fill_choices
from .pages import error_page, page
from .state import WebState, web

log = logging.getLogger(__name__)

SOURCE = "website: aanmeldformulier"
Answer = tuple[str, int] | Response | WerkzeugResponse


def clean(value: str | None) -> str:
    """One line of text: no control characters (they could reach a mail header)."""
    return " ".join("".join(c if c.isprintable() else " " for c in value or "").split())


def form_page() -> Answer:
    form = SubscribeForm()
    fill_choices(form, web().ctx.config)
    if request.method != "POST":
        return page("subscribe.html", form=form)
    state = web()
    if not form.validate():
        return page("subscribe.html", 400, form=form)
    if form.website.data:
        return redirect(url_for("subscribe.sent"), 303)  # a bot: answer as usual, do nothing
    now = state.ctx.clock.now()
    settings = state.ctx.config.web
    client = request.remote_addr or "unknown"
    if not state.limiter.hit("ip", client, limit=settings.rate_limit_per_ip, now=now):
        return error_page("rate", 429)
    email = form.normalised_email
    if not state.limiter.hit("address", email, limit=settings.rate_limit_per_address, now=now):
        return error_page("rate", 429)
    data = {
        "name": clean(form.name.data),
        "organisation": clean(form.organisation.data),
        "org_type": form.org_type.data or "other",
        "municipality": form.municipality.data or "",
        "themes": sorted(set(form.themes.data or ())),
    }
    expires_at = now + timedelta(hours=settings.optin_expiry_hours)
    optin = request_optin(
        state.ctx.store,
        email,
        data,
        consent_version=settings.consent_version,
        source=SOURCE,
        now=now,
        expires_at=expires_at,
        key=state.erasure,
    )
    if optin is not None:
        _mail(state, optin.id, email, str(data["name"]) or None, expires_at)
    return redirect(url_for("subscribe.sent"), 303)


def _mail(
    state: WebState, optin_id: int, email: str, name: str | None, expires_at: datetime
) -> None:
    token = state.signer.sign("confirm", email, ref=str(optin_id), expires_at=expires_at)
    link = f"{state.public_url}{url_for('subscribe.confirm', token=token)}"
    brands = " en het ".join(brand.name for brand in state.ctx.config.brands.values())
    mail = confirmation_mail(
        to=email, name=name, link=link, expires_at=expires_at, tz=state.ctx.config.tz,
        brand_names=brands,
    )  # fmt: skip
    try:
        send_transactional(state.ctx, mail)
    except VarcommsError as err:
        # The answer page stays the same (it must not differ per address); the
        # operator sees the failure, without the address.
        log.error(
            "confirmation mail for sign-up request %s not sent: %s", optin_id, type(err).__name__
        )


def sent() -> Answer:
    return page("subscribe_sent.html", hours=web().ctx.config.web.optin_expiry_hours)


def _claims(token: str) -> TokenClaims | Answer:
    state = web()
    try:
        claims = state.signer.verify("confirm", token, now=state.ctx.clock.now())
    except TokenExpiredError:
        return error_page("expired", 410)
    except TokenError:
        return error_page("invalid", 400)
    if claims.ref is None or not claims.ref.isdigit():
        return error_page("invalid", 400)
    return claims


def confirm(token: str) -> Answer:
    claims = _claims(token)
    if not isinstance(claims, TokenClaims):
        return claims
    form = ConfirmForm()
    if request.method != "POST":
        return page("confirm.html", form=form)
    if not form.validate():
        return error_page("csrf", 400)
    state = web()
    try:
        result = confirm_optin(
            state.ctx.store, int(claims.ref or 0), now=state.ctx.clock.now(), key=state.erasure
        )
    except OptinExpiredError:
        return error_page("expired", 410)
    except NotFoundError:
        return error_page("expired", 410)
    preferences_url = None
    if result.subscriber_id is not None:
        preferences_token = state.signer.sign(
            "preferences", result.email, subscriber_id=result.subscriber_id
        )
        preferences_url = url_for("preferences.show", token=preferences_token)
    return page("confirmed.html", preferences_url=preferences_url)


def blueprint() -> Blueprint:
    bp = Blueprint("subscribe", __name__)
    bp.add_url_rule("/aanmelden", "form", form_page, methods=["GET", "POST"])
    bp.add_url_rule("/aanmelden/verstuurd", "sent", sent, methods=["GET"])
    bp.add_url_rule("/bevestigen/<token>", "confirm", confirm, methods=["GET", "POST"])
    return bp

"""Regression tests for the send path's findings (delivery.md D1–D4, D7, D12, D17; C1, C2, C5).

`responses` stands in for the network at requests' transport; the loop, the ledger and
the providers above it are the real code.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
import requests
import responses
from sqlalchemy import select

from tests.delivery.conftest import make_variant, people, with_settings
from tests.delivery.test_http_providers import (
    BREVO_URL,
    MAILGUN_URL,
    POSTMARK_URL,
    SENDGRID_URL,
    form_fields,
    json_body,
)
from varcomms.clock import FakeClock
from varcomms.config import load_secrets
from varcomms.context import Context
from varcomms.delivery import deliver
from varcomms.delivery.ledger import Ledger
from varcomms.delivery.providers import make_provider
from varcomms.errors import ConfigError, ProviderError
from varcomms.store.schema import deliveries

VARIANTS = {"algemeen": make_variant("algemeen", paragraphs=2)}
BAD = "persoon417@gemeente4.nl"
OK = {"id": "<20220201.1@mg>", "message": "Queued. Thank you."}


@pytest.fixture
def ctx(ctx: Context) -> Context:
    return with_settings(ctx, provider__name="mailgun")


def rows(ctx: Context) -> Counter[tuple[str, bool]]:
    """(state, in flight) per ledger row."""
    with ctx.store.connect() as db:
        found = db.execute(select(deliveries.c.state, deliveries.c.batch)).all()
    return Counter((r.state, r.state == "pending" and r.batch is not None) for r in found)


def mailgun_recipients(request: requests.PreparedRequest) -> list[str]:
    return [value for name, value in form_fields(request) if name == "to"]


# -- D1: one refused address fails alone --------------------------------------------------


@responses.activate
def test_one_bad_address_in_a_batch_of_1000_fails_alone_on_mailgun(ctx: Context) -> None:
    accepted: Counter[str] = Counter()

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        batch = mailgun_recipients(request)
        if any(BAD in address for address in batch):
            body = {"message": "to parameter is not a valid address. please check documentation"}
            return 400, {}, json.dumps(body)
        accepted.update(batch)
        return 200, {}, json.dumps(OK)

    responses.add_callback(responses.POST, MAILGUN_URL, callback=answer)
    report = deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(1000))
    assert (report.sent, report.failed) == (999, 1)
    assert report.failures == [
        (BAD, "HTTP 400: to parameter is not a valid address. please check documentation")
    ]
    assert max(accepted.values()) == 1 and len(accepted) == 999
    # Bisection: about two requests per halving, not one per recipient.
    assert len(responses.calls) <= 1 + 2 * 10
    assert rows(ctx) == Counter({("sent", False): 999, ("failed", False): 1})


@responses.activate
def test_sendgrid_names_the_refused_personalization_and_the_batch_is_split(
    ctx: Context,
) -> None:
    with_settings(ctx, provider__name="sendgrid")

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        for index, p in enumerate(body["personalizations"]):
            if p["to"][0]["email"] == BAD:
                error = {
                    "message": "Does not contain a valid address.",
                    "field": f"personalizations.{index}.to.0.email",
                }
                return 400, {}, json.dumps({"errors": [error]})
        return 202, {"X-Message-Id": "sg-1"}, ""

    responses.add_callback(responses.POST, SENDGRID_URL, callback=answer)
    report = deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(600))
    assert (report.sent, report.failed) == (599, 1)
    assert report.failures[0] == (BAD, "HTTP 400: Does not contain a valid address.")


# -- D2: configuration errors pause before anyone is failed ---------------------------------


@pytest.mark.parametrize(
    ("status", "body", "hint"),
    [
        (404, {"message": "Domain not found: mg.wrong.example"}, "provider.mailgun.domain"),
        (401, {"message": "Invalid private key"}, "VARCOMMS_MAILGUN_API_KEY"),
        (400, {"message": "from parameter is not a valid address"}, "sender"),
    ],
)
@responses.activate
def test_a_configuration_error_pauses_with_everyone_pending_and_resume_works(
    ctx: Context, status: int, body: dict[str, str], hint: str
) -> None:
    with_settings(ctx, provider__mailgun__batch_size=100)
    responses.post(MAILGUN_URL, status=status, json=body)
    with pytest.raises(ProviderError) as info:
        deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(300))
    assert hint in (info.value.hint or "")
    assert info.value.report.status == "paused"  # type: ignore[attr-defined]
    assert len(responses.calls) <= 2  # stopped at once (one more may have been in flight)
    assert set(rows(ctx)) == {("pending", False)}
    assert Ledger(ctx.store, ctx.clock).latest_send("2022-02").status == "paused"  # type: ignore[union-attr]
    # The configuration is fixed: --resume sends everyone, once.
    responses.replace(responses.POST, MAILGUN_URL, json=OK)
    report = deliver(
        ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(300), resume=True
    )
    assert (report.sent, report.failed, report.status) == (300, 0, "finished")


@responses.activate
def test_an_unresolvable_base_url_is_a_configuration_error(ctx: Context) -> None:
    from urllib3.exceptions import MaxRetryError, NameResolutionError

    cause = NameResolutionError("api.wrong.example", None, OSError("no such host"))  # type: ignore[arg-type]
    responses.post(
        MAILGUN_URL,
        body=requests.exceptions.ConnectionError(MaxRetryError(None, MAILGUN_URL, cause)),  # type: ignore[arg-type]
    )
    with pytest.raises(ProviderError, match="cannot resolve"):
        deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(3))
    assert set(rows(ctx)) == {("pending", False)}


# -- C1: one home for retries --------------------------------------------------------------


@responses.activate
def test_a_batch_that_always_gets_503_is_sent_exactly_max_retries_plus_one_times(
    ctx: Context, clock: FakeClock
) -> None:
    with_settings(ctx, delivery__max_retries=3)
    responses.post(MAILGUN_URL, status=503, body="Service Unavailable")
    report = deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(2))
    assert len(responses.calls) == 4
    assert (report.sent, report.deferred, report.status) == (0, 2, "incomplete")
    assert rows(ctx) == Counter({("pending", False): 2})  # sendable on --resume
    assert len([s for s in clock.slept if s >= 0.5]) == 3  # one back-off between tries


# -- D4: only a request on the wire makes a row in flight ----------------------------------


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after it runs."""


class KillDuringBackoff(FakeClock):
    def sleep(self, seconds: float) -> None:
        if seconds >= 30:
            raise Killed


@responses.activate
def test_a_kill_during_a_back_off_holds_nobody(ctx: Context, clock: FakeClock) -> None:
    ctx.clock = KillDuringBackoff(clock.now())
    with_settings(ctx, provider__mailgun__batch_size=100)
    responses.post(MAILGUN_URL, status=429, headers={"Retry-After": "30"}, json={"message": "slow"})
    with pytest.raises(Killed):
        deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(100))
    # The provider refused the batch; during the wait it is pending, not in flight.
    assert rows(ctx) == Counter({("pending", False): 100})
    ctx.clock = clock
    responses.replace(responses.POST, MAILGUN_URL, json=OK)
    report = deliver(
        ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(100), resume=True
    )
    assert (report.sent, report.uncertain) == (100, 0)


# -- D7: a 5xx after the body went out is ambiguous ----------------------------------------


@pytest.mark.parametrize("status", [500, 502, 504])
@responses.activate
def test_a_5xx_after_sending_is_uncertain_and_never_blindly_retried(
    ctx: Context, status: int
) -> None:
    responses.post(MAILGUN_URL, status=status, body="Bad Gateway")
    responses.post(MAILGUN_URL, json=OK)
    report = deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(5))
    assert len(responses.calls) == 1
    assert (report.sent, report.uncertain, report.status) == (0, 5, "held")


@responses.activate
def test_brevo_re_posts_a_5xx_under_the_same_idempotency_key(ctx: Context) -> None:
    with_settings(ctx, provider__name="brevo", provider__brevo__batch_size=1)
    responses.post(BREVO_URL, status=502, body="Bad Gateway")
    responses.post(BREVO_URL, status=201, json={"messageId": "<1@brevo>"})
    report = deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(1))
    assert (report.sent, report.uncertain) == (1, 0)
    keys = {json_body(c)["headers"]["idempotencyKey"] for c in responses.calls}
    assert len(responses.calls) == 2 and len(keys) == 1


# -- C5, F8: secrets come from the declared name, and never show ---------------------------


@responses.activate
def test_the_auth_hint_names_the_providers_declared_secret(ctx: Context) -> None:
    with_settings(ctx, provider__name="postmark")
    responses.post(POSTMARK_URL, status=401, json={"ErrorCode": 10, "Message": "Bad token"})
    with pytest.raises(ProviderError) as info:
        deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(1))
    assert "VARCOMMS_POSTMARK_SERVER_TOKEN" in (info.value.hint or "")


@pytest.mark.parametrize(
    ("name", "variable"),
    [
        ("sendgrid", "VARCOMMS_SENDGRID_API_KEY"),
        ("postmark", "VARCOMMS_POSTMARK_SERVER_TOKEN"),
        ("brevo", "VARCOMMS_BREVO_API_KEY"),
        ("mailgun", "VARCOMMS_MAILGUN_API_KEY"),
    ],
)
def test_a_key_with_a_line_break_is_refused_at_load_without_showing_it(
    ctx: Context, name: str, variable: str
) -> None:
    secret = "SECRET-KEY-123"
    ctx.secrets = load_secrets({"VARCOMMS_SIGNING_KEY": "x" * 32, variable: secret + "\r\n"})
    with pytest.raises(ConfigError) as info:
        make_provider(ctx, name)
    shown = f"{info.value} {info.value.hint} {info.value!r}"
    assert variable in shown and secret not in shown


# -- D12, D17: timeout and rate in the provider's own terms --------------------------------


def test_the_read_timeout_is_configurable(ctx: Context) -> None:
    with_settings(ctx, provider__mailgun__read_timeout=15.0)
    assert make_provider(ctx).timeout == (10.0, 15.0)  # type: ignore[attr-defined]


@responses.activate
def test_a_batch_api_is_limited_in_requests_with_its_documented_default(
    ctx: Context, clock: FakeClock
) -> None:
    with_settings(ctx, delivery__rate_per_second=None)
    responses.post(MAILGUN_URL, json=OK)
    report = deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(3000))
    assert report.sent == 3000 and len(responses.calls) == 3
    # Three requests at 10 a second: a fraction of a second, not 3,000 / 50 = 60 s.
    assert sum(clock.slept) < 1.0

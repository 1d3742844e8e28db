"""HTTP providers: exact requests, batch splitting, documented answers, the OpenAPI specs.

`responses` replaces the network at one seam (requests' transport); everything above it
— payloads, retries, ledger — is the real code.
"""

from __future__ import annotations

import json
import random
from email import policy
from email.parser import BytesParser
from typing import Any

import pytest
import requests
import responses
from sqlalchemy import select

from tests.delivery.conftest import make_variant, people, with_settings
from tests.delivery.specs import (
    mailgun_form_as_object,
    mailgun_messages_validator,
    sendgrid_mail_send_validator,
)
from varcomms.clock import FakeClock
from varcomms.context import Context
from varcomms.delivery import deliver
from varcomms.delivery.providers import make_provider
from varcomms.errors import ConfigError, ProviderError
from varcomms.store.schema import deliveries

VARIANTS = {"algemeen": make_variant("algemeen", paragraphs=3)}
MAILGUN_URL = "https://api.eu.mailgun.net/v3/mg.veiligheidsalliantie.nl/messages"
SENDGRID_URL = "https://api.sendgrid.com/v3/mail/send"
POSTMARK_URL = "https://api.postmarkapp.com/email/batch"
BREVO_URL = "https://api.brevo.com/v3/smtp/email"


@pytest.fixture
def ctx(ctx: Context) -> Context:
    """Mailgun unless a test says otherwise."""
    return with_settings(ctx, provider__name="mailgun")


def form_fields(request: requests.PreparedRequest) -> list[tuple[str, str]]:
    """The (name, value) pairs of a multipart/form-data request body, in order."""
    body = request.body if isinstance(request.body, bytes) else str(request.body).encode()
    head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    message = BytesParser(policy=policy.default).parsebytes(head + body)
    fields = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        fields.append((str(name), part.get_payload(decode=True).decode("utf-8")))
    return fields


def json_body(call: Any) -> Any:
    return json.loads(call.request.body)


def states(ctx: Context) -> dict[str, str]:
    with ctx.store.connect() as db:
        return {
            r.email: r.state for r in db.execute(select(deliveries.c.email, deliveries.c.state))
        }


# -- Mailgun ----------------------------------------------------------------------------


@responses.activate
def test_mailgun_batches_recipient_variables_and_headers(ctx: Context) -> None:
    responses.post(
        MAILGUN_URL,
        json={"id": "<20220201.1@mg.veiligheidsalliantie.nl>", "message": "Queued. Thank you."},
    )
    with_settings(ctx, provider__mailgun__batch_size=40)
    recipients = people(90)
    report = deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=recipients)
    assert report.sent == 90
    calls = responses.calls
    # Two workers: the batches may come back in any order.
    assert sorted(
        len(json.loads(dict(form_fields(c.request))["recipient-variables"])) for c in calls
    ) == [10, 40, 40]
    first = next(
        c.request for c in calls if "persoon1@gemeente1.nl" in str(c.request.body, "utf-8")
    )
    assert first.url == MAILGUN_URL
    assert first.headers["Authorization"].startswith("Basic ")  # api:key
    fields = dict(form_fields(first))
    assert fields["h:List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert fields["h:List-Unsubscribe"] == "%recipient.list_unsubscribe%"
    assert fields["v:varcomms-send"] == report.send_id
    assert "%recipient.greeting_name_html%" in fields["html"]
    assert "%recipient.unsubscribe_url%" in fields["text"]
    assert "%%VARCOMMS" not in fields["html"] + fields["text"]
    variables = json.loads(fields["recipient-variables"])
    addresses = [value for name, value in form_fields(first) if name == "to"]
    assert len(addresses) == 40 and set(variables) == {r.email for r in recipients[:40]}
    one = variables["persoon1@gemeente1.nl"]
    assert one["greeting_name"] == "Voornaam1"
    assert one["list_unsubscribe"].startswith(
        "<https://nieuwsbrief.veiligheidsalliantie.nl/afmelden/"
    )
    assert one["message_id"].endswith("@veiligheidsalliantie.nl>")
    assert set(states(ctx).values()) == {"sent"}


@responses.activate
def test_mailgun_request_matches_the_openapi_description(ctx: Context) -> None:
    validator = mailgun_messages_validator()
    responses.post(MAILGUN_URL, json={"id": "<x@mg>", "message": "Queued. Thank you."})
    deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(5))
    form = mailgun_form_as_object(form_fields(responses.calls[0].request))
    validator.validate(form)
    assert len(form["to"]) == 5
    # And the check has teeth: a form without "from", or with one "to" string, is invalid.
    assert not validator.is_valid({k: v for k, v in form.items() if k != "from"})
    assert not validator.is_valid({**form, "to": ", ".join(form["to"])})


@responses.activate
def test_a_400_for_every_recipient_fails_each_alone_with_the_reason(ctx: Context) -> None:
    responses.post(
        MAILGUN_URL, status=400, json={"message": "'to' parameter is not a valid address"}
    )
    report = deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(3))
    assert report.failed == 3
    assert report.failures[0][1] == "HTTP 400: 'to' parameter is not a valid address"


@responses.activate
def test_refused_api_key_stops_the_send_and_leaves_rows_sendable(ctx: Context) -> None:
    responses.post(MAILGUN_URL, status=401, body="Forbidden")
    with pytest.raises(ProviderError, match="API key was refused"):
        deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(3))
    with ctx.store.connect() as db:
        rows = db.execute(select(deliveries.c.state, deliveries.c.batch)).all()
    assert {(r.state, r.batch) for r in rows} == {("pending", None)}


def test_missing_api_key_is_reported_before_anything(ctx: Context) -> None:
    from varcomms.config import load_secrets

    ctx.secrets = load_secrets({"VARCOMMS_SIGNING_KEY": "x" * 20})
    with pytest.raises(ConfigError, match="VARCOMMS_MAILGUN_API_KEY"):
        make_provider(ctx)


def test_unknown_provider_is_a_config_error(ctx: Context) -> None:
    with pytest.raises(ConfigError, match="unknown provider 'mailchimp'"):
        make_provider(ctx, "mailchimp")


@responses.activate
def test_retry_after_and_backoff_are_honoured(ctx: Context, clock: FakeClock) -> None:
    responses.post(
        MAILGUN_URL, status=429, headers={"Retry-After": "7"}, json={"message": "slow down"}
    )
    responses.post(MAILGUN_URL, status=503, body="unavailable")
    responses.post(MAILGUN_URL, json={"id": "<ok@mg>", "message": "Queued. Thank you."})
    report = deliver(
        ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(4), rng=random.Random(1)
    )
    assert report.sent == 4 and len(responses.calls) == 3
    assert clock.slept[0] >= 7.0  # the server's wish beats our shorter backoff
    assert 1.0 <= clock.slept[1] <= 2.0  # second backoff: 2 s ceiling, equal jitter


@responses.activate
def test_a_run_of_failed_batches_pauses_the_send(ctx: Context) -> None:
    with_settings(ctx, delivery__max_retries=0, delivery__pause_after_failures=2)
    with_settings(ctx, provider__mailgun__batch_size=5)
    responses.post(MAILGUN_URL, status=500, json={"message": "Internal Server Error"})
    report = deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(50))
    assert report.paused and report.status == "paused"
    assert "2 batches in a row" in (report.pause_reason or "")
    # It stopped instead of burning through the ten batches (one more may be in flight
    # with two workers).
    assert len(responses.calls) <= 3
    assert report.sent == 0
    assert "sent" not in states(ctx).values()


# -- SendGrid ---------------------------------------------------------------------------


@responses.activate
def test_sendgrid_personalizations_and_openapi(ctx: Context) -> None:
    with_settings(ctx, provider__name="sendgrid", provider__sendgrid__batch_size=3)
    responses.post(SENDGRID_URL, status=202, headers={"X-Message-Id": "sg-abc"})
    report = deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(7))
    assert report.sent == 7
    # Two workers: the batches may come back in any order.
    assert sorted(len(json_body(c)["personalizations"]) for c in responses.calls) == [1, 3, 3]
    call = next(
        c
        for c in responses.calls
        if json_body(c)["personalizations"][0]["to"][0]["email"] == "persoon0@gemeente0.nl"
    )
    assert call.request.headers["Authorization"] == "Bearer SG.test"
    body = json_body(call)
    sendgrid_mail_send_validator().validate(body)
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    first = body["personalizations"][0]
    assert first["to"] == [{"email": "persoon0@gemeente0.nl"}]
    assert first["headers"]["List-Unsubscribe"].startswith("<https://")
    assert first["substitutions"]["-varcomms-greeting_name-text-"] == "lezer"
    assert body["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert first["custom_args"]["varcomms_send"] == report.send_id
    with ctx.store.connect() as db:
        ids = {r[0] for r in db.execute(select(deliveries.c.provider_message_id))}
    assert ids == {"sg-abc"}


@responses.activate
def test_sendgrid_error_body_is_read(ctx: Context) -> None:
    with_settings(ctx, provider__name="sendgrid")
    responses.post(
        SENDGRID_URL,
        status=400,
        json={
            "errors": [
                {
                    "message": "The from email does not contain a valid address.",
                    "field": "from.email",
                }
            ]
        },
    )
    # About the sender, not a recipient: the send pauses, nobody is marked failed.
    with pytest.raises(ProviderError, match="The from email does not contain") as info:
        deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(2))
    assert info.value.report.status == "paused"  # type: ignore[attr-defined]
    assert set(states(ctx).values()) == {"pending"}


# -- Postmark ---------------------------------------------------------------------------


@responses.activate
def test_postmark_batch_with_per_message_errors_in_a_200(ctx: Context) -> None:
    with_settings(ctx, provider__name="postmark")

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        results = []
        for entry in json.loads(request.body):
            if "persoon1@" in entry["To"]:
                results.append(
                    {
                        "ErrorCode": 406,
                        "Message": "You tried to send to a recipient "
                        "that has been marked as inactive.",
                    }
                )
            else:
                results.append(
                    {
                        "ErrorCode": 0,
                        "Message": "OK",
                        "MessageID": f"pm-{entry['To']}",
                        "SubmittedAt": "2022-02-01T09:00:00Z",
                        "To": entry["To"],
                    }
                )
        return 200, {}, json.dumps(results)

    responses.add_callback(responses.POST, POSTMARK_URL, callback=answer)
    report = deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(4))
    assert (report.sent, report.failed) == (3, 1)
    assert report.failures[0][0] == "persoon1@gemeente1.nl"
    assert "406" in report.failures[0][1] and "inactive" in report.failures[0][1]
    call = responses.calls[0]
    assert call.request.headers["X-Postmark-Server-Token"] == "pm-test-token"
    body = json_body(call)
    entry = body[0]
    assert entry["MessageStream"] == "broadcast"
    assert entry["Metadata"]["varcomms_send"] == report.send_id
    assert {h["Name"] for h in entry["Headers"]} >= {"List-Unsubscribe", "List-Unsubscribe-Post"}
    assert "Beste lezer," in entry["TextBody"] and "%%VARCOMMS" not in entry["HtmlBody"]
    # Each message carries only its own recipient.
    assert all(e["To"].count("@") == 1 for e in body)
    assert states(ctx)["persoon1@gemeente1.nl"] == "failed"


def test_postmark_batch_shrinks_for_large_bodies(ctx: Context) -> None:
    with_settings(ctx, provider__name="postmark")
    from varcomms.delivery.send import prepare_variant

    provider = make_provider(ctx)
    big = make_variant(paragraphs=1500)  # ~1 MB of HTML
    variant = prepare_variant(ctx, big, send_id="s", is_test=False)
    assert provider.batch_size == 500
    size = provider.batch_size_for(variant)
    assert 1 <= size < 500
    assert size * (len(big.html.encode()) + len(big.text.encode())) <= 45 * 1024 * 1024


# -- Brevo ------------------------------------------------------------------------------


@responses.activate
def test_brevo_single_messages_with_idempotency_key(ctx: Context) -> None:
    with_settings(ctx, provider__name="brevo", provider__brevo__batch_size=1)
    responses.post(
        BREVO_URL, status=201, json={"messageId": "<202202010900.1@smtp-relay.mailin.fr>"}
    )
    report = deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(3))
    assert report.sent == 3 and len(responses.calls) == 3
    bodies = [json_body(c) for c in responses.calls]
    assert responses.calls[0].request.headers["api-key"] == "xkeysib-test"
    keys = [b["headers"]["idempotencyKey"] for b in bodies]
    assert len(set(keys)) == 3
    # Two workers: the calls may come in any order.
    (body,) = [b for b in bodies if b["to"] == [{"email": "persoon0@gemeente0.nl"}]]
    assert body["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert body["headers"]["List-Unsubscribe"].startswith("<https://")
    assert "messageVersions" not in body and "Beste lezer," in body["textContent"]


@responses.activate
def test_brevo_retries_a_timeout_under_the_same_key(ctx: Context) -> None:
    with_settings(ctx, provider__name="brevo", provider__brevo__batch_size=1)
    responses.post(BREVO_URL, body=requests.exceptions.ReadTimeout("read timed out"))
    responses.post(BREVO_URL, status=201, json={"messageId": "<1@brevo>"})
    report = deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(1))
    assert report.sent == 1 and report.uncertain == 0
    keys = {json_body(c)["headers"]["idempotencyKey"] for c in responses.calls if c.request.body}
    assert len(keys) == 1


@responses.activate
def test_mailgun_timeout_is_uncertain_not_retried(ctx: Context) -> None:
    responses.post(MAILGUN_URL, body=requests.exceptions.ReadTimeout("read timed out"))
    report = deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(2))
    assert report.uncertain == 2 and report.sent == 0
    assert len(responses.calls) == 1
    assert set(states(ctx).values()) == {"uncertain"}


def test_brevo_message_versions_cannot_carry_personal_headers(ctx: Context) -> None:
    with_settings(ctx, provider__name="brevo", provider__brevo__batch_size=1000)
    with pytest.raises(ProviderError, match="per-recipient headers") as info:
        deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(2))
    assert "batch_size = 1" in (info.value.hint or "")
    with ctx.store.connect() as db:
        assert db.execute(select(deliveries)).first() is None


def test_brevo_message_versions_payload(ctx: Context) -> None:
    with_settings(ctx, provider__name="brevo", provider__brevo__batch_size=1000)
    from varcomms.delivery.personalise import Personaliser
    from varcomms.delivery.providers import Batch
    from varcomms.delivery.send import prepare_variant
    from varcomms.tokens import TokenSigner

    provider = make_provider(ctx)
    personaliser = Personaliser(ctx.config, TokenSigner.from_secrets(ctx.secrets), "2022-02")
    messages = [personaliser.message(r, r.email, "algemeen") for r in people(3)]
    variant = prepare_variant(ctx, VARIANTS["algemeen"], send_id="s1", is_test=False)
    body = provider.payload(Batch(1, "s1", "2022-02", variant, messages))  # type: ignore[attr-defined]
    assert [v["to"][0]["email"] for v in body["messageVersions"]] == [m.email for m in messages]
    assert "{{ params.greeting_name_html }}" in body["htmlContent"]
    assert body["messageVersions"][0]["params"]["greeting_name"] == "lezer"


@responses.activate
def test_a_refused_connection_is_retried_because_nothing_was_sent(ctx: Context) -> None:
    from urllib3.exceptions import MaxRetryError, NewConnectionError

    # As requests raises it: the urllib3 cause is read by type, never from the text.
    cause = NewConnectionError(None, "Failed to establish a new connection")  # type: ignore[arg-type]
    refused = requests.exceptions.ConnectionError(MaxRetryError(None, MAILGUN_URL, cause))  # type: ignore[arg-type]
    responses.post(MAILGUN_URL, body=refused)
    responses.post(MAILGUN_URL, json={"id": "<ok@mg>", "message": "Queued. Thank you."})
    report = deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(2))
    assert (report.sent, report.uncertain) == (2, 0)


def test_server_wait_reads_retry_after_and_reset_headers() -> None:
    from varcomms.delivery.providers.http import server_wait

    now = 1_643_702_400.0  # 2022-02-01 08:00 UTC

    def answer(**headers: str) -> requests.Response:
        response = requests.Response()
        response.status_code = 429
        response.headers.update(headers)
        return response

    assert server_wait(answer(**{"Retry-After": "12"}), now) == 12
    assert server_wait(answer(**{"Retry-After": "Tue, 01 Feb 2022 08:00:30 GMT"}), now) == 30
    assert server_wait(answer(**{"X-RateLimit-Reset": str(int(now) + 45)}), now) == 45
    assert server_wait(answer(**{"x-sib-ratelimit-reset": "5"}), now) == 5
    assert server_wait(answer(), now) is None
    assert server_wait(answer(**{"Retry-After": "86400"}), now) == 900  # capped at 15 minutes

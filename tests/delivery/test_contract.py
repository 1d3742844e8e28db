"""Every provider, outbox and SMTP included, against the same contract (contract.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
import requests
import responses
from aiosmtpd.controller import Controller

from tests.delivery.conftest import with_settings
from tests.delivery.contract import ProviderContract
from tests.delivery.fake_mailgun import form_value, recipient_variables
from tests.delivery.smtp_sink import Sink, free_port
from varcomms.context import Context
from varcomms.delivery.providers import memory

MAILGUN = "https://api.eu.mailgun.net/v3/mg.veiligheidsalliantie.nl"
SENDGRID_URL = "https://api.sendgrid.com/v3/mail/send"
POSTMARK_URL = "https://api.postmarkapp.com/email/batch"
BREVO_URL = "https://api.brevo.com/v3/smtp/email"
HTTP_FAULTS = frozenset({"rate_limited", "server_error", "timeout"})
FAULT_ANSWERS: dict[str, Any] = {
    "rate_limited": (429, {"Retry-After": "1"}, json.dumps({"message": "Too many requests"})),
    "server_error": (502, {}, "Bad Gateway"),
}


class HttpContract(ProviderContract):
    """Shared by the HTTP providers: a ``responses`` callback with a refusal and faults."""

    url: ClassVar[str]
    faults = HTTP_FAULTS

    @pytest.fixture
    def fake(self, ctx: Context) -> Iterator[Context]:
        self.refused: set[str] = set()
        self.failing: str | None = None
        self.taken: list[str] = []
        with_settings(ctx, provider__name=self.name)
        with_settings(ctx, **{f"provider__{self.name}__batch_size": self.batch_limit()})
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            mock.add_callback(responses.POST, self.url, callback=self.answer)
            self.extra_endpoints(mock)
            yield ctx

    def batch_limit(self) -> int:
        return self.batch

    def extra_endpoints(self, mock: responses.RequestsMock) -> None:
        pass

    def refuse(self, address: str) -> None:
        self.refused.add(address)

    def fault(self, kind: str) -> None:
        self.failing = kind

    def accepted(self) -> list[str]:
        return self.taken

    def answer(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        if self.failing == "timeout":
            raise requests.exceptions.ReadTimeout("read timed out")
        if self.failing:
            return FAULT_ANSWERS[self.failing]
        return self.accept(request)

    def accept(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        raise NotImplementedError


class TestMailgun(HttpContract):
    name = "mailgun"
    url = f"{MAILGUN}/messages"

    def accept(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = request.body if isinstance(request.body, bytes) else b""
        variables = recipient_variables(body)
        if self.refused & set(variables):
            return 400, {}, json.dumps({"message": "to parameter is not a valid address"})
        self.taken.extend(variables)
        self.edition = form_value(body, "v:varcomms-edition")
        return 200, {}, json.dumps({"id": "<1@mg>", "message": "Queued. Thank you."})

    def extra_endpoints(self, mock: responses.RequestsMock) -> None:
        def events(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
            recipient = request.params["recipient"]  # type: ignore[attr-defined]
            items = [
                {
                    "event": "accepted",
                    "recipient": recipient,
                    "user-variables": {"varcomms-edition": self.edition},
                }
                for address in self.taken
                if address == recipient
            ]
            return 200, {}, json.dumps({"items": items})

        mock.add_callback(responses.GET, f"{MAILGUN}/events", callback=events)


class TestSendgrid(HttpContract):
    name = "sendgrid"
    url = SENDGRID_URL

    def accept(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body or b"{}")
        addresses = [p["to"][0]["email"] for p in body["personalizations"]]
        for index, address in enumerate(addresses):
            if address in self.refused:
                error = {
                    "message": "Does not contain a valid address.",
                    "field": f"personalizations.{index}.to.0.email",
                }
                return 400, {}, json.dumps({"errors": [error]})
        self.taken.extend(addresses)
        return 202, {"X-Message-Id": "sg-1"}, ""


class TestPostmark(HttpContract):
    name = "postmark"
    url = POSTMARK_URL

    def accept(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        results = []
        for entry in json.loads(request.body or b"[]"):
            address = entry["To"].rsplit("<", 1)[-1].rstrip(">")
            if address in self.refused:
                results.append({"ErrorCode": 300, "Message": "Invalid 'To' address."})
            else:
                self.taken.append(address)
                results.append({"ErrorCode": 0, "Message": "OK", "MessageID": f"pm-{address}"})
        return 200, {}, json.dumps(results)


class TestBrevo(HttpContract):
    name = "brevo"
    url = BREVO_URL

    def batch_limit(self) -> int:
        return 1  # one personal message per call (its List-Unsubscribe header)

    def accept(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body or b"{}")
        address = body["to"][0]["email"]
        if address in self.refused:
            return (
                400,
                {},
                json.dumps({"code": "invalid_parameter", "message": "email is not valid in to"}),
            )
        self.taken.append(address)
        return 201, {}, json.dumps({"messageId": f"<{address}@brevo>"})


class RefusingSink(Sink):
    def __init__(self) -> None:
        super().__init__()
        self.refused: set[str] = set()
        self.failing: str | None = None

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.failing == "rate_limited":
            return "451 4.7.1 Too many messages, slow down"
        if address in self.refused:
            return "550 5.1.1 mailbox unavailable"
        return await super().handle_RCPT(server, session, envelope, address, options)


class TestSmtp(ProviderContract):
    name = "smtp"
    faults = frozenset({"rate_limited"})

    @pytest.fixture
    def fake(self, ctx: Context) -> Iterator[Context]:
        self.sink = RefusingSink()
        controller = Controller(self.sink, hostname="127.0.0.1", port=free_port())
        controller.start()
        with_settings(ctx, provider__name="smtp", provider__smtp__host="127.0.0.1")
        with_settings(ctx, provider__smtp__port=controller.port, provider__smtp__security="none")
        yield ctx
        controller.stop()

    def refuse(self, address: str) -> None:
        self.sink.refused.add(address)

    def fault(self, kind: str) -> None:
        self.sink.failing = kind

    def accepted(self) -> list[str]:
        return [r.recipients[0] for r in self.sink.received]


class TestOutbox(ProviderContract):
    name = "outbox"
    can_refuse = False  # a folder takes every message

    @pytest.fixture
    def fake(self, ctx: Context) -> Iterator[Context]:
        self.ctx = ctx
        yield with_settings(ctx, provider__name="outbox")

    def accepted(self) -> list[str]:
        from varcomms.delivery.providers.outbox import read_index

        folder = self.ctx.config.resolve(self.ctx.config.provider.outbox.directory) / "2022-02"
        return [entry["to"] for entry in read_index(folder)]


class TestMemory(ProviderContract):
    name = "memory"
    can_refuse = False  # refusals are given per instance; make_provider gives none

    @pytest.fixture
    def fake(self, ctx: Context) -> Iterator[Context]:
        memory.mailbox.clear()
        yield with_settings(ctx, provider__name="memory")
        memory.mailbox.clear()

    def accepted(self) -> list[str]:
        return [m.email for m in memory.mailbox]

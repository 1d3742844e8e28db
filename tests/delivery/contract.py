"""The provider contract: what every provider must do, checked the same way for each.

Like django-anymail's shared backend tests: a provider's test module subclasses
:class:`ProviderContract` and fills in how to point the provider at its fake (``responses``
for the HTTP APIs, a real aiosmtpd server for SMTP, the disk for the outbox) and how to
make that fake refuse an address or answer with a fault. The tests run the real send
path (``deliver``) above the fake.

The contract:
- exactly one outcome per message, and one message per accepted recipient;
- the provider declares its name, settings model, secret and limits, and ``check()``
  refuses what it cannot do before anything leaves;
- batches never exceed the declared limit;
- ``reconcile()`` confirms messages it accepted (when it declares it can);
- a 429 (or its equivalent) is retried, a 5xx after sending is never blindly retried
  (unless the provider is idempotent), a timeout is never a silent loss, and one bad
  recipient fails alone.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from typing import ClassVar

import pytest
from sqlalchemy import select

from tests.delivery.conftest import make_variant, people
from varcomms.config import ProviderSettings
from varcomms.context import Context
from varcomms.delivery import deliver
from varcomms.delivery.ledger import Ledger
from varcomms.delivery.providers import (
    REGISTRY,
    Batch,
    Capabilities,
    Message,
    OutcomeStatus,
    Requirements,
    provider_class,
)
from varcomms.delivery.send import prepare_variant
from varcomms.errors import ProviderError
from varcomms.store.schema import deliveries

VARIANTS = {"algemeen": make_variant("algemeen", paragraphs=2)}
BAD = "persoon5@gemeente5.nl"


class ProviderContract:
    name: ClassVar[str]
    # Faults this provider's fake can produce: "rate_limited", "server_error", "timeout".
    faults: ClassVar[frozenset[str]] = frozenset()
    can_refuse: ClassVar[bool] = True
    batch: ClassVar[int] = 7  # a small batch size, so tests cross batch boundaries

    # -- what a subclass fills in --------------------------------------------------------

    @pytest.fixture
    def fake(self, ctx: Context) -> Iterator[Context]:
        """Point ``ctx`` at this provider's fake (and start it)."""
        raise NotImplementedError

    def refuse(self, address: str) -> None:
        """Make the fake refuse this one address."""
        raise NotImplementedError

    def fault(self, kind: str) -> None:
        """Make the fake answer every request with this fault."""
        raise NotImplementedError

    def accepted(self) -> list[str]:
        """Every recipient the fake accepted, once per accepted message."""
        raise NotImplementedError

    # -- the contract --------------------------------------------------------------------

    def states(self, ctx: Context) -> Counter[str]:
        with ctx.store.connect() as db:
            return Counter(r.state for r in db.execute(select(deliveries.c.state)))

    def test_declares_itself_in_one_place(self, fake: Context) -> None:
        cls = provider_class(self.name)
        assert cls.name == self.name and self.name in REGISTRY
        assert self.name in ProviderSettings.model_fields["name"].annotation.__args__  # type: ignore[union-attr]
        if cls.settings_model is not None:
            assert isinstance(getattr(fake.config.provider, self.name), cls.settings_model)
        provider = cls(fake)
        assert 1 <= provider.batch_size <= cls.capabilities.max_batch
        assert provider.effective_capabilities.rate_unit in ("messages", "requests")

    def test_exactly_one_outcome_and_one_message_per_recipient(self, fake: Context) -> None:
        recipients = people(3 * self.batch + 2)
        report = deliver(fake, edition_id="2022-02", variants=VARIANTS, recipients=recipients)
        assert (report.sent, report.failed, report.uncertain) == (len(recipients), 0, 0)
        assert Counter(self.accepted()) == Counter(r.email for r in recipients)
        assert self.states(fake) == Counter({"sent": len(recipients)})

    def test_check_refuses_what_it_cannot_do_before_anything_leaves(self, fake: Context) -> None:
        cls = provider_class(self.name)
        cls(fake).check(Requirements())  # what a newsletter needs
        narrowed = Capabilities(max_batch=1, per_recipient_headers=False)
        lacking = type("Lacking", (cls,), {"effective_capabilities": property(lambda _: narrowed)})
        with pytest.raises(ProviderError, match="per-recipient headers"):
            lacking(fake).check(Requirements())
        assert self.accepted() == []

    def test_a_batch_over_the_limit_is_refused_and_batches_respect_it(self, fake: Context) -> None:
        provider = provider_class(self.name)(fake)
        variant = prepare_variant(fake, VARIANTS["algemeen"], send_id="s", is_test=False)
        too_many = [
            Message(f"k{n}", f"a{n}@example.org", f"a{n}@example.org", None, f"<{n}@x>", {}, [])
            for n in range(provider.batch_size + 1)
        ]
        with pytest.raises(ProviderError, match="exceeds the limit"):
            provider.send(Batch(1, "s", "2022-02", variant, too_many))

    def test_reconcile_confirms_what_it_accepted(self, fake: Context) -> None:
        provider = provider_class(self.name)(fake)
        if not provider.effective_capabilities.reconcile:
            pytest.skip(f"{self.name} cannot tell after a crash (declared)")
        deliver(fake, edition_id="2022-02", variants=VARIANTS, recipients=people(3))
        send = Ledger(fake.store, fake.clock).latest_send("2022-02")
        assert send is not None
        with fake.store.connect() as db:
            ids = [r.id for r in db.execute(select(deliveries.c.id))]
        rows = Ledger(fake.store, fake.clock)._rows(deliveries.c.id.in_(ids))
        answers = provider.reconcile([row for _, row in rows]) or {}
        # Accepted: confirmed, or (idempotent) safe to post again under the same key.
        allowed = {OutcomeStatus.SENT}
        if provider.effective_capabilities.idempotency:
            allowed.add(OutcomeStatus.RETRY)
        assert {answers[row.key].status for _, row in rows} <= allowed
        assert len(answers) == len(rows)

    def test_one_bad_recipient_fails_alone(self, fake: Context) -> None:
        if not self.can_refuse:
            pytest.skip(f"{self.name} never refuses an address")
        self.refuse(BAD)
        recipients = people(2 * self.batch)
        report = deliver(fake, edition_id="2022-02", variants=VARIANTS, recipients=recipients)
        assert (report.sent, report.failed) == (len(recipients) - 1, 1)
        assert report.failures[0][0] == BAD and report.failures[0][1]
        assert BAD not in self.accepted() and len(self.accepted()) == len(recipients) - 1

    def test_rate_limited_is_retried_and_never_failed(self, fake: Context) -> None:
        self._fault_leaves(fake, "rate_limited", {"pending"})

    def test_a_server_error_after_sending_is_never_blindly_retried(self, fake: Context) -> None:
        idempotent = provider_class(self.name)(fake).effective_capabilities.idempotency
        self._fault_leaves(fake, "server_error", {"pending"} if idempotent else {"uncertain"})

    def test_a_timeout_is_never_a_silent_loss(self, fake: Context) -> None:
        idempotent = provider_class(self.name)(fake).effective_capabilities.idempotency
        self._fault_leaves(fake, "timeout", {"pending"} if idempotent else {"uncertain"})

    def _fault_leaves(self, ctx: Context, kind: str, expected: set[str]) -> None:
        if kind not in self.faults:
            pytest.skip(f"{self.name}'s fake has no {kind}")
        self.fault(kind)
        report = deliver(
            ctx,
            edition_id="2022-02",
            variants=VARIANTS,
            recipients=people(2),
            rng=random.Random(1),
        )
        assert report.sent == 0 and report.failed == 0
        assert set(self.states(ctx)) == expected

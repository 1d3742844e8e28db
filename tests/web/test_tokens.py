"""The token additions the web app needs: the confirm purpose, a reference, an expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from varcomms.tokens import TokenError, TokenExpiredError, TokenSigner

NOW = datetime(2022, 2, 1, 8, 0, tzinfo=UTC)


def test_a_confirm_token_names_its_request_and_expires() -> None:
    signer = TokenSigner("k" * 32)
    token = signer.sign("confirm", "a@example.org", ref="12", expires_at=NOW + timedelta(hours=48))
    claims = signer.verify("confirm", token, now=NOW + timedelta(hours=47))
    assert (claims.ref, claims.subscriber_id, claims.email) == ("12", None, None)
    assert claims.expires_at == NOW + timedelta(hours=48)
    assert "a@example.org" not in token
    with pytest.raises(TokenExpiredError):
        signer.verify("confirm", token, now=NOW + timedelta(hours=48, seconds=1))


def test_purposes_do_not_mix() -> None:
    signer = TokenSigner("k" * 32)
    token = signer.sign("confirm", "a@example.org", ref="12", expires_at=NOW)
    for purpose in ("unsubscribe", "preferences"):
        with pytest.raises(TokenError):
            signer.verify(purpose, token, now=NOW)  # type: ignore[arg-type]


def test_newsletter_tokens_never_expire() -> None:
    signer = TokenSigner("k" * 32)
    token = signer.sign("unsubscribe", "a@example.org", subscriber_id=3, edition_id="2022-01")
    claims = signer.verify("unsubscribe", token, now=NOW + timedelta(days=3650))
    assert claims.expires_at is None and claims.subscriber_id == 3

"""Signed unsubscribe and preference tokens."""

from __future__ import annotations

import base64

import pytest

from varcomms.config import load_secrets
from varcomms.errors import ConfigError, VarcommsError
from varcomms.tokens import TokenError, TokenSigner

KEY = "a-signing-key-of-enough-length"


def test_round_trip_carries_subscriber_and_edition_but_not_the_address() -> None:
    signer = TokenSigner(KEY)
    token = signer.sign("unsubscribe", " Jan@Gemeente.NL ", subscriber_id=42, edition_id="2022-02")
    claims = signer.verify("unsubscribe", token)
    assert (claims.subscriber_id, claims.email, claims.edition_id) == (42, None, "2022-02")
    payload = base64.urlsafe_b64decode(token.split(".")[0] + "==").decode()
    assert "jan" not in payload.lower() and "gemeente" not in payload.lower()


def test_without_a_subscriber_record_the_token_carries_the_address() -> None:
    signer = TokenSigner(KEY)
    claims = signer.verify("unsubscribe", signer.sign("unsubscribe", " Jan@Gemeente.NL "))
    assert (claims.subscriber_id, claims.email) == (None, "jan@gemeente.nl")


def test_tampering_another_key_or_purpose_is_refused() -> None:
    signer = TokenSigner(KEY)
    token = signer.sign("unsubscribe", "jan@gemeente.nl")
    with pytest.raises(TokenError):
        signer.verify("unsubscribe", token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    with pytest.raises(TokenError):
        TokenSigner(KEY + "-other").verify("unsubscribe", token)
    with pytest.raises(TokenError):
        signer.verify("preferences", token)  # an unsubscribe token is not a preferences token
    with pytest.raises(TokenError):
        signer.verify("unsubscribe", "not-a-token")


def test_key_comes_from_the_environment_and_must_be_long() -> None:
    with pytest.raises(ConfigError, match="VARCOMMS_SIGNING_KEY"):
        TokenSigner.from_secrets(load_secrets({}))
    signer = TokenSigner.from_secrets(load_secrets({"VARCOMMS_SIGNING_KEY": KEY}))
    assert signer.verify("preferences", signer.sign("preferences", "a@b.nl")).email == "a@b.nl"
    with pytest.raises(VarcommsError, match="too short"):
        TokenSigner("short")

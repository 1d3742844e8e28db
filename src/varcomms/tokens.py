"""Signed tokens for the links in every message: unsubscribe and preferences.

A token names a subscriber by address (and id when known) and says what it is for; it is
signed with HMAC-SHA256 under the secret ``VARCOMMS_SIGNING_KEY``, so nobody can make a
link for someone else's address and no guessable id appears in a URL. Tokens do not
expire: an unsubscribe link in a two-year-old newsletter must still work (the law and the
big mailbox providers expect that). The web app verifies them with :meth:`TokenSigner.verify`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from itsdangerous import BadSignature, URLSafeSerializer

from varcomms.config import Secrets
from varcomms.errors import VarcommsError

Purpose = Literal["unsubscribe", "preferences"]
PURPOSES: tuple[Purpose, ...] = ("unsubscribe", "preferences")
SIGNING_KEY_NAME = "signing_key"


class TokenError(VarcommsError):
    """A token was tampered with, made for another purpose, or is not a token at all."""


@dataclass(frozen=True, slots=True)
class TokenClaims:
    email: str
    purpose: Purpose
    subscriber_id: int | None = None
    edition_id: str | None = None


class TokenSigner:
    """Makes and checks tokens; one salt per purpose, so tokens are not interchangeable."""

    def __init__(self, key: str) -> None:
        if len(key) < 16:
            raise VarcommsError(
                "the signing key is too short (fewer than 16 characters)",
                hint="make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'",
            )
        self._serializers = {
            purpose: URLSafeSerializer(
                key,
                salt=f"varcomms.{purpose}",
                signer_kwargs={"digest_method": hashlib.sha256},
            )
            for purpose in PURPOSES
        }

    @classmethod
    def from_secrets(cls, secrets: Secrets) -> TokenSigner:
        return cls(
            secrets.require(SIGNING_KEY_NAME, purpose="signing unsubscribe and preference links")
        )

    def sign(
        self,
        purpose: Purpose,
        email: str,
        *,
        subscriber_id: int | None = None,
        edition_id: str | None = None,
    ) -> str:
        # Short keys keep the URL short; the edition tells the web app where the click came from.
        payload: dict[str, object] = {"e": email.strip().lower()}
        if subscriber_id is not None:
            payload["s"] = subscriber_id
        if edition_id is not None:
            payload["n"] = edition_id
        return str(self._serializers[purpose].dumps(payload))

    def verify(self, purpose: Purpose, token: str) -> TokenClaims:
        try:
            payload = self._serializers[purpose].loads(token)
        except BadSignature as err:
            raise TokenError(
                f"invalid {purpose} token", hint="the link was changed or is not ours"
            ) from err
        if not isinstance(payload, dict) or not isinstance(payload.get("e"), str):
            raise TokenError(f"invalid {purpose} token")
        subscriber_id = payload.get("s")
        edition_id = payload.get("n")
        return TokenClaims(
            email=payload["e"],
            purpose=purpose,
            subscriber_id=subscriber_id if isinstance(subscriber_id, int) else None,
            edition_id=edition_id if isinstance(edition_id, str) else None,
        )

"""What every request needs, built once per process from the configuration.

Nothing here changes after start-up: sign-up requests, rate-limit counts and CSRF
secrets live in the database or in signed cookies, so any number of processes can
serve the same database side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app

from varcomms.audience.suppression import ErasureKey, erasure_key
from varcomms.context import Context
from varcomms.tokens import TokenSigner

from .ratelimit import RateLimiter
from .security import derive_key

EXTENSION = "varcomms"


@dataclass(frozen=True)
class WebState:
    ctx: Context
    signer: TokenSigner
    erasure: ErasureKey
    limiter: RateLimiter
    public_url: str
    unsubscribe_path: str
    preferences_path: str

    @classmethod
    def build(cls, ctx: Context) -> WebState:
        signing_key = ctx.secrets.require("signing_key", purpose="the web app (signed links)")
        urls = ctx.config.urls
        parts = urlsplit(urls.preferences_base)
        public = ctx.config.web.public_url or f"{parts.scheme}://{parts.netloc}"
        window = timedelta(minutes=ctx.config.web.rate_limit_window_minutes)
        return cls(
            ctx=ctx,
            signer=TokenSigner(signing_key),
            # Not strict: unsubscribe links must keep working even while some erasure
            # hashes cannot be checked (imports and sends refuse then; see docs/privacy.md).
            erasure=erasure_key(ctx, strict=False),
            limiter=RateLimiter(ctx.store, derive_key(signing_key, "rate-limit"), window),
            public_url=public.rstrip("/"),
            unsubscribe_path=urlsplit(urls.unsubscribe_base).path.rstrip("/") or "/afmelden",
            preferences_path=parts.path.rstrip("/") or "/voorkeuren",
        )


def web() -> WebState:
    state: WebState = current_app.extensions[EXTENSION]
    return state

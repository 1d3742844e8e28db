"""Response headers and secrets of the web app.

Tokens are in URLs, so no page may leak its address: no Referer (Referrer-Policy), no
third-party resources (CSP allows only our own styles and images), no framing, and no
caching of pages that show a person's data.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Request, Response

CSP = "; ".join(
    (
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)


def derive_key(signing_key: str, purpose: str) -> bytes:
    """A sub-key for one purpose (HKDF-like): rotating purposes never mix keys."""
    return hmac.new(
        signing_key.encode(), f"varcomms/web/{purpose}".encode(), hashlib.sha256
    ).digest()


def add_headers(request: Request, response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = CSP
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "interest-cohort=(), camera=(), microphone=(), geolocation=()"
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    if not request.path.startswith(("/static/", "/logo/", "/huisstijl.css")):
        # Pages may show a person's data: no shared or browser cache keeps them.
        headers["Cache-Control"] = "no-store"
    return response

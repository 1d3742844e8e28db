"""Keep secrets out of what the tool prints: messages, tracebacks, logs, URLs.

Secrets come from the environment (API keys, the signing key, SMTP and database
passwords). Libraries put them into exception texts: ``requests`` quotes a header value
with a stray CR, SQLAlchemy and psycopg echo a connection string. The CLI passes every
error text, traceback and log record through a :class:`Redactor` built from the
environment; database URLs are shown with the password masked in the userinfo *and* in
the query (``?password=…``, as libpq accepts).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

MASK = "***"
PREFIX = "VARCOMMS_"
# Environment variables whose whole value is secret.
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH", re.IGNORECASE)
# Query parameters of a database URL that carry a secret (libpq names and common ones).
_SECRET_PARAMS = frozenset({"password", "pass", "pwd", "passwd", "sslpassword", "secret", "token"})
# A value shorter than this is not masked inside other text: "1" or "on" would mask
# half of every message. Real keys are far longer (the signing key needs 16).
MIN_SECRET = 6
# URLs with credentials inside free text: scheme://user:password@host…
_URL_IN_TEXT = re.compile(r"[a-z][a-z0-9+.-]*://[^\s'\"<>]+", re.IGNORECASE)
_QUERY_SECRET_IN_TEXT = re.compile(
    r"\b(" + "|".join(sorted(_SECRET_PARAMS)) + r")=([^&\s'\"]+)", re.IGNORECASE
)


def mask_url(url: str) -> str:
    """``url`` with the password of its userinfo and secret query parameters masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _QUERY_SECRET_IN_TEXT.sub(lambda m: f"{m.group(1)}={MASK}", url)
    if not parts.password and not any(
        key.lower() in _SECRET_PARAMS for key, _ in parse_qsl(parts.query, keep_blank_values=True)
    ):
        return url  # nothing to mask: leave the text exactly as it was
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{host}" if colon else netloc
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(key.lower() in _SECRET_PARAMS for key, _ in pairs):
            query = urlencode(
                [(k, MASK if k.lower() in _SECRET_PARAMS else v) for k, v in pairs],
                safe="*",
                quote_via=quote,
            )
    # Put together by hand: urlunsplit drops the empty authority of libpq's "pg:///db".
    authority = f"//{netloc}" if url[len(parts.scheme) + 1 :].startswith("//") else netloc
    shown = f"{parts.scheme}:{authority}{parts.path}"
    if query:
        shown += f"?{query}"
    if parts.fragment:
        shown += f"#{parts.fragment}"
    return shown


def url_secrets(url: str) -> list[str]:
    """The secret parts of a URL (password, secret query values), to mask elsewhere."""
    found: list[str] = []
    try:
        parts = urlsplit(url)
    except ValueError:
        return found
    if parts.password:
        found += [parts.password, unquote(parts.password)]
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key.lower() in _SECRET_PARAMS and value:
            found.append(value)
    return found


class Redactor:
    """Masks known secret values, and credentials in URLs, in any text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values: set[str] = set()
        for secret in secrets:
            for form in (secret, secret.strip()):
                if len(form) >= MIN_SECRET:
                    values.add(form)
        # Longest first, so a key is masked whole before any part of it could match.
        self._values = sorted(values, key=len, reverse=True)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Redactor:
        environ = os.environ if environ is None else environ
        secrets: list[str] = []
        for name, value in environ.items():
            if not name.startswith(PREFIX) or not value:
                continue
            if _SECRET_NAME.search(name[len(PREFIX) :]):
                secrets.append(value)
            elif "://" in value:
                secrets += url_secrets(value)
        return cls(secrets)

    def with_secrets(self, more: Iterable[str]) -> Redactor:
        return Redactor([*self._values, *more])

    def __call__(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, MASK)
        text = _URL_IN_TEXT.sub(lambda m: mask_url(m.group(0)), text)
        return _QUERY_SECRET_IN_TEXT.sub(lambda m: f"{m.group(1)}={MASK}", text)


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in the formatted message of every record."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = self.redactor(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # The handler formats the traceback later; keep its text, masked.
            import traceback

            text = "".join(traceback.format_exception(*record.exc_info))
            record.exc_info = None
            record.exc_text = None
            record.msg = f"{record.msg}\n{self.redactor(text)}"
        return True

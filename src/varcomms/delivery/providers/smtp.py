"""SMTP relay: STARTTLS or implicit TLS, login, a bounded pool of reused connections.

Each message goes to one recipient (it is personal), so a refusal belongs to exactly one
person: 5xx is recorded as failed with the server's words, 4xx (at MAIL FROM, RCPT or
DATA) is tried again later by the send loop. Each message is journalled as it starts
and as it is answered (:mod:`.journal`), so a kill holds at most the messages being
transmitted: :meth:`SmtpProvider.reconcile` settles the rest. After a 421 or a dropped
connection the connection is discarded and the next message opens a new one. A
connection that drops after DATA leaves that message uncertain (the server may have
queued it); one that drops before DATA means not sent.
"""

from __future__ import annotations

import queue
import smtplib
import ssl
import threading
from collections.abc import Sequence
from typing import Any

from varcomms.config import SmtpSettings
from varcomms.delivery.providers.base import (
    Batch,
    Capabilities,
    InFlight,
    Message,
    Outcome,
    OutcomeStatus,
    Provider,
)
from varcomms.delivery.providers.journal import (
    ACCEPTED,
    NOT_ACCEPTED,
    REFUSED,
    STARTED,
    SendJournal,
)
from varcomms.errors import ConfigError, ProviderError

JOURNAL_STATE = {
    OutcomeStatus.SENT: ACCEPTED,
    OutcomeStatus.FAILED: REFUSED,
    OutcomeStatus.RETRY: NOT_ACCEPTED,
    OutcomeStatus.UNCERTAIN: STARTED,  # answered with nothing: still only "started"
    OutcomeStatus.SPLIT: NOT_ACCEPTED,
}


def _reason(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"SMTP {code}: {text.strip()}"


class SmtpProvider(Provider):
    name = "smtp"
    settings_model = SmtpSettings
    secret_name = "smtp_password"  # noqa: S105 - the name of the variable, not a secret
    # Batches of 20 keep the ledger cheap; the journal (journal.py) records each message
    # as it starts and as the server answers, so after a crash only a message started
    # and never answered is uncertain. The server decides per connection whether an
    # internationalised address can go.
    capabilities = Capabilities(
        max_batch=20, utf8_local_part=True, rate_unit="messages", reconcile=True
    )
    # A relay's own limits vary; 50 messages a second is a polite default.
    default_rate = 50.0

    def __init__(self, *args: Any, ssl_context: ssl.SSLContext | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.smtp = self.settings.smtp
        self.password = None
        if self.smtp.username:
            if self.smtp.security == "none" and not self.smtp.allow_plaintext_login:
                raise ConfigError(
                    "provider.smtp: a login over security = 'none' would send the password "
                    "unencrypted; nothing was sent",
                    hint="use security = 'starttls' or 'tls', or set allow_plaintext_login = "
                    "true for a relay on a trusted network",
                )
            self.password = self.secret()
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.journal = SendJournal(self.ctx.config.data_dir / "journal")
        self._idle: queue.LifoQueue[smtplib.SMTP] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(self.smtp.pool_size)

    @property
    def max_concurrency(self) -> int:
        return self.smtp.pool_size

    def _connect(self) -> smtplib.SMTP:
        host, port, timeout = self.smtp.host, self.smtp.port, self.smtp.timeout
        try:
            if self.smtp.security == "tls":
                connection: smtplib.SMTP = smtplib.SMTP_SSL(
                    host, port, timeout=timeout, context=self.ssl_context
                )
            else:
                connection = smtplib.SMTP(host, port, timeout=timeout)
                connection.ehlo()
                if self.smtp.security == "starttls":
                    connection.starttls(context=self.ssl_context)
                    connection.ehlo()
            if self.smtp.username and self.password is not None:
                connection.login(self.smtp.username, self.password)
        except smtplib.SMTPAuthenticationError as err:
            raise ProviderError(
                f"login as {self.smtp.username} refused: {_reason(err.smtp_code, err.smtp_error)}",
                provider=self.name,
                hint="check provider.smtp.username and VARCOMMS_SMTP_PASSWORD",
            ) from err
        except (OSError, smtplib.SMTPException) as err:
            raise ProviderError(
                f"cannot reach {host}:{port} ({self.smtp.security}): {err}",
                provider=self.name,
                hint="check provider.smtp host, port and security in varcomms.toml",
            ) from err
        return connection

    def open(self) -> None:
        """Connect (and log in) once now, so a wrong host fails before any message."""
        self._idle.put(self._connect())

    def close(self) -> None:
        while not self._idle.empty():
            connection = self._idle.get_nowait()
            try:
                connection.quit()
            except (OSError, smtplib.SMTPException):
                connection.close()

    def _checkout(self) -> smtplib.SMTP:
        try:
            connection = self._idle.get_nowait()
        except queue.Empty:
            return self._connect()
        # No NOOP probe per message: a connection the server dropped while idle fails
        # before DATA, which means "not sent" and is retried.
        return connection

    def send_batch(self, batch: Batch) -> list[Outcome]:
        with self._slots:
            connection: smtplib.SMTP | None = None
            outcomes: list[Outcome] = []
            for message in batch.messages:
                if connection is None:
                    try:
                        connection = self._checkout()
                    except ProviderError as err:
                        # Nothing was sent: the send loop retries with back-off.
                        outcomes.append(Outcome(message.key, OutcomeStatus.RETRY, error=str(err)))
                        continue
                self.journal.write(batch.edition_id, message.message_id, STARTED)
                outcome = self._send_one(connection, batch, message)
                self.journal.write(
                    batch.edition_id,
                    message.message_id,
                    JOURNAL_STATE[outcome.status],
                    outcome.error or "",
                )
                outcomes.append(outcome)
                if connection.sock is None:
                    # smtplib closes the socket itself on 421 and on a lost connection;
                    # a closed connection is never reused or pooled.
                    connection = None
            if connection is not None:
                self._idle.put(connection)
        return outcomes

    def _send_one(self, connection: smtplib.SMTP, batch: Batch, message: Message) -> Outcome:
        key = message.key
        sender = batch.variant.from_address
        options: list[str] = []
        if not message.email.isascii():
            connection.ehlo_or_helo_if_needed()
            if not connection.has_extn("smtputf8"):
                return Outcome(
                    key,
                    OutcomeStatus.FAILED,
                    error="the address has non-ASCII characters before the @ and the SMTP "
                    "server does not offer SMTPUTF8",
                )
            options.append("SMTPUTF8")
        raw = batch.render_mime(message)
        data_started = False
        try:
            code, text = connection.mail(sender, options)
            if code != 250:
                return self._refused(connection, key, code, text, at="MAIL FROM")
            code, text = connection.rcpt(message.email)
            if code not in (250, 251):
                return self._refused(connection, key, code, text, at="RCPT")
            data_started = True
            code, text = connection.data(raw)
            if code != 250:
                return self._refused(connection, key, code, text, at="DATA")
        except smtplib.SMTPDataError as err:
            return self._refused(connection, key, err.smtp_code, err.smtp_error, at="DATA")
        except smtplib.SMTPResponseException as err:
            # 421 and friends: the server is closing; this message was not accepted.
            connection.close()
            return Outcome(key, OutcomeStatus.RETRY, error=_reason(err.smtp_code, err.smtp_error))
        except (OSError, smtplib.SMTPServerDisconnected) as err:
            connection.close()
            if not data_started:
                return Outcome(
                    key, OutcomeStatus.RETRY, error=f"connection lost before DATA: {err}"
                )
            return Outcome(key, OutcomeStatus.UNCERTAIN, error=f"connection lost: {err}")
        except (UnicodeError, ValueError) as err:
            # An address smtplib cannot put on the wire fails alone; the send goes on.
            connection.close()
            return Outcome(key, OutcomeStatus.FAILED, error=f"cannot send to this address: {err}")
        return Outcome(key, OutcomeStatus.SENT, provider_message_id=message.message_id)

    def _refused(
        self, connection: smtplib.SMTP, key: str, code: int, text: bytes | str, *, at: str
    ) -> Outcome:
        if code == 421:
            connection.close()  # the server is closing this connection: never reuse it
        else:
            try:
                connection.rset()
            except (OSError, smtplib.SMTPException):
                connection.close()
        if 400 <= code < 500:
            return Outcome(key, OutcomeStatus.RETRY, error=f"{at}: {_reason(code, text)}")
        if at == "MAIL FROM":
            # The relay refuses our sender for good: a configuration error for the send.
            raise ProviderError(
                f"the server refuses the sender: {_reason(code, text)}",
                provider=self.name,
                hint="check sender.from_address and what the relay allows",
            )
        return Outcome(key, OutcomeStatus.FAILED, error=_reason(code, text))

    def reconcile(self, rows: Sequence[InFlight]) -> dict[str, Outcome] | None:
        """What the journal proves: never started or refused "not now" (send again),
        answered 250 (sent), refused for good (failed). Started and never answered:
        the server may have it, so the row stays uncertain."""
        result: dict[str, Outcome] = {}
        verdicts: dict[str, dict[str, tuple[str, str]]] = {}
        for row in rows:
            if row.message_id is None:
                continue
            if row.edition_id not in verdicts:
                verdicts[row.edition_id] = self.journal.verdicts(row.edition_id)
            state, reason = verdicts[row.edition_id].get(row.message_id, (NOT_ACCEPTED, ""))
            if state == ACCEPTED:
                result[row.key] = Outcome(
                    row.key, OutcomeStatus.SENT, provider_message_id=row.message_id
                )
            elif state == REFUSED:
                result[row.key] = Outcome(row.key, OutcomeStatus.FAILED, error=reason)
            elif state == NOT_ACCEPTED:
                result[row.key] = Outcome(
                    row.key, OutcomeStatus.RETRY, error=reason or "never handed to the server"
                )
        return result

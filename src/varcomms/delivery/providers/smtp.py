"""SMTP relay: STARTTLS or implicit TLS, login, a bounded pool of reused connections.

Each message goes to one recipient (it is personal), so a refusal belongs to exactly one
person: 5xx is recorded as failed with the server's words, 4xx is tried again later. A
connection that drops in the middle of a message leaves that message uncertain: the
server may have queued it.
"""

from __future__ import annotations

import queue
import smtplib
import ssl
import threading
from typing import Any

from varcomms.delivery.providers.base import Batch, Capabilities, Outcome, OutcomeStatus, Provider
from varcomms.errors import ProviderError


def _reason(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"SMTP {code}: {text.strip()}"


class SmtpProvider(Provider):
    name = "smtp"
    capabilities = Capabilities(max_batch=20)

    def __init__(self, *args: Any, ssl_context: ssl.SSLContext | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.smtp = self.settings.smtp
        self.password = None
        if self.smtp.username:
            self.password = self.ctx.secrets.require(
                "smtp_password", purpose=f"SMTP login as {self.smtp.username}"
            )
        self.ssl_context = ssl_context or ssl.create_default_context()
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
        try:
            if connection.noop()[0] == 250:
                return connection
        except (OSError, smtplib.SMTPException):
            pass
        connection.close()
        return self._connect()

    def send_batch(self, batch: Batch) -> list[Outcome]:
        with self._slots:
            connection: smtplib.SMTP | None = self._checkout()
            outcomes: list[Outcome] = []
            sender = batch.variant.from_address
            for message in batch.messages:
                if connection is None:
                    try:
                        connection = self._connect()
                    except ProviderError as err:
                        outcomes.append(Outcome(message.key, OutcomeStatus.RETRY, error=str(err)))
                        continue
                outcome, keep = self._send_one(connection, sender, batch, message)
                outcomes.append(outcome)
                if not keep:
                    connection.close()
                    connection = None
            if connection is not None:
                self._idle.put(connection)
        return outcomes

    def _send_one(
        self, connection: smtplib.SMTP, sender: str, batch: Batch, message: Any
    ) -> tuple[Outcome, bool]:
        key = message.key
        raw = batch.render_mime(message)
        try:
            refused = connection.sendmail(sender, [message.email], raw)
        except smtplib.SMTPRecipientsRefused as err:
            code, text = err.recipients.get(message.email, (550, b"refused"))
            status = OutcomeStatus.RETRY if 400 <= code < 500 else OutcomeStatus.FAILED
            return Outcome(key, status, error=_reason(code, text)), True
        except smtplib.SMTPSenderRefused as err:
            raise ProviderError(
                f"the server refuses the sender {sender}: {_reason(err.smtp_code, err.smtp_error)}",
                provider=self.name,
                hint="check sender.from_address and what the relay allows",
            ) from err
        except smtplib.SMTPDataError as err:
            status = OutcomeStatus.RETRY if 400 <= err.smtp_code < 500 else OutcomeStatus.FAILED
            return Outcome(key, status, error=_reason(err.smtp_code, err.smtp_error)), True
        except smtplib.SMTPResponseException as err:
            # 421 and friends: the server is closing; nothing was accepted.
            return Outcome(
                key, OutcomeStatus.RETRY, error=_reason(err.smtp_code, err.smtp_error)
            ), False
        except (OSError, smtplib.SMTPServerDisconnected) as err:
            return Outcome(key, OutcomeStatus.UNCERTAIN, error=f"connection lost: {err}"), False
        if refused:
            code, text = refused.get(message.email, (550, b"refused"))
            return Outcome(key, OutcomeStatus.FAILED, error=_reason(code, text)), True
        return Outcome(key, OutcomeStatus.SENT, provider_message_id=message.message_id), True

"""The project's exception types.

Every error a user can cause or fix derives from :class:`VarcommsError`. It carries a
one-line message and an optional hint; the CLI turns it into output and an exit code at
one edge, so library code never prints or exits.
"""

from __future__ import annotations

from pathlib import Path


class VarcommsError(Exception):
    """Root of every error varcomms raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(VarcommsError):
    """The configuration file is missing, unreadable or invalid."""

    exit_code = 2


class InputError(VarcommsError):
    """A file the user wrote (edition, CSV, segment, …) is malformed.

    The message names the file, and the line and field when known.
    """

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.line = line
        self.field = field
        where = ""
        if self.path is not None:
            where = str(self.path)
            if line is not None:
                where += f":{line}"
            where += ": "
        if field:
            where += f"{field}: "
        super().__init__(f"{where}{message}", hint=hint)


class NotFoundError(VarcommsError):
    """Something named on the command line does not exist."""


class StateError(VarcommsError):
    """An operation is not allowed in the current state (e.g. an illegal status move)."""


class SourceError(VarcommsError):
    """A source could not be fetched or parsed."""


class StoreError(VarcommsError):
    """The database could not be opened or migrated."""


class ProviderError(VarcommsError):
    """A mail provider refused, failed or is misconfigured."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.provider = provider
        self.status = status
        prefix = f"{provider}"
        if status is not None:
            prefix += f" (HTTP {status})"
        super().__init__(f"{prefix}: {message}", hint=hint)

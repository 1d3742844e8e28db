"""The things every library call needs, passed in rather than reached for.

The CLI, the scheduler and the web app each build one :class:`Context` at their edge;
tests build one with a temporary database, a fake clock and a recording console.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from varcomms.clock import Clock, SystemClock, shifted_to
from varcomms.config import Config, Secrets, load_config, load_secrets

if TYPE_CHECKING:
    from varcomms.store import Store

DATABASE_URL_VARIABLE = "VARCOMMS_DATABASE_URL"


@dataclass
class Context:
    config: Config
    secrets: Secrets = field(default_factory=lambda: load_secrets({}))
    clock: Clock = field(default_factory=SystemClock)
    console: Console = field(default_factory=lambda: Console(stderr=True))
    database_url: str | None = None

    @property
    def db_url(self) -> str:
        """The database in use: VARCOMMS_DATABASE_URL (or a test's) before the config's."""
        return self.database_url or self.config.db_url

    @cached_property
    def store(self) -> Store:
        """The database, opened (and migrated) on first use only."""
        # Imported here: SQLAlchemy is most of a command's start-up, and commands that
        # only read files (`edition list`, `config check`) never open the database.
        from varcomms.store import Store

        return Store.open(self.db_url)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()

    @classmethod
    def from_files(
        cls,
        config_path: Path | None = None,
        *,
        console: Console | None = None,
        today: str | None = None,
    ) -> Context:
        # A database password is a secret: it may come from the environment instead of
        # varcomms.toml, like every other secret.
        """The context of one CLI run; ``today`` (``--today``) shifts its clock."""
        config = load_config(config_path)
        clock: Clock = SystemClock() if today is None else shifted_to(today, config.tz)
        return cls(
            config=config,
            secrets=load_secrets(),
            clock=clock,
            console=console or Console(stderr=True),
            database_url=os.environ.get(DATABASE_URL_VARIABLE) or None,
        )

"""Rich progress bars for long work (collect, send), drawn on stderr when it is a terminal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from varcomms.cli.output import data as esc

if TYPE_CHECKING:
    from varcomms.sources import SourceReport


class CollectBar:
    """Collect progress: one step per source, named as it finishes."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("collecting"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self._task = self._progress.add_task("", total=None)

    def __enter__(self) -> CollectBar:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def start(self, total: int) -> None:
        self._progress.update(self._task, total=total)

    def advance(self, report: SourceReport) -> None:
        self._progress.update(self._task, advance=1, description=esc(report.name))


@contextmanager
def count_bar(
    console: Console, label: str, total: int | None, *, disable: bool = False
) -> Iterator[Callable[[int], None]]:
    """A bar for counted work (messages sent); yields the ``advance(n)`` callback."""
    with Progress(
        TextColumn(f"[bold]{esc(label)}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=disable or not console.is_terminal,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)

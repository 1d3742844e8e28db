"""The public archive: a static site of the sent editions, with an index and an Atom feed.

:func:`build_archive` is what the CLI (``varcomms archive build``) and the scheduler call.
"""

from __future__ import annotations

from varcomms.archive.site import ArchiveReport, build_archive

__all__ = ["ArchiveReport", "build_archive"]

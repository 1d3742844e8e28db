"""Reports: what became of a send (per edition) and of a year (for the annual report).

Figures come from the send ledger (who was sent what) and the ``events`` table (what
providers reported afterwards). :func:`edition_report` and :func:`year_report` are what
the CLI calls; :func:`report_html` turns either into a page an editor can forward.
"""

from __future__ import annotations

from varcomms.report.edition import Counts, EditionReport, edition_report
from varcomms.report.html import report_html
from varcomms.report.year import YearReport, year_report

__all__ = [
    "Counts",
    "EditionReport",
    "YearReport",
    "edition_report",
    "report_html",
    "year_report",
]

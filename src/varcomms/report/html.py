"""Reports as one self-contained HTML page (inline CSS and SVG), to open or forward."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from varcomms.config import Config
from varcomms.render.dates import long_date
from varcomms.report.chart import bar_chart
from varcomms.report.edition import Counts, EditionReport
from varcomms.report.year import YearReport

_TEMPLATES = Path(__file__).resolve().parent / "templates"

# Dutch labels: the page goes to editors and the annual report, not only to the CLI.
FUNNEL = (
    ("recipients", "Ontvangers"),
    ("accepted", "Aangenomen"),
    ("delivered", "Afgeleverd"),
    ("opened", "Geopend (uniek)"),
    ("clicked", "Geklikt (uniek)"),
    ("bounced_hard", "Harde bounce"),
    ("bounced_soft", "Zachte bounce"),
    ("complained", "Klacht (spam)"),
    ("unsubscribed", "Afgemeld"),
)


def _percent(counts: Counts, part: int) -> str:
    rate = counts.rate(part)
    return "–" if rate is None else f"{rate * 100:.1f}%".replace(".", ",")


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(default=True)
    )
    env.filters["percent"] = _percent
    return env


def report_html(config: Config, report: EditionReport | YearReport) -> str:
    accent = next(iter(config.brands.values())).accent_colour if config.brands else "#1a4f8b"
    env = _environment()
    if isinstance(report, EditionReport):
        chart = bar_chart(
            [(label, getattr(report.totals, key)) for key, label in FUNNEL],
            title=f"Resultaten van editie {report.edition_id}",
            colour=accent,
        )
        return env.get_template("edition.html.j2").render(
            report=report,
            funnel=FUNNEL,
            chart=Markup(chart),  # noqa: S704 - built from escaped parts in chart.py
            accent=accent,
        )
    chart = bar_chart(
        [(line.edition_id, line.counts.accepted) for line in report.editions],
        title=f"Aangenomen berichten per editie in {report.year}",
        colour=accent,
    )
    labels = {theme.slug: theme.label for theme in config.themes}
    dates = {line.edition_id: long_date(line.sent_at, config.tz) for line in report.editions}
    return env.get_template("year.html.j2").render(
        report=report,
        chart=Markup(chart),  # noqa: S704 - built from escaped parts in chart.py
        accent=accent,
        labels=labels,
        dates=dates,
    )

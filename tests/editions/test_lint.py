"""Content checks: each one on a broken copy of the sample, which itself passes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.editions.conftest import SAMPLE, make_context, replace_in
from varcomms.clock import FakeClock
from varcomms.config import Config
from varcomms.context import Context
from varcomms.editions import Finding, LintReport, approve, lint_edition, load_edition


def codes(report: LintReport, severity: str = "error") -> list[str]:
    return [f.code for f in report.findings if f.severity == severity]


def finding(report: LintReport, code: str):  # type: ignore[no-untyped-def]
    (found,) = [f for f in report.findings if f.code == code]
    return found


def test_the_repository_sample_edition_passes_lint(sample_config: Config) -> None:
    """The sample in newsletters/ itself, read in place, the day it goes out."""
    assert sample_config.newsletters_dir == SAMPLE.parent
    ctx = make_context(sample_config, FakeClock(datetime(2022, 2, 1, 7, 0, tzinfo=UTC)))
    report = lint_edition(ctx, "2022-01")
    assert report.ok, report.findings
    assert report.findings == []


def test_subject_and_preheader_length(ctx: Context, sample: Path) -> None:
    replace_in(sample / "edition.yaml", "Cyberweerbaarheid,", "Cyberweerbaarheid " * 4 + ",")
    replace_in(sample / "edition.yaml", "HackShield, geldezels,", "HackShield, " * 3 + "geldezels,")
    report = lint_edition(ctx, "2022-01")
    subject = finding(report, "subject-length")
    assert (subject.severity, subject.file, subject.line) == ("error", "edition.yaml", 6)
    assert "limit is 70" in subject.message
    assert finding(report, "preheader-length").severity == "warning"


def test_missing_alt_text(ctx: Context, sample: Path) -> None:
    replace_in(sample / "nieuws.md", "alt: Kinderen", "# alt: Kinderen")
    replace_in(
        sample / "kennis.md",
        "Aan het digitale",
        "![](https://veiligheidsalliantie.nl/leerhuis.jpg) Aan het digitale",
    )
    report = lint_edition(ctx, "2022-01")
    found = [f for f in report.errors if f.code == "alt-missing"]
    assert [(f.file, f.line) for f in found] == [("nieuws.md", 14), ("kennis.md", 7)]


def test_empty_sections_and_the_riec_section(ctx: Context, sample: Path) -> None:
    (sample / "campagne.md").write_text("---\nsection: Politiecampagne\n---\n")
    (sample / "riec.md").unlink()
    report = lint_edition(ctx, "2022-01")
    assert finding(report, "section-empty").file == "campagne.md"
    assert finding(report, "section-empty").severity == "warning"
    assert "riec-section-missing" in codes(report)


def test_riec_md_without_the_brand(ctx: Context, sample: Path) -> None:
    replace_in(sample / "edition.yaml", "brands: [var, riec]", "brands: [var]")
    report = lint_edition(ctx, "2022-01")
    assert report.ok and "riec-section-unused" in codes(report, "warning")


def test_agenda_events_past_at_the_planned_date(ctx: Context, sample: Path) -> None:
    replace_in(
        sample / "agenda.md",
        "start: 2022-02-15 14:00\nend: 2022-02-15 15:30",
        "start: 2022-01-31 14:00",
    )
    replace_in(sample / "agenda.md", "start: 2022-04-04 15:00", "start: 2022-02-01 08:30")
    replace_in(sample / "agenda.md", "end: 2022-04-04 17:30", "end: 2022-02-01 17:30")
    report = lint_edition(ctx, "2022-01")
    past = finding(report, "event-past")
    assert (past.severity, past.file, past.line) == ("error", "agenda.md", 5)
    assert "Webinar Cameratoezicht" in past.message
    started = finding(report, "event-started")
    assert started.severity == "warning" and "08:30" in started.message


def test_duplicate_items(ctx: Context, sample: Path) -> None:
    text = (sample / "kennis.md").read_text()
    block = text[text.index("---\ntitle: Terugblik") : text.index("---\ntitle: Webinar")]
    (sample / "riec.md").write_text((sample / "riec.md").read_text() + "\n" + block)
    report = lint_edition(ctx, "2022-01")
    duplicate = finding(report, "duplicate")
    assert duplicate.file == "riec.md"
    assert "kennis.md:7" in duplicate.message
    assert "'Terugblik" in duplicate.message and "is already in the edition" in duplicate.message


def test_a_reused_link_says_it_is_the_link(ctx: Context, sample: Path) -> None:
    # An agenda event pointing at a RIEC article's page: the message names the link and
    # the item that has it, not the event's title as if it were the duplicate (U9).
    link = "https://veiligheidsalliantie.nl/agenda/webinar-cameratoezicht/"
    riec = "https://veiligheidsalliantie.nl/riec/weerbaar-bestuur-gemeenteraadsverkiezingen-2022/"
    replace_in(sample / "agenda.md", f"link: {link}", f"link: {riec}")
    report = lint_edition(ctx, "2022-01")
    (duplicate,) = [f for f in report.findings if f.code == "duplicate"]
    assert duplicate.message.startswith("the link of '")
    assert f"({riec}) is already used by '" in duplicate.message
    for title in ("Webinar Cameratoezicht", "Weerbaar bestuur rond de gemeenteraadsverkiezingen"):
        assert title in duplicate.message


def test_unknown_theme_is_a_format_error_with_line(ctx: Context, sample: Path) -> None:
    replace_in(sample / "nieuws.md", "themes: [monitoring]", "themes: [monitor]")
    report = lint_edition(ctx, "2022-01")
    (error,) = report.errors
    assert (error.code, error.file, error.line) == ("format", "nieuws.md", 8)
    assert error.message.startswith("themes: unknown theme 'monitor'")


def test_placeholders_and_unlisted_files(ctx: Context, sample: Path) -> None:
    (sample / "intro.md").write_text("Beste lezer,\n\nTODO: voorwoord\n")
    (sample / "oud.md").write_text("---\nsection: Oud\n---\n")
    report = lint_edition(ctx, "2022-01")
    placeholder = finding(report, "placeholder")
    assert (placeholder.file, placeholder.line) == ("intro.md", 3)
    assert finding(report, "file-unlisted").file == "oud.md"


def test_changes_after_sending_are_errors(ctx: Context, sample: Path) -> None:
    approve(ctx, "2022-01", "riec", "Anouk")
    approve(ctx, "2022-01", "var", "Astrid")
    replace_in(sample / "edition.yaml", "status: approved", "status: sent")
    assert lint_edition(ctx, "2022-01").ok
    replace_in(sample / "kennis.md", "60 professionals", "zestig professionals")
    report = lint_edition(ctx, "2022-01")
    assert "changed-after-send" in codes(report)
    assert "kennis.md" in finding(report, "changed-after-send").message


def test_void_sign_off_is_a_warning(ctx: Context, sample: Path) -> None:
    approve(ctx, "2022-01", "var", "Astrid")
    replace_in(sample / "kennis.md", "60 professionals", "zestig professionals")
    report = lint_edition(ctx, "2022-01")
    assert report.ok
    assert "kennis.md changed" in finding(report, "signoff-void").message


def test_extra_checks_plug_in(ctx: Context, sample: Path) -> None:
    def too_big(doc, config):  # type: ignore[no-untyped-def]
        yield Finding("error", "html-size", f"{doc.id} is too big")

    report = lint_edition(ctx, "2022-01", checks=[too_big])
    assert codes(report) == ["html-size"]


@pytest.mark.parametrize("name", ["edition.yaml", "nieuws.md"])
def test_unreadable_files_are_reported_not_raised(ctx: Context, sample: Path, name: str) -> None:
    (sample / name).write_bytes(b"\xff\xfe not utf-8")
    (error,) = lint_edition(ctx, "2022-01").errors
    assert error.file == name and "UTF-8" in error.message


def test_a_themed_special_with_its_own_audience(ctx: Context, sample: Path) -> None:
    replace_in(sample / "edition.yaml", "kind: regular", "kind: special")
    replace_in(sample / "edition.yaml", "template: null", "template: riec-special")
    replace_in(sample / "edition.yaml", "audience: all", "audience: riec-partners")
    edition = load_edition(ctx.config, "2022-01")
    assert (edition.kind, edition.template, edition.audience) == (
        "special", "riec-special", "riec-partners",
    )  # fmt: skip
    report = lint_edition(ctx, "2022-01")
    assert report.ok
    unknown = finding(report, "audience-unknown")
    assert (unknown.file, unknown.line) == ("edition.yaml", 12)
    segments = ctx.config.audiences_dir
    segments.mkdir(parents=True)
    (segments / "riec-partners.yaml").write_text("name: riec-partners\n")
    assert "audience-unknown" not in codes(lint_edition(ctx, "2022-01"), "warning")

"""Lint findings about what content carries: placeholder syntax (F4), tracking images (F18)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.editions.conftest import replace_in
from varcomms.context import Context
from varcomms.editions import lint_edition

PLACES = [
    ("intro.md", "Wij wensen u", "Wij wensen u {form}"),
    ("nieuws.md", "title: Jaarverslag 2021", "title: Jaarverslag {form} 2021"),
    (
        "nieuws.md",
        "link: https://veiligheidsalliantie.nl/nieuws/jaarverslag-2021-jaarplan-2022/",
        "link: https://veiligheidsalliantie.nl/nieuws/?a={form}",
    ),
    ("riec.md", "Weerbaar", "Weerbaar {form}"),
    ("edition.yaml", 'subject: "Cyberweerbaarheid,', 'subject: "{form} Cyberweerbaarheid,'),
]
FORMS = [
    "%%VARCOMMS_UNSUBSCRIBE_URL%%",
    "%recipient.greeting_name%",
    "-varcomms-preferences_url-html-",
    "{{ params.unsubscribe_url }}",
    "{% if x %}",
    "<%asm_group_unsubscribe_raw_url%>",
]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(("name", "old", "new"), PLACES)
def test_f4_lint_reports_placeholder_syntax_in_content(
    ctx: Context, sample: Path, form: str, name: str, old: str, new: str
) -> None:
    replace_in(sample / name, old, new.format(form=form))
    report = lint_edition(ctx, "2022-01")
    (found,) = [f for f in report.findings if f.code == "content-placeholder"]
    assert found.severity == "error" and found.file == name and found.line
    line = (sample / name).read_text(encoding="utf-8").splitlines()[found.line - 1]
    assert form in line


def test_f4_the_sample_has_no_placeholder_finding(ctx: Context, sample: Path) -> None:
    assert not [f for f in lint_edition(ctx, "2022-01").findings if f.code == "content-placeholder"]

"""Lint findings about what content carries: placeholder syntax (F4), tracking images (F18)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.editions.conftest import replace_in
from varcomms.context import Context
from varcomms.editions import lint_edition

PLACES = [
    ("intro.md", "Astrid de Jong", "Astrid de Jong {form}"),
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


# -- F18: images that tell a third party who reads the mail -----------------------------

PIXEL_PLACES = [
    ("intro.md", "Astrid de Jong", "{img}\n\nAstrid de Jong"),
    ("nieuws.md", "Wat deed de VAR", "{img} Wat deed de VAR"),
    ("riec.md", "Op verzoek van", "{img} Op verzoek van"),
]


@pytest.mark.parametrize(("name", "old", "new"), PIXEL_PLACES)
@pytest.mark.parametrize(
    "size",
    ['width="1" height="1"', 'width="1"', 'width="1" height="50"', 'width="2px" height="2px"'],
)
def test_f18_tracking_pixels_are_an_error(
    ctx: Context, sample: Path, name: str, old: str, new: str, size: str
) -> None:
    img = f'<img src="https://veiligheidsalliantie.nl/p.gif" alt="x" {size}>'
    replace_in(sample / name, old, new.format(img=img))
    report = lint_edition(ctx, "2022-01")
    (found,) = [f for f in report.findings if f.code == "tracking-pixel"]
    assert found.severity == "error" and found.file == name and not report.ok


@pytest.mark.parametrize(("name", "old", "new"), PIXEL_PLACES)
def test_f18_third_party_images_are_a_warning(
    ctx: Context, sample: Path, name: str, old: str, new: str
) -> None:
    img = '<img src="https://tracker.example/banner.png" alt="Partner" width="300" height="100">'
    replace_in(sample / name, old, new.format(img=img))
    report = lint_edition(ctx, "2022-01")
    (found,) = [f for f in report.findings if f.code == "image-third-party"]
    assert found.severity == "warning" and found.file == name
    assert "tracker.example" in found.message


def test_f18_an_image_field_from_a_third_party_is_a_warning(ctx: Context, sample: Path) -> None:
    replace_in(
        sample / "nieuws.md",
        "image: https://veiligheidsalliantie.nl/wp-content/",
        "image: https://cdn.tracker.example/wp-content/",
    )
    (found,) = [f for f in lint_edition(ctx, "2022-01").findings if f.code == "image-third-party"]
    assert (found.file, found.line) == ("nieuws.md", 14)  # the item


def test_f18_brand_hosts_and_configured_hosts_are_trusted(ctx: Context, sample: Path) -> None:
    replace_in(
        sample / "intro.md",
        "Astrid de Jong",
        '<img src="https://www.riec.nl/logo.png" alt="RIEC" width="200"> '
        '<img src="https://beeld.politie.nl/x.jpg" alt="Politie" width="200">\n\nAstrid de Jong',
    )
    found = [f for f in lint_edition(ctx, "2022-01").findings if f.code == "image-third-party"]
    assert ["beeld.politie.nl" in f.message for f in found] == [True]
    editions = ctx.config.editions.model_copy(update={"image_hosts": ("politie.nl",)})
    ctx.config = ctx.config.model_copy(update={"editions": editions})
    assert not [f for f in lint_edition(ctx, "2022-01").findings if f.code == "image-third-party"]

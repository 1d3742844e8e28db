"""mjml-python's known pitfalls, and errors that name the template file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mjml import mjml2html

from varcomms.config import Config
from varcomms.errors import InputError
from varcomms.models import Edition
from varcomms.render import Variant, render_variant
from varcomms.render.mjml_check import check_mjml

GOOD = '<mjml lang="nl"><mj-body><mj-section><mj-column><mj-text>x</mj-text></mj-column></mj-section></mj-body></mjml>'  # noqa: E501


def test_a_clean_document_has_no_problems() -> None:
    assert check_mjml(GOOD) == []


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (GOOD.replace("<mj-text>x</mj-text>", "<mj-foo>x</mj-foo>"), "unknown MJML tag <mj-foo>"),
        (GOOD.replace("<mj-section>", '<mj-section padding="0 24px">'), "unitless 0"),
        (GOOD.replace('<mjml lang="nl">', "<mjml>"), "no lang attribute"),
        (
            GOOD.replace(
                "<mj-body>", '<mj-head><mj-style inline="inline">p{}</mj-style></mj-head><mj-body>'
            ),
            "is not inlined",
        ),
        (
            GOOD.replace("<mj-text>x</mj-text>", "<mj-social></mj-social>"),
            "<mj-social> is not allowed",
        ),
        (GOOD.replace("</mj-column>", ""), "</mj-section> found where <mj-column>"),
        (GOOD.replace("</mjml>", ""), "<mjml> is never closed"),
        (
            GOOD.replace("<mj-column><mj-text>x</mj-text></mj-column>", "<mj-text>x</mj-text>"),
            "<mj-text> cannot be inside <mj-section>",
        ),
    ],
)
def test_problems_mjml_python_would_pass_silently(document: str, expected: str) -> None:
    problems = check_mjml(document)
    assert problems, "expected a problem"
    assert expected in problems[0].message


def test_html_inside_ending_tags_is_not_checked() -> None:
    document = GOOD.replace("<mj-text>x</mj-text>", "<mj-text><p>a <b>b</b> <mj-foo></p></mj-text>")
    assert check_mjml(document) == []


def test_pitfall_unitless_zero_changes_outlook_widths() -> None:
    """Why the check exists: the same padding with 0 and 0px gives different output."""
    image = '<mj-image src="https://x.nl/a.png" alt="a" />'
    doc = GOOD.replace("<mj-text>x</mj-text>", image)
    with_unit = mjml2html(doc.replace("<mj-section>", '<mj-section padding="0px 24px">'))
    unitless = mjml2html(doc.replace("<mj-section>", '<mj-section padding="0 24px">'))
    assert 'width="502"' in with_unit  # 600 - 2×24 section padding - 2×25 image padding
    assert 'width="502"' not in unitless


def test_our_images_get_outlook_widths_that_include_the_padding(
    config: Config, edition: Edition, general: Variant
) -> None:
    html = render_variant(config, edition, general).html
    # Full-width card images: 600 px minus 2×24 px section padding.
    assert re.search(r'<img [^>]*width="552"', html)
    assert not re.search(r'<img [^>]*width="600"', html)
    assert "mj-" not in re.sub(r"mj-(column|outlook|full-width)[\w-]*", "", html)


def _override(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_mjml_error_names_the_template_file_and_line(
    project_templates: tuple[Config, Path], edition: Edition, general: Variant
) -> None:
    config, folder = project_templates
    _override(
        folder,
        "partials/intro.mjml.j2",
        "    <mj-section>\n      <mj-column>\n        <mj-txt>{{ intro_html }}</mj-txt>\n"
        "      </mj-column>\n    </mj-section>\n",
    )
    with pytest.raises(InputError) as caught:
        render_variant(config, edition, general)
    error = caught.value
    assert error.path == folder / "partials" / "intro.mjml.j2"
    assert error.line == 3
    assert "unknown MJML tag <mj-txt>" in error.message
    assert "intro.mjml.j2:3: " in str(error)


def test_unbalanced_tag_names_the_template_line(
    project_templates: tuple[Config, Path], edition: Edition, general: Variant
) -> None:
    config, folder = project_templates
    _override(
        folder,
        "partials/intro.mjml.j2",
        "    <mj-section>\n      <mj-column>\n        <mj-text>hallo</mj-text>\n"
        "    </mj-section>\n",
    )
    with pytest.raises(InputError) as caught:
        render_variant(config, edition, general)
    assert caught.value.path == folder / "partials" / "intro.mjml.j2"
    assert caught.value.line == 4


def test_template_syntax_error_names_the_file_and_line(
    project_templates: tuple[Config, Path], edition: Edition, general: Variant
) -> None:
    config, folder = project_templates
    _override(folder, "partials/footer.mjml.j2", "<mj-section>\n{% if urls %}\n</mj-section>\n")
    with pytest.raises(InputError) as caught:
        render_variant(config, edition, general)
    assert caught.value.path == folder / "partials" / "footer.mjml.j2"
    assert caught.value.line == 4 or caught.value.line == 3
    assert "template syntax error" in caught.value.message


def test_unknown_variable_names_the_file_and_line(
    project_templates: tuple[Config, Path], edition: Edition, general: Variant
) -> None:
    config, folder = project_templates
    _override(
        folder,
        "partials/footer.mjml.j2",
        "<mj-section>\n<mj-column>\n<mj-text>{{ edition.titel }}</mj-text>\n</mj-column>\n"
        "</mj-section>\n",
    )
    with pytest.raises(InputError) as caught:
        render_variant(config, edition, general)
    assert caught.value.path == folder / "partials" / "footer.mjml.j2"
    assert caught.value.line == 3
    assert "titel" in caught.value.message


def test_a_named_template_that_does_not_exist_falls_back_to_the_kind(
    config: Config, edition: Edition, general: Variant
) -> None:
    named = edition.model_copy(update={"template": "bestaat-niet"})
    assert (
        render_variant(config, named, general).html == render_variant(config, edition, general).html
    )


def test_missing_included_template_is_reported(
    project_templates: tuple[Config, Path], edition: Edition, general: Variant
) -> None:
    config, folder = project_templates
    _override(folder, "email/regular.mjml.j2", '{% include "partials/weg.j2" %}')
    with pytest.raises(InputError, match=r"weg\.j2"):
        render_variant(config, edition, general)

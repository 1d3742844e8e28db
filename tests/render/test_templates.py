"""Template lookup: project overrides, ``!default/`` extension, fallback, reloading."""

from __future__ import annotations

import os
from pathlib import Path

import jinja2
import pytest

from tests.conftest import ROOT
from varcomms.config import Config
from varcomms.errors import InputError
from varcomms.models import Edition
from varcomms.render import Templates, Variant, render_variant
from varcomms.render.environment import PACKAGED_TEMPLATES

# Replaces one block of the packaged layout and keeps the rest of it.
EXTENDING = (
    '{% extends "!default/email/newsletter.mjml.j2" %}\n'
    "{% block intro %}\n"
    "<mj-section><mj-column><mj-text><p>Eigen inleiding</p></mj-text></mj-column></mj-section>\n"
    "{% endblock %}\n"
)
FOOTER = (
    '<mj-section><mj-column><mj-text><p style="color:#1f2933;">{}. '
    '<a href="{{{{ urls.unsubscribe }}}}">Afmelden</a></p></mj-text></mj-column></mj-section>\n'
)


def _write(path: Path, text: str, *, stamp: int | None = None) -> None:
    """Write ``text``; ``stamp`` sets a distinct mtime, so no test waits for the clock."""
    path.write_text(text, encoding="utf-8")
    if stamp is not None:
        os.utime(path, (stamp, stamp))


def test_an_override_extends_the_packaged_layout_and_replaces_one_block(
    project_templates: tuple[Config, Path], edition: Edition, general: Variant
) -> None:
    config, folder = project_templates
    packaged = render_variant(config, edition, general).html
    _write(folder / "email" / "newsletter.mjml.j2", EXTENDING)
    html = render_variant(config, edition, general).html
    assert "Eigen inleiding" in html and "Beste " not in html
    # The rest is the packaged email: header, sections and footer.
    for kept in ("Verzonden door", edition.title, edition.sections[0].title):
        assert kept in packaged and kept in html


def test_a_packaged_layout_uses_the_projects_partial(
    project_templates: tuple[Config, Path], edition: Edition, general: Variant
) -> None:
    config, folder = project_templates
    _write(folder / "partials" / "footer.mjml.j2", FOOTER.format("Eigen voet"))
    _write(folder / "email" / "newsletter.mjml.j2", EXTENDING)
    html = render_variant(config, edition, general).html
    # The packaged layout, reached through !default/, includes the overriding partial.
    assert "Eigen inleiding" in html and "Eigen voet." in html
    assert "Verzonden door" not in html


def test_without_an_override_the_packaged_template_is_used(
    project_templates: tuple[Config, Path],
) -> None:
    config, folder = project_templates
    templates = Templates(config.templates_dir)
    assert templates.path("partials/footer.mjml.j2") == PACKAGED_TEMPLATES / "partials" / (
        "footer.mjml.j2"
    )
    _write(folder / "partials" / "footer.mjml.j2", FOOTER.format("Eigen voet"))
    assert templates.path("partials/footer.mjml.j2") == folder / "partials" / "footer.mjml.j2"
    # !default/ always names the packaged file, override or not.
    assert templates.path("!default/partials/footer.mjml.j2") == (
        PACKAGED_TEMPLATES / "partials" / "footer.mjml.j2"
    )


@pytest.mark.parametrize(
    "name", ["../secret.txt.j2", "partials/../../secret.txt.j2", "!default/../../secret.txt.j2"]
)
def test_a_name_cannot_leave_the_template_folders(
    project_templates: tuple[Config, Path], name: str
) -> None:
    config, folder = project_templates
    _write(folder.parent / "secret.txt.j2", "geheim")
    env = Templates(config.templates_dir).environment
    with pytest.raises(jinja2.TemplateNotFound):
        env.get_template(name)


def test_one_templates_object_sees_edits_new_and_removed_overrides(
    project_templates: tuple[Config, Path], edition: Edition, general: Variant
) -> None:
    """What the preview relies on between renders (it watches the templates)."""
    config, folder = project_templates
    templates = Templates(config.templates_dir, watch=True)
    footer = folder / "partials" / "footer.mjml.j2"
    assert "Verzonden door" in render_variant(config, edition, general, templates).html

    _write(footer, FOOTER.format("Eerste voet"), stamp=1_700_000_000)  # a new override
    assert "Eerste voet." in render_variant(config, edition, general, templates).html

    _write(footer, FOOTER.format("Tweede voet"), stamp=1_700_000_100)  # edited
    html = render_variant(config, edition, general, templates).html
    assert "Tweede voet." in html and "Eerste voet." not in html

    footer.unlink()  # removed: the packaged footer again
    assert "Verzonden door" in render_variant(config, edition, general, templates).html


def test_a_unit_of_work_reads_the_templates_once(
    project_templates: tuple[Config, Path], edition: Edition, general: Variant
) -> None:
    """A send renders every variant from the templates as they were when it started."""
    config, folder = project_templates
    templates = Templates(config.templates_dir)
    footer = folder / "partials" / "footer.mjml.j2"
    assert "Verzonden door" in render_variant(config, edition, general, templates).html
    _write(footer, FOOTER.format("Halverwege"), stamp=1_700_000_000)
    assert "Verzonden door" in render_variant(config, edition, general, templates).html
    assert "Halverwege." in render_variant(config, edition, general).html  # a new unit of work


def test_an_mjml_error_in_an_extending_override_names_its_line(
    project_templates: tuple[Config, Path], edition: Edition, general: Variant
) -> None:
    config, folder = project_templates
    override = folder / "email" / "newsletter.mjml.j2"
    _write(override, EXTENDING.replace("<mj-text>", "<mj-foo>").replace("</mj-text>", "</mj-foo>"))
    with pytest.raises(InputError) as caught:
        render_variant(config, edition, general)
    assert caught.value.path == override and caught.value.line == 3
    assert "mj-foo" in caught.value.message


def test_the_templates_readme_lists_every_packaged_template() -> None:
    readme = (ROOT / "templates" / "README.md").read_text(encoding="utf-8")
    packaged = [p.relative_to(PACKAGED_TEMPLATES).as_posix() for p in PACKAGED_TEMPLATES.rglob("*")]
    missing = [name for name in packaged if name.endswith(".j2") and name not in readme]
    assert missing == []

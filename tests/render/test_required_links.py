"""The unsubscribe link is required in the HTML and the text part, overrides included (R4).

An editor who overrides the footer (or the text template) and drops "Afmelden" gets an
error from `render` and from `edition lint`, so the edition cannot be approved; a missing
preferences link is a warning.
"""

from __future__ import annotations

from tests.render.conftest import Project
from varcomms.render.environment import PACKAGED_TEMPLATES


def _override(project: Project, name: str, old: str, new: str) -> None:
    source = (PACKAGED_TEMPLATES / name).read_text(encoding="utf-8")
    assert old in source, f"{old!r} is no longer in {name}"
    target = project.templates / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source.replace(old, new), encoding="utf-8")


UNSUBSCRIBE_LINK = (
    ' &nbsp;|&nbsp; <a href="{{ urls.unsubscribe }}" style="{{ s.link(s.footer_fg) }}">Afmelden</a>'
)


def test_a_footer_without_the_unsubscribe_link_blocks_render_and_approval(
    project: Project,
) -> None:
    _override(project, "partials/footer.mjml.j2", UNSUBSCRIBE_LINK, "")
    rendered = project.run("render", "2022-01")
    assert rendered.returncode == 1, rendered
    assert "error [unsubscribe] no visible unsubscribe link" in rendered.stdout
    lint = project.run("edition", "lint", "2022-01")
    assert lint.returncode == 1, lint
    assert "render-unsubscribe" in lint.stdout
    approve = project.run("edition", "approve", "2022-01", "--as", "var", "--by", "Redactie")
    assert approve.returncode == 1, approve
    status = (project.edition() / "edition.yaml").read_text(encoding="utf-8")
    assert "status: draft" in status


def test_a_text_part_without_the_unsubscribe_link_is_an_error(project: Project) -> None:
    _override(project, "text/newsletter.txt.j2", "Afmelden: {{ urls.unsubscribe }}\n", "")
    rendered = project.run("render", "2022-01")
    assert rendered.returncode == 1, rendered
    assert "error [unsubscribe] the text part has no unsubscribe link" in rendered.stdout


def test_a_missing_preferences_link_is_only_a_warning(project: Project) -> None:
    _override(
        project,
        "partials/footer.mjml.j2",
        '<a href="{{ urls.preferences }}" style="{{ s.link(s.footer_fg) }}">Voorkeuren wijzigen'
        "</a> &nbsp;|&nbsp; ",
        "",
    )
    rendered = project.run("render", "2022-01")
    assert rendered.returncode == 0, rendered
    assert "warning [preferences] no link to the reader's preferences" in rendered.stdout

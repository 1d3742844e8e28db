"""F5 and F17: what the tool reads from its folders stays in them and stays small.

F5: a symbolic link (to a file or a folder), a path out of the folder, or something that
is not a regular file is refused with a message naming it, wherever the tool reads what
editors wrote: edition files, segment files in ``audiences/``, manual items. Lint
reports every link in an edition folder.
F17: YAML aliases (the "billion laughs") and absurd nesting are refused in every YAML
the tool reads, before anything is expanded.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.sources.conftest import source, with_sources
from varcomms import audience, pool, sources
from varcomms.config import Config
from varcomms.context import Context
from varcomms.editions import lint_edition, load_edition
from varcomms.editions.signoff import file_hash
from varcomms.errors import InputError
from varcomms.safefiles import UnsafePathError, check_inside, read_text_inside

SECRET = "SECRET-OUTSIDE-THE-FOLDER"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    secret = tmp_path / "elsewhere" / "secret.md"
    secret.parent.mkdir()
    secret.write_text(f"---\ntitle: x\n---\n{SECRET}\n", encoding="utf-8")
    return secret


def _link(path: Path, target: Path) -> None:
    path.unlink(missing_ok=True)
    path.symlink_to(target)


# Every content file of an edition, as a link to a file outside it.
EDITION_FILES = ["intro.md", "nieuws.md", "riec.md", "agenda.md", "thema-verward-gedrag.md"]


@pytest.mark.parametrize("name", EDITION_FILES)
def test_f5_a_symlinked_edition_file_is_refused_and_linted(
    ctx: Context, sample: Path, outside: Path, name: str
) -> None:
    _link(sample / name, outside)
    with pytest.raises(UnsafePathError) as caught:
        load_edition(ctx.config, "2022-01")
    assert f"{name}: is a symbolic link" in str(caught.value)
    assert SECRET not in str(caught.value)
    report = lint_edition(ctx, "2022-01")
    assert not report.ok
    (found,) = [f for f in report.findings if f.code == "unsafe-path"]
    assert found.file == name and "symbolic link" in found.message


def test_f5_a_symlinked_edition_yaml_is_refused(ctx: Context, sample: Path) -> None:
    other = sample.parent / "elders.yaml"
    shutil.copy(sample / "edition.yaml", other)
    _link(sample / "edition.yaml", other)  # a link even inside newsletters/ is refused
    with pytest.raises(UnsafePathError):
        load_edition(ctx.config, "2022-01")
    with pytest.raises(UnsafePathError):
        file_hash(sample, "edition.yaml")
    assert [f.code for f in lint_edition(ctx, "2022-01").findings] == ["unsafe-path"]


def test_f5_a_symlinked_edition_folder_is_refused(ctx: Context, sample: Path) -> None:
    real = sample.parent.parent / "real-2022-01"
    sample.rename(real)
    sample.symlink_to(real, target_is_directory=True)
    with pytest.raises(UnsafePathError, match="symbolic link"):
        load_edition(ctx.config, "2022-01")
    (found,) = lint_edition(ctx, "2022-01").findings
    assert found.code == "unsafe-path" and found.file == "2022-01"


def test_f5_an_unused_link_in_the_folder_is_still_reported(
    ctx: Context, sample: Path, outside: Path
) -> None:
    (sample / "bijlagen").mkdir()
    _link(sample / "bijlagen" / "notes.md", outside)
    report = lint_edition(ctx, "2022-01")
    assert [(f.code, f.file) for f in report.errors] == [("unsafe-path", "bijlagen/notes.md")]


def test_f5_a_fifo_or_device_is_not_read(ctx: Context, sample: Path) -> None:
    (sample / "intro.md").unlink()
    os.mkfifo(sample / "intro.md")  # would block a plain read forever
    with pytest.raises(UnsafePathError, match="not a regular file"):
        load_edition(ctx.config, "2022-01")


def test_f5_paths_out_of_the_root_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "x.md").write_text("x")
    for path in (root / ".." / "x.md", tmp_path / "x.md", Path("/etc/passwd")):
        with pytest.raises(UnsafePathError, match="outside"):
            read_text_inside(path, root)
    check_inside(root / "a" / "b.md", root)  # a plain path inside is fine


def test_f5_a_symlinked_segment_is_refused(project: Config, outside: Path) -> None:
    project.audiences_dir.mkdir(parents=True)
    (project.audiences_dir / "iedereen.yaml").write_text("rule: {language: nl}\n")
    _link(project.audiences_dir / "gelekt.yaml", outside)
    with pytest.raises(InputError, match=r"gelekt\.yaml: is a symbolic link"):
        audience.load_segment(project, "gelekt")
    with pytest.raises(InputError, match="symbolic link"):
        audience.load_segments(project)
    assert audience.load_segment(project, "iedereen").name == "iedereen"


def test_f5_a_symlinked_manual_item_is_skipped_with_a_warning(
    context: Context, tmp_path: Path, outside: Path
) -> None:
    folder = tmp_path / "handmatig"
    folder.mkdir()
    (folder / "goed.md").write_text(
        "---\ntitle: Goed bericht\ndate: 2022-01-20\n---\nTekst.\n", encoding="utf-8"
    )
    (folder / "gelekt.md").symlink_to(outside)
    with_sources(context, source("redactie", kind="manual", path=folder))
    report = sources.collect(context).source("redactie")
    assert any("gelekt.md: is a symbolic link" in warning for warning in report.warnings)
    titles = [item.title for item in pool.list_items(context.store, source="redactie")]
    assert titles == ["Goed bericht"]
    assert all(SECRET not in item.summary_html for item in pool.list_items(context.store))


# -- F17: YAML alias bombs and deep nesting --------------------------------------------


def bomb(levels: int = 5) -> str:
    """Nested lists of aliases: 9**levels leaves. The audit's 9 levels (2.2 GB before the
    fix) are tried once, on edition.yaml; elsewhere 5 levels, which the code before the
    fix still expands in finite time, so those tests fail there rather than exhaust memory.
    """
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels):
        aliases = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    return "\n".join(lines) + "\n"


DEEP = "x: " + "[" * 100 + "]" * 100 + "\n"


@pytest.mark.parametrize("payload", [bomb(), bomb(9), DEEP, "a: &a 1\nb: *a\n"])
def test_f17_edition_yaml_refuses_aliases_and_deep_nesting(
    ctx: Context, sample: Path, payload: str
) -> None:
    meta = sample / "edition.yaml"
    meta.write_text(meta.read_text(encoding="utf-8") + payload, encoding="utf-8")
    with pytest.raises(InputError, match=r"edition\.yaml:[0-9]+: (YAML aliases|nested more)"):
        load_edition(ctx.config, "2022-01")
    (found,) = lint_edition(ctx, "2022-01").findings
    assert found.code == "format" and found.file == "edition.yaml"
    with pytest.raises(InputError):
        file_hash(sample, "edition.yaml")


@pytest.mark.parametrize("payload", [bomb(), DEEP])
def test_f17_item_front_matter_refuses_aliases(ctx: Context, sample: Path, payload: str) -> None:
    nieuws = sample / "nieuws.md"
    text = nieuws.read_text(encoding="utf-8")
    nieuws.write_text(text + f"\n---\ntitle: bom\n{payload}---\nTekst.\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"nieuws\.md:[0-9]+: (YAML aliases|nested more)"):
        load_edition(ctx.config, "2022-01")


@pytest.mark.parametrize("payload", [bomb(), DEEP])
def test_f17_segments_refuse_aliases(project: Config, payload: str) -> None:
    project.audiences_dir.mkdir(parents=True)
    (project.audiences_dir / "bom.yaml").write_text(f"rule: {{language: nl}}\n{payload}")
    with pytest.raises(InputError, match=r"bom\.yaml:[0-9]+: (YAML aliases|nested more)"):
        audience.load_segment(project, "bom")
    with pytest.raises(InputError):
        audience.load_segments(project)


def test_f17_manual_items_refuse_aliases(context: Context, tmp_path: Path) -> None:
    folder = tmp_path / "handmatig"
    folder.mkdir()
    (folder / "bom.md").write_text(f"---\ntitle: Bom\n{bomb()}---\nTekst.\n", encoding="utf-8")
    with_sources(context, source("redactie", kind="manual", path=folder))
    report = sources.collect(context).source("redactie")
    assert any("bom.md:4: front matter: YAML aliases" in w for w in report.warnings), report


def test_f17_anchors_without_aliases_and_normal_files_still_read(
    ctx: Context, sample: Path
) -> None:
    meta = sample / "edition.yaml"
    meta.write_text(
        meta.read_text(encoding="utf-8").replace("kind: regular", "kind: &k regular"),
        encoding="utf-8",
    )
    assert load_edition(ctx.config, "2022-01").kind == "regular"
    assert not [f for f in lint_edition(ctx, "2022-01").findings if f.code == "format"]


@pytest.mark.parametrize("payload", [bomb(), "a: &a 1\nb: *a\n"])
def test_f17_plan_files_refuse_aliases(tmp_path: Path, payload: str) -> None:
    from varcomms.scheduler.plan import read_plan

    plan = tmp_path / "plan-2022.yaml"
    plan.write_text(f"year: 2022\n{payload}", encoding="utf-8")
    with pytest.raises(InputError, match=r"plan-2022\.yaml:[0-9]+: YAML aliases"):
        read_plan(plan)

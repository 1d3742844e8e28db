"""The Jinja2 environment: project templates first, packaged defaults behind them.

Like Pelican's theme loader, a file in the project's ``templates/`` folder (the
configured ``paths.templates``) replaces the packaged file of the same name, so an
editor can change one partial without copying the rest. Template errors become
:class:`~varcomms.errors.InputError` naming the template file and line.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import jinja2
from jinja2.ext import Extension

from varcomms.errors import InputError
from varcomms.render import dates, text

PACKAGED_TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE_SUFFIXES = (".j2", ".mjml", ".txt", ".html")


class OverrideLoader(jinja2.BaseLoader):
    """Templates from the first folder that has the file: project, then packaged.

    Its ``uptodate`` also notices an override that appears (or disappears) in an
    earlier folder, for environments that check; ours do not (see
    :func:`forget_templates`).
    """

    def __init__(self, folders: list[Path]) -> None:
        self.folders = folders

    def _find(self, name: str) -> Path | None:
        parts = [part for part in name.split("/") if part]
        if any(part in (".", "..") for part in parts):
            return None
        for folder in self.folders:
            candidate = folder.joinpath(*parts)
            if candidate.is_file():
                return candidate
        return None

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        path = self._find(template)
        if path is None:
            raise jinja2.TemplateNotFound(template)
        source = path.read_text(encoding="utf-8")
        mtime = path.stat().st_mtime

        def uptodate() -> bool:
            try:
                return self._find(template) == path and path.stat().st_mtime == mtime
            except OSError:
                return False

        return source, str(path), uptodate

    def list_templates(self) -> list[str]:
        names: set[str] = set()
        for folder in self.folders:
            if folder.is_dir():
                names.update(
                    p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
                )
        return sorted(names)


def _loader(project_dir: Path) -> jinja2.BaseLoader:
    return OverrideLoader([project_dir, PACKAGED_TEMPLATES])


class SourceMarks(Extension):
    """Marks every MJML tag in the template source with ``<!--@name:line-->``.

    Used only to locate an MJML error: the validator reports the mark in front of the
    bad tag, which names the template and the line it was written on.
    """

    _TAG = re.compile(r"<(?=/?mj(?:ml|-[a-z]))")

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if name is None or not name.endswith(".mjml.j2"):
            return source
        out: list[str] = []
        for number, line in enumerate(source.splitlines(keepends=True), start=1):
            out.append(self._TAG.sub(f"<!--@{name}:{number}--><", line))
        return "".join(out)


def _build(project_dir: Path, *, marked: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=_loader(project_dir),
        # Plain-text templates must not HTML-escape; everything else (MJML, macros) must.
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("mjml.j2", "html.j2", "mjml", "html"),
            disabled_extensions=("txt.j2", "txt"),
            default_for_string=True,
            default=True,
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=[SourceMarks] if marked else [],
        cache_size=400,
        # Each {% include %} would otherwise stat the template files again; the
        # preview calls forget_templates() when a file changes instead.
        auto_reload=False,
    )
    env.filters["heading"] = text.heading
    env.filters["wrap"] = text.wrap
    env.filters["as_text"] = text.html_to_text
    env.filters["number"] = dates.number
    return env


@lru_cache(maxsize=16)
def environment(project_dir: Path) -> jinja2.Environment:
    """The (cached) environment for one project; templates reload when files change."""
    return _build(project_dir, marked=False)


@lru_cache(maxsize=4)
def marked_environment(project_dir: Path) -> jinja2.Environment:
    """Like :func:`environment`, but MJML tags carry their template and line."""
    return _build(project_dir, marked=True)


def forget_templates(project_dir: Path) -> None:
    """Drop compiled templates, so the next render reads the files again."""
    for env in (environment(project_dir), marked_environment(project_dir)):
        if env.cache is not None:
            env.cache.clear()


def template_path(env: jinja2.Environment, name: str) -> Path:
    """Where the file of template ``name`` lives (project override or packaged)."""
    try:
        _, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
    except jinja2.TemplateNotFound:
        return Path(name)
    return Path(filename) if filename else Path(name)


def select(env: jinja2.Environment, names: list[str]) -> jinja2.Template:
    """The first template of ``names`` that exists."""
    with template_errors(env):
        return env.select_template(names)


@contextmanager
def template_errors(env: jinja2.Environment) -> Iterator[None]:
    """Turn Jinja errors into InputError with the template's file and line."""
    try:
        yield
    except jinja2.TemplatesNotFound as err:
        raise InputError(
            f"no template found (looked for {', '.join(map(str, err.templates))})",
            hint="add one to the project's templates/ folder or fix the edition's template",
        ) from err
    except jinja2.TemplateSyntaxError as err:
        path = err.filename or (template_path(env, err.name) if err.name else None)
        raise InputError(
            f"template syntax error: {err.message}", path=path, line=err.lineno
        ) from err
    except jinja2.TemplateError as err:
        path, line = _template_frame(err)
        raise InputError(
            f"template error: {err.message or err}",
            path=path,
            line=line,
            hint="check the variable names in the template against the edition",
        ) from err
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as err:
        path, line = _template_frame(err)
        if path is None:
            raise
        raise InputError(f"template error: {err}", path=path, line=line) from err


def _template_frame(err: BaseException) -> tuple[Path | None, int | None]:
    """The innermost traceback frame that belongs to a template (Jinja rewrites them)."""
    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        if frame.filename.endswith(TEMPLATE_SUFFIXES):
            return Path(frame.filename), frame.lineno
    return None, None

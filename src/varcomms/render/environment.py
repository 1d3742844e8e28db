"""The Jinja2 environment: project templates first, packaged defaults behind them.

Stock Jinja loaders, as Pelican does for themes: a file in the project's ``templates/``
folder (the configured ``paths.templates``) replaces the packaged file of the same name,
so an editor can change one partial without copying the rest; and every packaged
template is also reachable as ``!default/<name>``, so an override can extend the
template it replaces and change one block::

    {% extends "!default/email/newsletter.mjml.j2" %}
    {% block intro %}…{% endblock %}

The environments live on a :class:`Templates` object that the caller builds (once per
send, render run or preview) and passes in. Template errors become
:class:`~varcomms.errors.InputError` naming the template file and line.
"""

from __future__ import annotations

import os
import posixpath
import re
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

import jinja2
from jinja2.ext import Extension
from jinja2.loaders import split_template_path

from varcomms.errors import InputError
from varcomms.render import dates, text

PACKAGED_TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE_SUFFIXES = (".j2", ".mjml", ".txt", ".html")
# The prefix under which the packaged templates stay reachable from an override.
DEFAULT_PREFIX = "!default"


class _ProjectFirst(jinja2.FileSystemLoader):
    """``FileSystemLoader`` over (project, packaged) that also notices a new override.

    The stock up-to-date check only compares the found file's mtime, so a packaged
    template would stay in use after an editor adds an override for it; a long-running
    process (preview, scheduler) must switch to the override at its next render.
    """

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        pieces = split_template_path(template)
        # Where an override would be: the folders searched before the one that had it.
        earlier: list[str] = []
        for folder in self.searchpath:
            candidate = os.path.normpath(posixpath.join(folder, *pieces))
            if candidate == filename:
                break
            earlier.append(candidate)
        if not earlier:
            return source, filename, uptodate
        return source, filename, lambda: uptodate() and not any(map(os.path.isfile, earlier))


def template_loader(project_dir: Path) -> jinja2.BaseLoader:
    """The project's folder before the packaged one; ``!default/…`` is packaged only."""
    return jinja2.ChoiceLoader(
        [
            _ProjectFirst([project_dir, PACKAGED_TEMPLATES]),
            jinja2.PrefixLoader({DEFAULT_PREFIX: jinja2.FileSystemLoader(PACKAGED_TEMPLATES)}),
        ]
    )


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


def _build(project_dir: Path, *, marked: bool, watch: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=template_loader(project_dir),
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
        # A watching holder (the preview) sees edited templates at its next render: each
        # lookup then stats the files, a few dozen stats per email. A unit of work (a
        # send, a review, a render run) reads the files once, when it starts.
        auto_reload=watch,
    )
    env.filters["heading"] = text.heading
    env.filters["wrap"] = text.wrap
    env.filters["as_text"] = text.html_to_text
    env.filters["number"] = dates.number
    return env


class Templates:
    """The Jinja environments of one project's templates folder.

    Build one per unit of work (a send, a render run, a review) and pass it where
    rendering happens: it compiles each template once. A long-running process that
    should notice edited, added or removed templates between renders (the preview)
    builds it with ``watch=True`` (Jinja's ``auto_reload``).
    """

    def __init__(self, project_dir: Path, *, watch: bool = False) -> None:
        self.project_dir = project_dir
        self.watch = watch
        self.environment = _build(project_dir, marked=False, watch=watch)

    @cached_property
    def marked(self) -> jinja2.Environment:
        """Like :attr:`environment`, but MJML tags carry their template and line.

        Built on first use only: it is needed only to locate an MJML error.
        """
        return _build(self.project_dir, marked=True, watch=self.watch)

    def path(self, name: str) -> Path:
        """Where the file of template ``name`` lives (project override or packaged)."""
        return template_path(self.environment, name)


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

"""The file `varcomms demo` tells you to open shows the email as a reader sees it (U5)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tests.render.conftest import Project


def test_the_demo_links_to_a_page_without_placeholders(project: Project, tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    result = project.run("demo", "--out", str(folder), env={"COLUMNS": "80"})
    assert result.returncode == 0, result
    # The row's cell, folded over several lines in an 80-column terminal: join it.
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "open (algemeen)" in line)
    cell = ""
    for line in lines[start:]:
        parts = line.split("│")
        if len(parts) < 4 or (cell and parts[1].strip()):
            break
        cell += parts[2].strip()
    assert cell.startswith("file://"), cell
    page = Path(unquote(urlsplit(cell).path))
    assert page.is_file(), page
    html = page.read_text(encoding="utf-8")
    assert "%%VARCOMMS_" not in html
    assert "Beste lezer," in html
    assert re.search(r'href="https://[^"]+/afmelden"', html)

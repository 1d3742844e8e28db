"""Split a section file into front matter blocks, each with its Markdown and its lines.

A section file reads like this (the header block is optional)::

    ---
    section: Nieuws
    ---
    Optional introduction of the section.

    ---
    title: First item
    link: https://veiligheidsalliantie.nl/nieuws/...
    ---
    The item's summary, in Markdown.

Every line that is exactly ``---`` is a delimiter; they pair up as opening and closing
fence of a YAML block, and the text after a closing fence is that block's Markdown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from varcomms.errors import InputError

FENCE = "---"


@dataclass(frozen=True)
class Block:
    line: int  # file line of the opening fence (1-based)
    yaml_text: str
    body: str
    body_line: int  # file line where the Markdown starts


def split_blocks(text: str, path: Path) -> list[Block]:
    lines = text.splitlines()
    fences = [number for number, line in enumerate(lines) if line.rstrip() == FENCE]
    before = lines[: fences[0]] if fences else lines
    stray = next((n for n, line in enumerate(before) if line.strip()), None)
    if stray is not None:
        raise InputError(
            "text before the first '---' block",
            path=path,
            line=stray + 1,
            hint="every item starts with a front matter block between two '---' lines",
        )
    if len(fences) % 2:
        raise InputError(
            "front matter block is not closed with '---'",
            path=path,
            line=fences[-1] + 1,
            hint="a line of exactly '---' opens and closes each block; "
            "use '***' for a horizontal rule in Markdown",
        )
    blocks: list[Block] = []
    for index in range(0, len(fences), 2):
        opening, closing = fences[index], fences[index + 1]
        following = fences[index + 2] if index + 2 < len(fences) else len(lines)
        blocks.append(
            Block(
                line=opening + 1,
                yaml_text="\n".join(lines[opening + 1 : closing]),
                body="\n".join(lines[closing + 1 : following]).strip("\n"),
                body_line=closing + 2,
            )
        )
    return blocks

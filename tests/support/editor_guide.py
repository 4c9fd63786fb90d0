"""The editor guide's worked example, read from docs/editor-guide.md itself,
so the guide and the tests that run it cannot drift apart.

The section's fenced blocks, in order, are the steps:

- ```sh: commands, one a line; ```sh fejler: the command must fail
  (the first `kommunebot check`, with the scaffold's markers left in);
- ```text slet=PATH: lines the editor deletes from that file;
- ```text uddata: lines the command before it prints (line numbers may differ);
- ```yaml fil=PATH: the whole file the editor writes;
- ```text borger: what the guide tells the editor to write in the chat.

The info string after the language is not shown when the Markdown is
rendered, so the reader sees ordinary code blocks.
"""

from __future__ import annotations

import re
import shlex
import textwrap
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from bot.settings import PROJECT_ROOT

GUIDE = PROJECT_ROOT / "docs" / "editor-guide.md"
SECTION = "## Gennemgået eksempel"
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>\w*)(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=indent)```", re.M | re.S)


@dataclass(frozen=True)
class Block:
    lang: str
    info: str
    body: str


def worked_example(guide: Path = GUIDE) -> tuple[str, list[Block]]:
    """The example's section text and its fenced blocks, dedented."""
    text = guide.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.index("\n## ", start + len(SECTION))
    section = text[start:end]
    blocks = [Block(m["lang"], m["info"].strip(), textwrap.dedent(m["body"])) for m in FENCE.finditer(section)]
    return section, blocks


def topic_key(blocks: list[Block]) -> str:
    return next(
        shlex.split(line)[-1]
        for b in blocks
        if b.lang == "sh"
        for line in b.body.splitlines()
        if line.startswith("kommunebot topic new")
    )


def _pattern(line: str) -> re.Pattern:
    """A printed line as the guide shows it, any line number."""
    return re.compile(re.sub(r":\d+:", r":\\d+:", re.escape(line), count=1))


def run(root: Path, blocks: list[Block], skip: tuple[str, ...] = (), rasa_check: bool = True):
    """Do every step against the copy of the project at ``root``; yields
    (command, result) after each command. Commands starting with a word in
    ``skip`` are not run (e.g. train and eval in the fast test)."""
    from bot.cli import main as cli

    runner = CliRunner()
    last = None
    for block in blocks:
        if block.lang == "yaml" and block.info.startswith("fil="):
            path = root / block.info.removeprefix("fil=")
            path.write_text(block.body, encoding="utf-8")
        elif block.lang == "text" and block.info.startswith("slet="):
            path = root / block.info.removeprefix("slet=")
            gone = {line.strip() for line in block.body.splitlines() if line.strip()}
            lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
            kept = [line for line in lines if line.strip() not in gone]
            assert len(lines) - len(kept) == len(gone), f"{path}: the lines to delete are not all there"
            path.write_text("".join(kept), encoding="utf-8")
        elif block.lang == "text" and block.info == "uddata":
            assert last is not None, "an output block before any command"
            for line in block.body.strip().splitlines():
                assert _pattern(line).search(last.output), f"the guide shows {line!r}, the tool printed:\n{last.output}"
        elif block.lang == "sh":
            for line in block.body.strip().splitlines():
                words = shlex.split(line)
                assert words[0] == "kommunebot", f"the example runs only kommunebot, not {line!r}"
                if words[1] in skip:
                    continue
                if words[1] == "check" and not rasa_check:
                    words.append("--skip-rasa")
                last = runner.invoke(cli, [*words[1:], "--root", str(root)])
                should_fail = block.info == "fejler"
                assert (last.exit_code != 0) == should_fail, f"{line}: exit {last.exit_code}\n{last.output}"
                yield line, last

"""Blocks of the docs that are rendered from the code, so they cannot drift.

A block is the text between a ``<!-- NAME:start -->`` and a
``<!-- NAME:end -->`` line of a Markdown file. scripts/bench_report.py
renders the README's bench table this way, scripts/docs_tables.py the
command and settings tables of docs/operations.md; its ``--check``, which
tests/unit/test_docs.py runs, says which file is stale without writing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path


class BlockError(ValueError):
    """The markers are missing, doubled or in the wrong order; the message names the file."""


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def replace_block(text: str, name: str, block: str, source: str) -> str:
    """``text`` with what lies between NAME's markers replaced by ``block``."""
    start, end = markers(name)
    starts, ends = text.count(start), text.count(end)
    if starts != 1 or ends != 1:
        raise BlockError(f"{source}: needs exactly one '{start}' and one '{end}' line (found {starts} and {ends})")
    head, rest = text.split(start, 1)
    if end not in rest:
        raise BlockError(f"{source}: '{end}' comes before '{start}'")
    _old, tail = rest.split(end, 1)
    return f"{head}{start}\n{block}{end}{tail}"


def write_atomically(path: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    # mkstemp makes the file 0600; the docs and the chart are for everyone.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def update(path: Path, blocks: Mapping[str, str], check: bool = False) -> bool:
    """Put each rendered block (by name) into ``path``; True when the file
    was out of date. With ``check`` the file is only compared, never written."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BlockError(f"{path}: no such file") from None
    updated = text
    for name, block in blocks.items():
        updated = replace_block(updated, name, block, str(path))
    if updated == text:
        return False
    if not check:
        write_atomically(path, updated.encode("utf-8"))
    return True

"""Editing a copy of the knowledge folder (the ``kdir`` fixture in
tests/conftest.py), for tests of what the loader and `kommunebot check` say
about a mistake."""

from __future__ import annotations


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")

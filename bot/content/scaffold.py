"""`kommunebot topic new` and `kommunebot municipality new`: every file a
new errand or municipality needs, with UDFYLD ("fill in") markers `check` refuses.

All or nothing: every target is checked first, the files are written
under temporary names and renamed at the end, so a failure leaves no
half-made errand behind.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.content.heldout import MIN_ERRAND_MESSAGES, messages_file
from bot.knowledge.yaml_lines import load_yaml

KEY = re.compile(r"^[a-z][a-z0-9_]{1,29}$")
MUNICIPALITY_KEY = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), undefined=StrictUndefined, keep_trailing_newline=True
)


class ScaffoldError(ValueError):
    """An English message naming the field, for the CLI."""


def _render(template: str, **values) -> str:
    return _templates.get_template(template).render(
        today=dt.date.today().isoformat(), min_messages=MIN_ERRAND_MESSAGES, **values
    )


def _write_all(new: dict[Path, str], changed: dict[Path, str] | None = None) -> list[Path]:
    """Create the ``new`` files (none may exist yet) and replace the ``changed`` ones."""
    for path in new:
        if path.exists():
            raise ScaffoldError(f"{path}: already exists; choose another name or edit the file")
    files = {**new, **(changed or {})}
    temporary = {}
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.new")
            tmp.write_text(text, encoding="utf-8")
            temporary[tmp] = path
        for tmp, path in temporary.items():
            os.replace(tmp, path)
    finally:
        for tmp in temporary:
            tmp.unlink(missing_ok=True)
    return list(files)


def _domain_with_intent(domain: Path, key: str) -> str:
    """domain.yml with the intent added at the top of 'intents:', comments kept."""
    data = load_yaml(domain, "domain.yml") or {}
    intents = data.get("intents") or []
    if key in intents:
        raise ScaffoldError(f"name: an intent {key!r} already exists in domain.yml")
    lines = domain.read_text(encoding="utf-8").splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.rstrip() == "intents:":
            indent = "  "
            for following in lines[index + 1 :]:
                if following.strip().startswith("- "):
                    indent = following[: len(following) - len(following.lstrip())]
                    break
            lines.insert(index + 1, f"{indent}- {key}\n")
            return "".join(lines)
    raise ScaffoldError("domain.yml: no 'intents:' list found")


def new_topic(root: Path, key: str, name: str | None = None) -> list[Path]:
    key = (key or "").strip().lower()
    if not KEY.match(key):
        raise ScaffoldError("name: use 2-30 characters, a-z, 0-9 and _, starting with a letter (e.g. flytning)")
    name = (name or key.replace("_", " ")).strip()
    domain = root / "domain.yml"
    files = {
        root / "knowledge" / "national" / f"{key}.yml": _render("topic_knowledge.yml.j2", key=key, name=name),
        root / "data" / "nlu" / f"{key}.yml": _render("topic_nlu.yml.j2", key=key, name=name),
        root / "data" / "rules" / f"{key}.yml": _render("topic_rule.yml.j2", key=key, name=name),
        root / "tests" / "stories" / f"test_{key}.yml": _render("topic_story.yml.j2", key=key, name=name),
        messages_file(root, key): _render("topic_heldout.yml.j2", key=key, name=name),
    }
    return _write_all(files, {domain: _domain_with_intent(domain, key)})


def new_municipality(root: Path, key: str, name: str, website: str) -> list[Path]:
    key = (key or "").strip().lower()
    if not MUNICIPALITY_KEY.match(key):
        raise ScaffoldError("name: use 2-40 characters, a-z, 0-9 and -, starting with a letter (e.g. odense)")
    if not name or not name.strip():
        raise ScaffoldError("--name: give the municipality's name, e.g. 'Odense Kommune'")
    if not re.match(r"^https://[A-Za-z0-9.-]+\.[a-z]{2,}/?$", website or ""):
        raise ScaffoldError("--website: give the municipality's https address, e.g. https://www.odense.dk")
    path = root / "knowledge" / "municipalities" / f"{key}.yml"
    return _write_all({path: _render("municipality.yml.j2", key=key, name=name.strip(), website=website)})

"""A module of scripts/ loaded by its file, for the tests of its pure parts."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from bot.settings import PROJECT_ROOT


def script(name: str) -> ModuleType:
    """scripts/NAME.py as a module. That folder is not put on sys.path,
    where its profile.py would shadow the standard library's."""
    spec = importlib.util.spec_from_file_location(name, PROJECT_ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # bench.py imports bench_report by this name
    spec.loader.exec_module(module)
    return module

"""The Rasa internals the glue replaces, pinned to the source they were read in.

Each shim in glue/ (action_validation.py, speedups.py, action_endpoint.py)
replaces a function of Rasa's after reading it in the pinned version. A
newer Rasa may change that function so that the replacement no longer
does the same thing; ``check`` makes the server refuse to start then,
naming the function, instead of running a shim written for other code.
The digests are of the function's source text (``inspect.getsource``).
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable

import rasa

PINNED_RASA = "3.6.21"


class RasaChanged(RuntimeError):
    """A patched Rasa function is not the one its shim was written for."""


def source_digest(function: Callable) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


def check(function: Callable, digest: str, shim: str) -> None:
    """Raise unless ``function`` is the pinned Rasa's, source for source."""
    if rasa.__version__ != PINNED_RASA:
        raise RasaChanged(
            f"{shim} was written for Rasa {PINNED_RASA}, this is Rasa {rasa.__version__}: "
            f"re-read {function.__qualname__} and update the shim and its digest"
        )
    found = source_digest(function)
    if found != digest:
        raise RasaChanged(
            f"{shim}: Rasa's {function.__module__}.{function.__qualname__} changed "
            f"(source digest {found}, the shim was written for {digest}); re-read it and update the shim"
        )

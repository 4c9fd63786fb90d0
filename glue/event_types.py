"""Look up Rasa's event classes by name once, not once per event.

Rasa 3.6 resolves every stored event's class by walking all subclasses of
``Event`` and checking each one's ``type_name``; a tracker is rebuilt from
its events on every message, so that walk ran thousands of times per
message in a long conversation: 12 % of the Rasa server's time at turns
1-40 (py-spy, scripts/profile.py --long). The classes found are kept by
name; an unknown name is not kept, so a class defined later is still found.
"""

from __future__ import annotations

from rasa.shared.core import events

_rasa_resolve = events.Event.resolve_by_type
_found: dict[str, type] = {}


def resolve_by_type(type_name, default=None):
    found = _found.get(type_name)
    if found is None:
        found = _rasa_resolve(type_name, default)
        if found is not None and found is not default:
            _found[type_name] = found
    return found


def install() -> None:
    events.Event.resolve_by_type = staticmethod(resolve_by_type)

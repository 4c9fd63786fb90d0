"""Validate action-server responses as Rasa does, at a fraction of its cost.

Rasa 3.6 validates every custom-action response against
``RemoteAction.action_response_format_spec()`` with ``jsonschema.validate``
(``RemoteAction._validate_action_result``). Two costs of that are not paid
here:

- ``jsonschema.validate`` re-checks the constant schema against the
  meta-schema on every call (about 40 % of the Rasa server's CPU under
  load on two cores): the validator is built once.
- Each event is tried against all 23 branches of the event schema's
  ``oneOf`` (7 % of the Rasa server with 10 users, after the first fix).
  Every branch fixes ``event`` to a different constant and ``event`` is
  required, so an event can only ever match the branch named by its
  ``event``: exactly one branch matches if and only if that branch does.
  Each event is therefore checked against its own branch (with the
  schema's common part) first.

- Even one branch costs about 30 microseconds an event, and a response
  carries a SlotSet for each slot it changes and a FollowupAction: about
  half a millisecond a turn (557 microseconds for a nine-event response,
  2026-12-07), 3-6 % of the Rasa server with 10 users (py-spy). The
  branches only use ``type``, ``properties``, ``required`` and ``const``,
  and no ``additionalProperties``, so whether an event is valid depends
  only on its keys, on the JSON type of the values whose schema is a
  ``type``, and on the values whose schema is a ``const``: a slot's value
  is not constrained at all. An event's *shape* keeps exactly that (never
  a slot's value, so no citizen's name or number is kept), and a shape
  that was found valid once is valid for every event that has it. Valid
  shapes are kept (a few dozen in practice; at most ``MAX_SHAPES``). A
  branch that uses any other keyword, or a value the shape cannot stand
  for, is checked every time.

A response that passes the per-event check is valid under Rasa's schema
by the arguments above. Anything else, an unknown event name included, is
validated by the whole schema exactly as before, so an invalid response
raises the same ``ValidationError`` with the same message as in Rasa.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

from glue.rasa_pin import check

# Rasa's own, kept before install() replaces it, and the digest of the
# source this module was written against (glue/rasa_pin.py).
_rasa_validate = RemoteAction._validate_action_result
_RASA_VALIDATE = "f8cdb4be68123961"
_RASA_SPEC = "091b74aa3738d126"  # RemoteAction.action_response_format_spec


def _build(schema: dict):
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@lru_cache(maxsize=1)
def _validator():
    return _build(RemoteAction.action_response_format_spec())


def _event_schema() -> tuple[dict, list[dict]]:
    """Rasa's schema of one event: the part common to all events, and the
    ``oneOf`` branches, one per event name."""
    items = RemoteAction.action_response_format_spec()["properties"]["events"]["items"]
    return {key: value for key, value in items.items() if key != "oneOf"}, items["oneOf"]


@lru_cache(maxsize=1)
def _fast() -> tuple[Any, dict[str, Any]]:
    """A validator of the response with its events only required to be an
    array, and one validator per event name: the event schema without its
    ``oneOf``, and with the one branch whose ``event`` constant is that name."""
    spec = RemoteAction.action_response_format_spec()
    events = spec["properties"]["events"]
    common, branches = _event_schema()
    outer = {**spec, "properties": {**spec["properties"], "events": {k: v for k, v in events.items() if k != "items"}}}
    by_name = {}
    for branch in branches:
        name = branch["properties"]["event"]["const"]
        if name in by_name:  # the argument in the module docstring needs distinct names
            raise ValueError(f"two event schemas for {name!r}")
        by_name[name] = _build({**common, "allOf": [branch]})
    return _build(outer), by_name


# Keywords the shape argument (module docstring) covers, in the schema
# common to all events and in each event's branch.
_SHAPE_KEYWORDS = frozenset({"type", "properties", "required", "const"})
# A bound on the valid shapes kept: the slots of the domain times the
# event kinds the actions return, with room for JSON types; beyond it new
# shapes are still validated, only not kept.
MAX_SHAPES = 512
_valid_shapes: set[tuple] = set()
_ANY, _TYPE, _VALUE = "any", "type", "value"


@lru_cache(maxsize=1)
def _shape_rules() -> dict[str, dict[str, str]]:
    """Per event name whose schema the shape argument covers: how each
    named property enters the shape (a property not named is unconstrained)."""
    common, branches = _event_schema()
    rules = {}
    for branch in branches:
        if not set(common) | set(branch) <= _SHAPE_KEYWORDS:
            continue
        merged: dict[str, list[dict]] = {}
        for part in (common, branch):
            for name, sub in part.get("properties", {}).items():
                merged.setdefault(name, []).append(sub)
        rule = {}
        for name, subs in merged.items():
            keywords = set().union(*subs)
            if not keywords:
                rule[name] = _ANY
            elif keywords == {"type"}:
                rule[name] = _TYPE
            elif keywords <= {"type", "const"}:
                rule[name] = _VALUE
            else:
                break
        else:
            rules[branch["properties"]["event"]["const"]] = rule
    return rules


def _json_type(value: Any) -> str | None:
    """The JSON type as jsonschema tells types apart; an integral float is
    its own type, since ``integer`` accepts it and ``number`` too."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integral float" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return None


def _shape(name: str, event: dict) -> tuple | None:
    """What the event's validity depends on, or None when that is more
    than the shape can stand for."""
    rule = _shape_rules().get(name)
    if rule is None:
        return None
    parts = []
    for key, value in event.items():
        how = rule.get(key, _ANY) if isinstance(key, str) else None
        if how == _ANY:
            parts.append((key, _ANY))
        elif how == _TYPE and (kind := _json_type(value)) is not None:
            parts.append((key, kind))
        elif how == _VALUE and isinstance(value, (str, int, float, bool, type(None))):
            parts.append((key, _json_type(value), value))
        else:
            return None
    return (name, tuple(sorted(parts, key=lambda part: part[0])))


def _valid_by_event_name(result: Any) -> bool:
    """True only when Rasa's schema accepts ``result`` (see the module)."""
    outer, by_name = _fast()
    if not outer.is_valid(result):
        return False
    for event in result.get("events", ()) if isinstance(result, dict) else ():
        name = event.get("event") if isinstance(event, dict) else None
        validator = by_name.get(name) if isinstance(name, str) else None
        if validator is None:
            return False
        shape = _shape(name, event)
        if shape is not None and shape in _valid_shapes:
            continue
        if not validator.is_valid(event):
            return False
        if shape is not None and len(_valid_shapes) < MAX_SHAPES:
            _valid_shapes.add(shape)
    return True


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    if _valid_by_event_name(result):
        return True
    error = best_match(_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the "
        f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    check(_rasa_validate, _RASA_VALIDATE, __name__)
    check(RemoteAction.action_response_format_spec, _RASA_SPEC, __name__)
    RemoteAction._validate_action_result = validate_action_result


__all__ = ["ValidationError", "install", "validate_action_result"]

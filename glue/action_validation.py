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

A response that passes the per-event check is valid under Rasa's schema
by the argument above. Anything else, an unknown event name included, is
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


@lru_cache(maxsize=1)
def _fast() -> tuple[Any, dict[str, Any]]:
    """A validator of the response with its events only required to be an
    array, and one validator per event name: the event schema without its
    ``oneOf``, and with the one branch whose ``event`` constant is that name."""
    spec = RemoteAction.action_response_format_spec()
    events = spec["properties"]["events"]
    common = {key: value for key, value in events["items"].items() if key != "oneOf"}
    outer = {**spec, "properties": {**spec["properties"], "events": {k: v for k, v in events.items() if k != "items"}}}
    by_name = {}
    for branch in events["items"]["oneOf"]:
        name = branch["properties"]["event"]["const"]
        if name in by_name:  # the argument in the module docstring needs distinct names
            raise ValueError(f"two event schemas for {name!r}")
        by_name[name] = _build({**common, "allOf": [branch]})
    return _build(outer), by_name


def _valid_by_event_name(result: Any) -> bool:
    """True only when Rasa's schema accepts ``result`` (see the module)."""
    outer, by_name = _fast()
    if not outer.is_valid(result):
        return False
    for event in result.get("events", ()) if isinstance(result, dict) else ():
        name = event.get("event") if isinstance(event, dict) else None
        validator = by_name.get(name) if isinstance(name, str) else None
        if validator is None or not validator.is_valid(event):
            return False
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

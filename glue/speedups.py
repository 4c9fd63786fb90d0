"""Two of Rasa 3.6's per-message costs that need not be paid per message.

Both were found with py-spy under load (scripts/profile.py); each patch
keeps Rasa's result and only stops recomputing it.

- Event classes by name: every stored event's class is resolved by
  walking all subclasses of ``Event``; a tracker is rebuilt from its
  events on every message, so the walk ran thousands of times per message
  in a long conversation (12 % of the Rasa server at turns 1-40). Classes
  found are kept by name; an unknown name is not kept, so a class defined
  later is still found.
- The graph's minimal schema: each NLU parse and policy prediction asks
  the model graph which nodes its targets need, a recursion over every
  path of the graph (5 % of the Rasa server with 10 users). The graph of a
  loaded model does not change, so the answer is kept per graph and targets.
"""

from __future__ import annotations

from rasa.engine.graph import GraphSchema
from rasa.shared.core import events

from glue.rasa_pin import check

_rasa_resolve = events.Event.resolve_by_type
_rasa_minimal = GraphSchema.minimal_graph_schema
# Rasa's two functions, with the digest of the source the patches were
# written against (glue/rasa_pin.py).
_PINNED = ((_rasa_resolve, "b5cf570fa7f286c7"), (_rasa_minimal, "58dfb30335499fff"))
_found: dict[str, type] = {}
_MINIMAL = "_kommunebot_minimal_schemas"


def resolve_by_type(type_name, default=None):
    found = _found.get(type_name)
    if found is None:
        found = _rasa_resolve(type_name, default)
        if found is not None and found is not default:
            _found[type_name] = found
    return found


def minimal_graph_schema(self: GraphSchema, targets=None) -> GraphSchema:
    kept = self.__dict__.setdefault(_MINIMAL, {})
    key = tuple(targets) if targets else None
    if key not in kept:
        kept[key] = _rasa_minimal(self, targets)
    return kept[key]


def install() -> None:
    for function, digest in _PINNED:
        check(function, digest, __name__)
    events.Event.resolve_by_type = staticmethod(resolve_by_type)
    GraphSchema.minimal_graph_schema = minimal_graph_schema

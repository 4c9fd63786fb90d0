"""Six of Rasa 3.6's per-message costs that need not be paid per message.

Each was found with py-spy under load (scripts/profile.py); each patch
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
- A tracker's past states: RulePolicy featurizes the same tracker twice
  per prediction (with the last message's text, then with its intent),
  each time replaying every event of the window into a fresh tracker copy
  (``generate_all_prior_trackers``); the states, 11 % of the Rasa server
  with 10 users (issue 24), depend only on the events and the arguments.
  They are kept on the tracker for its events as they are (their number
  and the last one), and every caller gets its own copy, since the
  featurizer edits the last state in place.
- Deep copies for debug logs: the processor and the two policies deep-copy
  the events, slots and states of every turn only to pass the copies to a
  ``structlogger.debug`` call, which drops them unless the server logs at
  debug level (3 % of a full turn in-process: cProfile, canned messages,
  2026-12-07). Their modules are given a ``copy`` whose ``deepcopy``
  copies only when debug logging is on; tests/unit/test_glue.py checks
  that every ``copy.`` in those modules is such a debug argument.
- The turn's first prediction: after a message, outside the callback
  form, the policies ran the model graph (dask, RulePolicy and
  MemoizationPolicy over the tracker's states) to choose the one action
  that every rule and story puts after the message's intent (13 % of the
  Rasa server with 10 users: py-spy, 2026-12-07). Nothing else of the
  tracker can change that choice while no loop is active: no rule or
  story puts two actions after one intent or reads a slot, and a turn
  action hands the turn back with ``FollowupAction("action_listen")``
  (actions/actions.py). tests/unit/test_glue.py checks that of
  data/ and config.yml, and tests/system/test_tracker_window.py that the
  server's choices are the policies'. So the policies' prediction is made
  once per intent and loaded model, on the first such message, and each
  later one gets a copy of it: the same action, policy, confidence and
  events, so the stored tracker is what it was.
- Copying a tracker: ``DialogueStateTracker.copy`` builds a fresh tracker
  and replays every event into it, and the processor copies the tracker
  before each action it runs (two per turn), 70-110 microseconds each on
  the recorded trackers, most of it copying and resetting every slot (3 %
  of the Rasa server with 10 users: py-spy, 2026-12-07); this copy takes 9.
  A tracker's state must be what replaying its events gives (Rasa's own
  rule for the tracker, and how this project's tracker store builds every
  tracker it retrieves), so the copy takes the state as it is: the
  events, a shallow copy of each slot (as Rasa's ``init_copy`` makes
  them, without the reset), the latest message, action and bot utterance,
  the follow-up action, the pause and a copy of the active loop. What
  ``init_copy`` leaves out (the sender source, model and assistant ids)
  stays out. A tracker whose event history is capped
  (``max_event_history``), whose state a replay of the kept events would
  not give, or whose slots are not the domain's, is copied by Rasa.
"""

from __future__ import annotations

import copy as _copy
import dataclasses
import logging
from collections import deque

import structlog
from rasa.core import processor
from rasa.core.policies import memoization, rule_policy
from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.graph import GraphSchema
from rasa.shared.constants import DEFAULT_SENDER_ID
from rasa.shared.core import events
from rasa.shared.core.trackers import AnySlotDict, DialogueStateTracker

from glue.rasa_pin import check

_rasa_resolve = events.Event.resolve_by_type
_rasa_minimal = GraphSchema.minimal_graph_schema
_rasa_past_states = DialogueStateTracker.past_states
_rasa_predict_next = processor.MessageProcessor._predict_next_with_tracker
_rasa_copy = DialogueStateTracker.copy
# Rasa's functions, with the digest of the source the patches were written
# against (glue/rasa_pin.py); the tracker's constructor, init_copy, replay
# and reset are what the copy's argument rests on.
_PINNED = (
    (_rasa_resolve, "b5cf570fa7f286c7"),
    (_rasa_minimal, "58dfb30335499fff"),
    (_rasa_past_states, "5463eefb5c69d27f"),
    (_rasa_predict_next, "111a9023a5bcb32d"),
    (_rasa_copy, "dfa48dca9f355ad1"),
    (DialogueStateTracker.travel_back_in_time, "09d16f28f007492f"),
    (DialogueStateTracker.init_copy, "429fcd2243b9e0e1"),
    (DialogueStateTracker.__init__, "8f39eb22462aa62b"),
    (DialogueStateTracker._reset, "190858eaf560a0c0"),
)
_found: dict[str, type] = {}
_MINIMAL = "_kommunebot_minimal_schemas"
_STATES = "_kommunebot_past_states"
_FIRST = "_kommunebot_first_predictions"


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


def past_states(
    self: DialogueStateTracker,
    domain,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data=None,
):
    history = self.events
    # The events as they are: appending changes the count, and a tracker
    # whose events are replaced is a new object.
    seen = (len(history), id(history[-1]) if history else None)
    kept = self.__dict__.get(_STATES)
    if kept is None or kept[0] != seen:
        kept = (seen, {})
        self.__dict__[_STATES] = kept
    # The domain and the rules' data live as long as the loaded model.
    key = (id(domain), omit_unset_slots, ignore_rule_only_turns, id(rule_only_data))
    states = kept[1].get(key)
    if states is None:
        states = _rasa_past_states(self, domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        kept[1][key] = states
    # A state maps names to sub-states of strings and tuples: two levels
    # copy it whole.
    return [{name: dict(sub) for name, sub in state.items()} for state in states]


def message_intent(tracker: DialogueStateTracker) -> str | None:
    """The intent of the message a turn's first prediction is for: the last
    event is the message, or the slots Rasa extracted from it. None for any
    later prediction of the turn."""
    for event in reversed(tracker.events):
        if isinstance(event, events.SlotSet):
            continue
        return event.intent_name if isinstance(event, events.UserUttered) else None
    return None


def predict_next_with_tracker(self: processor.MessageProcessor, tracker: DialogueStateTracker) -> PolicyPrediction:
    intent = None if tracker.followup_action or tracker.active_loop_name else message_intent(tracker)
    if not intent:
        return _rasa_predict_next(self, tracker)
    # Kept on the processor, which lives as long as its loaded model.
    made = self.__dict__.setdefault(_FIRST, {})
    prediction = made.get(intent)
    if prediction is None:
        prediction = made[intent] = _rasa_predict_next(self, tracker)
    # The processor adds the prediction's events to the tracker: each turn
    # gets its own lists.
    kept = _copy.copy(prediction)
    kept.events = list(prediction.events)
    kept.optional_events = list(prediction.optional_events)
    return kept


# The modules whose every use of ``copy`` is a debug log's argument.
DEBUG_COPY_MODULES = (processor, memoization, rule_policy)
# structlog's level filters (Rasa's configure_structlog sets one of them,
# from the server's log level) that drop debug calls.
_ABOVE_DEBUG = frozenset(
    structlog.make_filtering_bound_logger(level)
    for level in (logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL)
)


def _copy_slot(slot):
    """``copy.copy`` of a slot (a plain object: no ``__copy__``, no
    ``__slots__``, no ``__reduce__`` of its own), without copy's protocol."""
    copied = object.__new__(type(slot))
    copied.__dict__.update(slot.__dict__)
    return copied


def copy_tracker(self: DialogueStateTracker) -> DialogueStateTracker:
    """Rasa's copy of the tracker without replaying its events (see the
    module): the attributes ``__init__`` (by ``init_copy``) and the replay
    leave on the copy, set from the tracker's state."""
    if self._max_event_history is not None or isinstance(self.slots, AnySlotDict):
        return _rasa_copy(self)
    tracker = DialogueStateTracker.__new__(DialogueStateTracker)
    tracker.__dict__.update(
        _max_event_history=None,
        events=deque(self.events),
        sender_id=self.sender_id or DEFAULT_SENDER_ID,
        slots={name: _copy_slot(slot) for name, slot in self.slots.items()},
        sender_source=None,
        is_rule_tracker=self.is_rule_tracker,
        _paused=self._paused,
        followup_action=self.followup_action,
        latest_action=dict(self.latest_action) if self.latest_action is not None else None,
        latest_message=self.latest_message,
        latest_bot_utterance=self.latest_bot_utterance,
        active_loop=dataclasses.replace(self.active_loop) if self.active_loop is not None else None,
        model_id=None,
        assistant_id=None,
    )
    return tracker


def debug_logged() -> bool:
    return structlog.get_config()["wrapper_class"] not in _ABOVE_DEBUG


class CopyForDebugLogs:
    """``copy`` for modules that deep-copy only what they log at debug level."""

    copy = staticmethod(_copy.copy)

    @staticmethod
    def deepcopy(value, memo=None):
        return _copy.deepcopy(value, memo) if debug_logged() else value


def install() -> None:
    for function, digest in _PINNED:
        check(function, digest, __name__)
    events.Event.resolve_by_type = staticmethod(resolve_by_type)
    GraphSchema.minimal_graph_schema = minimal_graph_schema
    DialogueStateTracker.past_states = past_states
    processor.MessageProcessor._predict_next_with_tracker = predict_next_with_tracker
    DialogueStateTracker.copy = copy_tracker
    for module in DEBUG_COPY_MODULES:
        module.copy = CopyForDebugLogs

"""The Rasa-side glue: cached action-response validation, URL tracker store."""

from __future__ import annotations

import ast
import gc
import inspect
import json
import os

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain

from glue.action_validation import install, validate_action_result
from glue.tracker_store import UrlSQLTrackerStore
from tests.conftest import PROJECT_ROOT


def test_validator_is_installed_and_still_validates():
    install()  # as `kommunebot serve rasa` does before Rasa starts
    assert RemoteAction._validate_action_result is validate_action_result
    action = RemoteAction("action_answer_errand", None)
    assert action._validate_action_result({"events": [], "responses": [{"text": "hej"}]})
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": "not a list"})


def _recorded_events() -> list[list[dict]]:
    """Each recorded tracker's stored events (tests/data/trackers/)."""
    from pathlib import Path

    trackers = Path(__file__).resolve().parent.parent / "data" / "trackers"
    return [json.loads(path.read_text(encoding="utf-8"))["events"] for path in sorted(trackers.glob("*.json"))]


def _responses() -> list:
    """Action-server responses, valid and not: every event the recorded
    trackers hold (tests/data/trackers/), every kind of event Rasa knows,
    and each broken in the ways Rasa's schema refuses."""
    from rasa.shared.core import events as ev

    stored = [event for events in _recorded_events() for event in events]
    made = [
        e.as_dict()
        for e in (
            ev.UserUttered("hej", {"name": "greet", "confidence": 0.9}, [{"entity": "e", "value": "v", "start": 0}]),
            ev.SlotSet("topic", "pas"),
            ev.BotUttered("hej", {"buttons": []}, {"kommunebot": {"expects": "phone"}}),
            ev.ActionExecuted("action_listen", policy="RulePolicy", confidence=1.0),
            ev.ActiveLoop("callback_form"),
            ev.ActiveLoop(None),
            ev.FollowupAction("action_listen"),
            ev.SessionStarted(),
            ev.Restarted(),
            ev.AllSlotsReset(),
            ev.ConversationPaused(),
            ev.ConversationResumed(),
            ev.UserUtteranceReverted(),
            ev.ActionReverted(),
            ev.StoryExported(),
            ev.LoopInterrupted(True),
            ev.ActionExecutionRejected("validate_callback_form"),
            ev.EntitiesAdded([{"entity": "situation", "value": "tabt"}]),
            ev.AgentUttered("hej"),
            ev.ReminderCancelled("r"),
        )
    ]
    broken = [
        {"event": "slot", "name": "topic"},  # no value
        {"event": "slot", "name": 3, "value": None},
        {"event": "no_such_event"},
        {"event": None},
        {"event": ["slot"]},
        {"name": "topic", "value": "pas"},  # no event
        {"event": "bot", "timestamp": "now"},
        {"event": "bot", "metadata": []},
        {"event": "entities"},
        {"event": "entities", "entities": [{"value": "v"}]},
        {"event": "user", "parse_data": {"entities": [{"entity": 1, "value": "v"}]}},
        {"event": "user", "parse_data": {"response_selector": []}},
        {"event": "action", "confidence": "high"},
        "slot",
        None,
    ]
    valid = stored + made
    responses = [{"events": valid, "responses": [{"text": "hej"}]}, {}, {"events": []}, {"responses": []}]
    responses += [{"events": [event]} for event in valid + broken]
    responses += [{"events": [*valid[:3], event]} for event in broken]
    responses += [{"events": "not a list"}, {"responses": [1]}, {"responses": "hej"}, [], "hej", None]
    return responses


def test_validation_accepts_and_refuses_exactly_as_rasa():
    from glue import action_validation

    action = RemoteAction("action_answer_errand", None)
    accepted = refused = 0
    action_validation._valid_shapes.clear()
    # Twice: the second pass meets the valid shapes the first one kept.
    for response in _responses() + _responses():
        try:
            expected = action_validation._rasa_validate(action, response)
        except ValidationError as error:
            expected = error.message
        try:
            found = validate_action_result(action, response)
        except ValidationError as error:
            found = error.message
        assert found == expected, response
        if found is True:
            accepted += 1
        else:
            refused += 1
            assert not action_validation._valid_by_event_name(response), response
    assert accepted >= 30 and refused >= 30  # both sides of the argument are exercised
    assert action_validation._valid_shapes  # and the kept shapes were used


def test_an_event_shape_keeps_types_and_constants_but_never_a_slot_value():
    from glue import action_validation

    phone = {"event": "slot", "name": "cb_phone", "value": "12345678", "timestamp": 1.5}
    shape = action_validation._shape("slot", phone)
    assert "12345678" not in repr(shape) and "cb_phone" not in repr(shape)
    assert shape == action_validation._shape("slot", {**phone, "name": "topic", "value": {"any": ["thing"]}})
    # What the schema constrains tells shapes apart: a type, a constant, a key.
    assert shape != action_validation._shape("slot", {**phone, "name": 3})
    assert shape != action_validation._shape("slot", {**phone, "timestamp": "now"})
    assert shape != action_validation._shape("slot", {**phone, "timestamp": 2.0})
    assert shape != action_validation._shape("slot", {"event": "slot", "name": "cb_phone"})
    assert action_validation._shape("slot", {**phone, "metadata": {"a": 1}}) != action_validation._shape(
        "slot", {**phone, "metadata": []}
    )
    # An event whose schema goes deeper than types and constants is checked every time.
    assert action_validation._shape("user", {"event": "user", "parse_data": {}}) is None


def test_shims_refuse_to_start_on_another_rasa(monkeypatch):
    import rasa

    from glue import rasa_pin

    def changed():
        return 1

    with pytest.raises(rasa_pin.RasaChanged, match="changed"):
        rasa_pin.check(changed, "0" * 16, "glue.test")
    monkeypatch.setattr(rasa, "__version__", "3.6.22")
    with pytest.raises(rasa_pin.RasaChanged, match="written for Rasa 3.6.21"):
        install()


def test_tracker_store_from_sqlite_url(tmp_path):
    db = tmp_path / "sub" / "tracker.db"
    store = UrlSQLTrackerStore(domain=Domain.empty(), host=f"sqlite:///{db}")
    assert store.engine.url.drivername == "sqlite" and db.parent.is_dir()
    assert str(db) in str(store.engine.url)


def test_tracker_store_url_is_split_for_postgresql(monkeypatch):
    captured = {}

    def fake_init(self, **kwargs):
        captured.update(kwargs)

    monkeypatch.setattr("rasa.core.tracker_store.SQLTrackerStore.__init__", fake_init)
    tuned = []
    monkeypatch.setattr(UrlSQLTrackerStore, "_tune_postgresql", lambda self: tuned.append(True))
    UrlSQLTrackerStore(domain=None, host="postgresql://bot:s3cret@db.example:5433/kommunebot")
    assert tuned == [True]
    assert {k: captured[k] for k in ("dialect", "host", "port", "db", "username", "password")} == {
        "dialect": "postgresql",
        "host": "db.example",
        "port": 5433,
        "db": "kommunebot",
        "username": "bot",
        "password": "s3cret",
    }


def test_postgresql_tracker_url_must_name_its_database():
    with pytest.raises(ValueError, match=r"names no database: postgresql://bot:\*\*\*@db.example/$"):
        UrlSQLTrackerStore(domain=None, host="postgresql://bot:s3cret@db.example/")


def test_lock_store_is_in_memory_without_a_url_and_redis_with_one(monkeypatch):
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.utils.endpoints import EndpointConfig

    from bot import settings
    from glue.lock_store import RedisTicketLockStore, UrlLockStore

    monkeypatch.delenv("KOMMUNEBOT_LOCK_URL", raising=False)
    settings.reset()
    try:
        assert isinstance(
            UrlLockStore(endpoint_config=EndpointConfig(type="glue.lock_store.UrlLockStore")), InMemoryLockStore
        )
        # Nothing listens on port 1: the store is built, and refuses at use.
        monkeypatch.setenv("KOMMUNEBOT_LOCK_URL", "redis://:pw@127.0.0.1:1/0")
        settings.reset()
        store = UrlLockStore(endpoint_config=EndpointConfig(type="glue.lock_store.UrlLockStore"))
        assert isinstance(store, RedisTicketLockStore) and store.url == "redis://:***@127.0.0.1:1/0"
        # A url in endpoints.yml wins over the setting.
        assert UrlLockStore(endpoint_config=EndpointConfig(url="redis://127.0.0.1:2/0")).url == "redis://127.0.0.1:2/0"
        with pytest.raises(ValueError, match=r"redis://, rediss:// or unix://, got http://:\*\*\*@x/"):
            UrlLockStore(url="http://:pw@x/")
    finally:
        settings.reset()


def test_sqlite_tracker_store_is_pooled_and_in_wal_mode(tmp_path):
    from sqlalchemy.pool import QueuePool

    store = UrlSQLTrackerStore(domain=Domain.empty(), host=f"sqlite:///{tmp_path / 't.db'}")
    assert isinstance(store.engine.pool, QueuePool)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def _events(store) -> list[str]:
    with store.engine.connect() as conn:
        return [row[0] for row in conn.exec_driver_sql("SELECT data FROM events ORDER BY id")]


def test_saves_append_only_new_events_without_counting_them_again(tmp_path):
    import sqlalchemy as sa
    from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from tests.conftest import run_async

    url = f"sqlite:///{tmp_path / 't.db'}"
    store = UrlSQLTrackerStore(domain=Domain.empty(), host=url)
    counts = []

    @sa.event.listens_for(store.engine, "before_cursor_execute")
    def _seen(conn, cursor, statement, *args):
        if statement.lower().startswith("select count("):  # Rasa's count of the stored events
            counts.append(statement)

    # A tracker this store never saw: Rasa's counting query decides.
    fresh = DialogueStateTracker.from_events("c1", [ActionExecuted("action_session_start"), SessionStarted()])
    run_async(store.save(fresh))
    assert len(counts) == 1
    fresh.update(UserUttered("hej"))
    run_async(store.save(fresh))  # saved before: no count, one new event
    tracker = run_async(store.retrieve("c1"))
    tracker.update(ActionExecuted("action_listen"))
    run_async(store.save(tracker))
    assert len(counts) == 1
    # Every event stored once, in order; another replica's store reads the
    # session (from session_started on, as Rasa's own store does).
    assert [json.loads(data)["event"] for data in _events(store)] == ["action", "session_started", "user", "action"]
    again = UrlSQLTrackerStore(domain=Domain.empty(), host=url)
    assert [e.type_name for e in run_async(again.retrieve("c1")).events] == ["session_started", "user", "action"]


def test_event_classes_are_found_by_name_as_rasa_finds_them():
    from rasa.shared.core import events
    from rasa.shared.utils.common import all_subclasses

    from glue import speedups

    speedups.install()
    for cls in all_subclasses(events.Event):
        assert events.Event.resolve_by_type(cls.type_name) is speedups._rasa_resolve(cls.type_name)
    assert events.Event.resolve_by_type("no_such_event", events.UserUttered) is events.UserUttered
    with pytest.raises(ValueError, match="Unknown event name"):
        events.Event.resolve_by_type("no_such_event")
    # A class defined after a miss is still found.
    assert events.Event.resolve_by_type("kommunebot_test_event", events.SlotSet) is events.SlotSet

    class Late(events.SlotSet):
        type_name = "kommunebot_test_event"

    try:
        assert events.Event.resolve_by_type("kommunebot_test_event") is Late
    finally:
        # Rasa lists subclasses of Event: this one must not outlive the test.
        speedups._found.pop("kommunebot_test_event", None)
        del Late
        gc.collect()
    stored = [
        {"event": "user", "text": "hej", "parse_data": {"intent": {"name": "greet"}}},
        {"event": "action", "name": "action_listen"},
    ]
    assert [type(e).__name__ for e in events.deserialise_events(stored)] == ["UserUttered", "ActionExecuted"]


def test_minimal_graph_schema_is_rasas_and_computed_once(monkeypatch):
    from rasa.engine.graph import GraphSchema, SchemaNode
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer

    from glue import speedups

    def node(**needs):
        return SchemaNode(needs=needs, uses=WhitespaceTokenizer, constructor_name="create", fn="process", config={})

    schema = GraphSchema({"a": node(), "b": node(x="a"), "c": node(x="b", y="a"), "d": node()})
    calls = []
    real = speedups._rasa_minimal
    monkeypatch.setattr(speedups, "_rasa_minimal", lambda self, targets=None: calls.append(1) or real(self, targets))
    speedups.install()
    first = schema.minimal_graph_schema(["c"])
    assert first == real(schema, ["c"]) and set(first.nodes) == {"a", "b", "c"}
    assert schema.minimal_graph_schema(["c"]) is first
    assert set(schema.minimal_graph_schema(["d"]).nodes) == {"d"}
    assert len(calls) == 2


def _after_a_passport_answer(slot: str, action: str, *then):
    """A domain with a ``topic`` slot (its YAML) and ``action``, and a tracker
    after one answered passport question, followed by ``then``."""
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.from_yaml(f'version: "3.1"\nintents: [pas, affald]\nslots:\n  topic: {slot}\nactions: [{action}]\n')
    events = [
        ActionExecuted("action_listen"),
        UserUttered("pas", {"name": "pas", "confidence": 1.0}),
        ActionExecuted(action),
        SlotSet("topic", "pas"),
        *then,
    ]
    return domain, DialogueStateTracker.from_events("s", events, domain.slots)


def test_past_states_are_rasas_computed_once_per_events_and_copied(monkeypatch):
    from rasa.shared.core.events import ActionExecuted, UserUttered

    from glue import speedups

    domain, tracker = _after_a_passport_answer(
        "{type: categorical, values: [pas, affald], mappings: [{type: custom}]}",
        "action_answer",
        ActionExecuted("action_listen"),
    )
    real = speedups._rasa_past_states
    expected = real(tracker, domain)
    calls = []
    monkeypatch.setattr(speedups, "_rasa_past_states", lambda *args: calls.append(args[2:]) or real(*args))
    speedups.install()
    first = tracker.past_states(domain)
    assert first == expected and len(expected) == 4
    first[-1].clear()  # the featurizer edits the last state in place
    first[-2]["prev_action"]["action_name"] = "edited"
    assert tracker.past_states(domain) == expected
    assert tracker.past_states(domain, ignore_rule_only_turns=True) == real(tracker, domain, False, True)
    assert len(calls) == 2  # once per arguments
    tracker.update(UserUttered("affald", {"name": "affald", "confidence": 1.0}))
    assert tracker.past_states(domain) == real(tracker, domain) != expected
    assert len(calls) == 3  # the events changed


def _copy_cases():
    """Trackers after every prefix of the recorded trackers' events and of
    a conversation through every kind of event that changes a tracker's
    state, with the project's domain."""
    from rasa.shared.core import events as ev
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    histories = [ev.deserialise_events(events) for events in _recorded_events()]
    histories.append(
        [
            ev.ActionExecuted("action_session_start"),
            ev.SessionStarted(),
            ev.ActionExecuted("action_listen"),
            ev.UserUttered("pas", {"name": "pas", "confidence": 0.9}),
            ev.SlotSet("topic", "pas"),
            ev.SlotSet("barriers", ["mitid"]),
            ev.BotUttered("hej", {"buttons": []}),
            ev.FollowupAction("action_listen"),
            ev.ActiveLoop("callback_form"),
            ev.SlotSet("requested_slot", "cb_name"),
            ev.ActionExecutionRejected("callback_form"),
            ev.LoopInterrupted(True),
            ev.ConversationPaused(),
            ev.ConversationResumed(),
            ev.UserUtteranceReverted(),
            ev.ActionReverted(),
            ev.AllSlotsReset(),
            ev.ActiveLoop(None),
            ev.Restarted(),
            ev.SlotSet("topic", "affald"),
        ]
    )
    for events in histories:
        for end in range(len(events) + 1):
            yield domain, DialogueStateTracker.from_events("s", events[:end], domain.slots)


def test_a_copied_tracker_is_what_rasas_replay_gives():
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.trackers import EventVerbosity

    from glue import speedups

    checked = 0
    for domain, tracker in _copy_cases():
        tracker.sender_source, tracker.model_id = "rest", "model"
        mine, rasas = speedups.copy_tracker(tracker), speedups._rasa_copy(tracker)
        assert mine.current_state(EventVerbosity.ALL) == rasas.current_state(EventVerbosity.ALL)
        assert {n: vars(s) for n, s in mine.slots.items()} == {n: vars(s) for n, s in rasas.slots.items()}
        assert vars(mine).keys() == vars(rasas).keys()
        for name in vars(rasas):
            if name not in ("slots", "events"):
                assert getattr(mine, name) == getattr(rasas, name), name
        assert list(mine.events) == list(rasas.events)
        assert mine.past_states(domain) == rasas.past_states(domain)
        # The copy is the copy's: the original does not change with it.
        before = tracker.current_state(EventVerbosity.ALL)
        mine.update(SlotSet("topic", "vielse"))
        if mine.active_loop is not None:
            mine.active_loop.rejected = not mine.active_loop.rejected
        mine.latest_action["action_name"] = "edited"
        assert tracker.current_state(EventVerbosity.ALL) == before
        checked += 1
    assert checked > 150


def test_a_capped_tracker_is_copied_by_rasa(monkeypatch):
    from rasa.shared.core.events import ActionExecuted
    from rasa.shared.core.trackers import DialogueStateTracker

    from glue import speedups

    calls = []
    monkeypatch.setattr(speedups, "_rasa_copy", lambda tracker: calls.append(tracker) or tracker)
    capped = DialogueStateTracker.from_events("s", [ActionExecuted("action_listen")], [], max_event_history=5)
    assert speedups.copy_tracker(capped) is capped and calls == [capped]


def _first_prediction_setup(monkeypatch):
    """The shortcut with Rasa's prediction replaced by a counted stand-in."""
    from rasa.core.policies.policy import PolicyPrediction
    from rasa.shared.core.events import ActiveLoop

    from glue import speedups

    calls = []

    def graph(processor, tracker):
        calls.append(tracker.sender_id)
        return PolicyPrediction([0.0, 1.0], "RulePolicy", policy_priority=6, events=[ActiveLoop(None)])

    monkeypatch.setattr(speedups, "_rasa_predict_next", graph)

    class Processor:
        pass

    return speedups.predict_next_with_tracker, Processor(), calls


def _message(sender, intent, *after):
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    return DialogueStateTracker.from_events(
        sender,
        [ActionExecuted("action_listen"), UserUttered("x", {"name": intent, "confidence": 0.9}), *after],
        slots=[],
    )


def test_the_turns_first_prediction_is_made_once_per_intent_and_copied(monkeypatch):
    from rasa.shared.core.events import SlotSet

    predict, processor, calls = _first_prediction_setup(monkeypatch)
    first = predict(processor, _message("a", "pas"))
    again = predict(processor, _message("b", "pas", SlotSet("topic", "pas")))  # slots extracted from it
    assert calls == ["a"]
    made = (first.policy_name, first.probabilities, first.events)
    assert (again.policy_name, again.probabilities, again.events) == made
    again.events.append("added by the processor")
    assert len(predict(processor, _message("c", "pas")).events) == 1
    predict(processor, _message("d", "affald"))
    assert calls == ["a", "d"]  # another intent is predicted by the policies
    # Another loaded model has its own processor, and its own predictions.
    predict(type(processor)(), _message("e", "pas"))
    assert calls == ["a", "d", "e"]


def test_every_other_prediction_is_the_policies(monkeypatch):
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered

    predict, processor, calls = _first_prediction_setup(monkeypatch)
    predict(processor, _message("after an action", "pas", ActionExecuted("action_answer_errand"), BotUttered("hej")))
    predict(processor, _message("in the form", "deny", ActiveLoop("callback_form")))
    with_followup = _message("followup", "pas")
    with_followup.trigger_followup_action("action_small_talk")
    predict(processor, with_followup)
    predict(processor, _message("in the form", "deny", ActiveLoop("callback_form")))
    assert calls == ["after an action", "in the form", "followup", "in the form"]


def _intent_steps(steps: list[dict]) -> list[tuple[str, str, list[dict]]]:
    """(intent, the action after it, the steps before them) of a rule's or story's steps."""
    return [
        (a["intent"], b["action"], steps[:i])
        for i, (a, b) in enumerate(zip(steps, steps[1:], strict=False))
        if "intent" in a and "action" in b
    ]


def test_outside_a_loop_one_action_follows_each_intent_whatever_came_before():
    """The ground of the first-prediction shortcut (glue/speedups.py): the
    policies read nothing but the message's intent to choose the turn's
    action while no loop is active."""
    import yaml

    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    assert {p["name"] for p in config["policies"]} <= {"MemoizationPolicy", "RulePolicy"}, "check what they read"
    after: dict[str, set[str]] = {}
    for folder, key in (("rules", "rules"), ("stories", "stories")):
        for path in sorted((PROJECT_ROOT / "data" / folder).glob("*.yml")):
            for item in yaml.safe_load(path.read_text(encoding="utf-8")).get(key) or []:
                steps = item["steps"]
                where = f"{path.name}: {item.get('rule') or item.get('story')}"
                conditions = item.get("condition") or []
                assert all("active_loop" in c for c in conditions), f"{where}: a condition on a slot"
                assert not any(s.get("user") for s in steps), f"{where}: a text step"
                if conditions:
                    continue  # the shortcut leaves a turn inside a loop to the policies
                for intent, action, before in _intent_steps(steps):
                    # A loop or a slot before the message would make the action depend on them.
                    assert not any("active_loop" in s or "slot_was_set" in s for s in before), where
                    after.setdefault(intent, set()).add(action)
    assert {intent: actions for intent, actions in after.items() if len(actions) > 1} == {}
    # Every intent has its action: none is left to a fallback that might read the history.
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]}
    assert intents - set(after) == set()


def _debug_arguments(module) -> tuple[list[ast.AST], set[int]]:
    """Every ``copy.…`` expression in ``module``, and the ids of those that
    are an argument of a ``structlogger.debug(...)`` call."""
    tree = ast.parse(inspect.getsource(module))
    uses = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and getattr(n.value, "id", None) == "copy"]
    logged = set()
    for call in ast.walk(tree):
        func = getattr(call, "func", None)
        if isinstance(call, ast.Call) and isinstance(func, ast.Attribute) and func.attr == "debug":
            for argument in [*call.args, *(k.value for k in call.keywords)]:
                if isinstance(argument, ast.Call) and isinstance(argument.func, ast.Attribute):
                    logged.add(id(argument.func))
    return uses, logged


def test_every_copy_in_the_patched_modules_only_feeds_a_debug_log():
    """The ground for skipping those copies when debug logging is off."""
    from glue import speedups

    for module in speedups.DEBUG_COPY_MODULES:
        uses, logged = _debug_arguments(module)
        assert uses, module.__name__
        for use in uses:
            assert use.attr == "deepcopy" and id(use) in logged, f"{module.__name__}:{use.lineno}"


def test_debug_copies_are_made_only_when_debug_is_logged():
    import logging

    import structlog

    from glue import speedups

    speedups.install()
    value = {"events": [{"event": "slot", "value": [1, 2]}]}
    saved = structlog.get_config()
    try:
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
        assert speedups.DEBUG_COPY_MODULES[0].copy.deepcopy(value) is value
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
        copied = speedups.DEBUG_COPY_MODULES[0].copy.deepcopy(value)
        assert copied == value and copied is not value and copied["events"][0] is not value["events"][0]
    finally:
        structlog.configure(**saved)


def test_the_action_server_is_sent_the_current_turn_only():
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

    from glue import action_endpoint

    turn = [UserUttered("affald", {"name": "affald", "confidence": 0.9}), SlotSet("topic", "affald")]
    domain, tracker = _after_a_passport_answer(
        "{type: text, mappings: [{type: custom}]}",
        "action_answer_errand",
        BotUttered("Pas"),
        ActionExecuted("action_listen"),
        *turn,
    )
    action = RemoteAction("action_answer_errand", None)
    rasa = action_endpoint._rasa_call_format(action, tracker, domain)
    action_endpoint.install()
    call = action._action_call_format(tracker, domain)
    assert [e["event"] for e in call["tracker"]["events"]] == ["user", "slot"]
    assert call["tracker"]["events"] == rasa["tracker"]["events"][-2:]
    # The rest of the request is Rasa's: the latest message and the slots.
    assert {**call["tracker"], "events": None} == {**rasa["tracker"], "events": None}
    assert call["tracker"]["latest_message"]["text"] == "affald" and call["tracker"]["slots"]["topic"] == "affald"
    assert action_endpoint.current_turn([{"event": "action"}]) == [{"event": "action"}]


def test_actions_never_read_a_trackers_events():
    """They are sent the current turn's events only (glue/action_endpoint.py)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    reads = re.compile(
        r"\.(events|applied_events|get_last_event_for|events_after_latest_restart|idx_after_latest_restart"
        r"|last_executed_action_has|get_latest_input_channel)\b"
    )
    for folder in ("actions", "bot"):
        for path in (root / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                assert not ("tracker" in line and reads.search(line)), f"{path}:{number}: {line.strip()}"


def test_serving_processes_use_one_blas_thread(monkeypatch):
    from threadpoolctl import threadpool_info, threadpool_limits

    from glue import blas

    for name in blas.THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    before = threadpool_limits(limits=None)  # remembers the limits, to restore them
    try:
        blas.limit_serving_threads()
        assert all(os.environ[name] == "1" for name in blas.THREAD_VARIABLES)
        assert all(pool["num_threads"] == 1 for pool in threadpool_info())
    finally:
        before.restore_original_limits()


def test_client_pseudonym_is_keyed_and_groups_an_ipv6_household():
    import re

    from bot.settings import Settings
    from glue.guard import client_pseudonym

    one = Settings.load({"KOMMUNEBOT_API_TOKEN": "token-one"})
    other = Settings.load({"KOMMUNEBOT_API_TOKEN": "token-two"})
    pseudonym = client_pseudonym(one, "203.0.113.7")
    assert re.fullmatch("[0-9a-f]{16}", pseudonym) and "203" not in pseudonym
    assert client_pseudonym(one, "203.0.113.7") == pseudonym  # every replica alike
    assert client_pseudonym(one, "203.0.113.8") != pseudonym
    assert client_pseudonym(other, "203.0.113.7") != pseudonym  # no table from outside
    # One /64 is one client: a script may pick any address inside it.
    assert client_pseudonym(one, "2001:db8:1:2::1") == client_pseudonym(one, "2001:db8:1:2:ffff::9")
    assert client_pseudonym(one, "2001:db8:1:2::1") != client_pseudonym(one, "2001:db8:1:3::1")


def test_both_channels_share_one_rate_limiter():
    from bot.settings import Settings
    from glue.guard import build_limits

    settings = Settings.load({"KOMMUNEBOT_RATE_ADDRESS": "3/60"})
    rest, socketio = build_limits(settings), build_limits(settings)
    assert rest is socketio
    assert [rest.allow(f"s{i}", "198.51.100.1") for i in range(2)] == [True, True]
    assert socketio.allow("s3", "198.51.100.1") is True
    assert rest.allow("s4", "198.51.100.1") is False


def test_action_endpoint_keeps_one_connection_and_answers_as_rasa():
    import asyncio

    from aiohttp import web
    from rasa.utils.endpoints import ClientResponseError, EndpointConfig

    from glue import action_endpoint

    peers: list = []

    async def webhook(request):
        peers.append(request.transport.get_extra_info("peername"))
        if request.query.get("token") != "secret":
            return web.json_response({"error": "forbidden"}, status=403)
        body = await request.json()
        return web.json_response({"events": [], "responses": [{"text": body["next_action"]}]})

    async def scenario():
        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", token="secret")
        try:
            body = {"next_action": "action_answer_errand"}
            rasa = await action_endpoint._rasa_request(endpoint, json=body, method="post", timeout=30)
            kept = [await action_endpoint.request(endpoint, json=body, method="post", timeout=30) for _ in range(3)]
            assert kept == [rasa] * 3
            # Rasa's request connects anew; the kept session connects once.
            assert len(set(peers[1:])) == 1 and peers[0] != peers[1]
            refused = EndpointConfig(endpoint.url, token="wrong")
            with pytest.raises(ClientResponseError) as error:
                await action_endpoint.request(refused, json=body)
            assert error.value.status == 403
            session = endpoint.__dict__[action_endpoint._KEPT]
            await action_endpoint.close_sessions()
            assert session.closed
            # A closed session is replaced, not used.
            assert await action_endpoint.request(endpoint, json=body, timeout=30) == rasa
            await action_endpoint.close_sessions()
        finally:
            await runner.cleanup()

    asyncio.run(scenario())


def test_action_endpoint_shim_is_installed_over_rasas_request():
    from rasa.utils.endpoints import EndpointConfig

    from glue import action_endpoint

    action_endpoint.install()
    assert EndpointConfig.request is action_endpoint.request


def test_saved_rows_are_rasas_and_a_new_conversation_costs_no_count(tmp_path):
    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from tests.conftest import run_async

    events = [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("hvad koster et pas", {"name": "pas", "confidence": 0.9}, [{"entity": "e", "value": "v"}]),
        SlotSet("topic", "pas"),
        ActionExecuted("action_answer_errand", policy="RulePolicy", confidence=1.0),
        BotUttered("Et pas koster ...", metadata={"kommunebot": {}}),
        ActionExecuted("action_listen"),
    ]

    def rows(store) -> list[tuple]:
        with store.engine.connect() as conn:
            return [
                tuple(row)
                for row in conn.exec_driver_sql(
                    "SELECT id, sender_id, type_name, timestamp, intent_name, action_name, data FROM events ORDER BY id"
                )
            ]

    rasa = SQLTrackerStore(domain=Domain.empty(), db=str(tmp_path / "rasa.db"))
    ours = UrlSQLTrackerStore(domain=Domain.empty(), host=f"sqlite:///{tmp_path / 'ours.db'}")
    for store in (rasa, ours):
        # As Rasa runs two turns: the first saved, the next retrieved, updated and saved.
        run_async(store.save(DialogueStateTracker.from_events("c1", events[:3])))
        tracker = run_async(store.retrieve("c1"))
        for event in events[3:]:
            tracker.update(event)
        run_async(store.save(tracker))
    assert rows(ours) == rows(rasa) and len(rows(ours)) == len(events)

    statements = []

    @sa.event.listens_for(ours.engine, "before_cursor_execute")
    def _seen(conn, cursor, statement, *args):
        statements.append(statement.split()[0].upper())

    # Rasa creates a new conversation's tracker empty and saves it (through
    # its wrappers, as the server does): nothing to count, nothing written.
    from rasa.core.tracker_store import AwaitableTrackerStore, FailSafeTrackerStore

    wrapped = FailSafeTrackerStore(AwaitableTrackerStore(ours))
    created = run_async(wrapped.get_or_create_tracker("c2", append_action_listen=False))
    assert len(created.events) == 0
    assert "INSERT" not in statements and not any("count(" in s.lower() for s in statements)
    created.update(ActionExecuted("action_session_start"))
    run_async(wrapped.save(created))
    assert statements.count("INSERT") == 1
    assert [e.type_name for e in run_async(ours.retrieve("c2")).events] == ["action"]

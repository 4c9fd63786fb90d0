"""Read and validate knowledge/ into a Knowledge object.

Every problem names the file, line and field; all problems are collected
before anything is raised so an editor sees the whole list at once.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2

from bot.knowledge.callbacks_config import combine, read_callbacks
from bot.knowledge.fields import Fields
from bot.knowledge.model import (
    BARRIERS,
    BUILT_IN_CATEGORIES,
    CHANNELS,
    DEFAULT_URGENT_CALLBACKS,
    PERSONS,
    WASTE_LINKS,
    Answer,
    CallbackGuidance,
    CaseSignals,
    Fee,
    Knowledge,
    Municipality,
    OutsideSubject,
    SensitiveCategory,
    Situation,
    Topic,
)
from bot.knowledge.problems import KnowledgeError, Problem
from bot.knowledge.yaml_lines import load_yaml

SENSITIVE_FILE = "sensitive_terms.yml"
CASE_FILE = "case_signals.yml"
GUIDANCE_FILE = "callback_guidance.yml"
OUTSIDE_FILE = "outside.yml"
# The files of national/ that are not an errand.
NOT_TOPICS = frozenset({"assistance", "messages", "callbacks"})
# A suggested next step is one line on the callback page, not an article.
MAX_GUIDANCE_CHARS = 300
# A subject outside the errands gets one line in the out-of-scope reply,
# read aloud by a screen reader before what the assistant does cover.
MAX_OUTSIDE_CHARS = 300
# Small talk, answered by action_small_talk: intent name -> message name.
SMALL_TALK = ("greet", "goodbye", "thanks", "bot_challenge", "affirm", "deny")
BUTTONS = (
    "button_adult",
    "button_child",
    "button_something_else",
    "button_callback_yes",
    "button_no_thanks",
    "button_yes",
    "button_other_topic",
    "button_none_of_these",
)
REQUIRED_MESSAGES = (
    *SMALL_TALK,
    *BUTTONS,
    "alternative",
    "attendance",
    "assisted_contact",
    "clarify",
    "did_you_mean",
    "out_of_scope",
    "missing_answer",
    "general_assistance",
    "other_situation",
    "answer_updated",
    "only_danish",
    "technical_error",
    "chat_unavailable",
    "empty_message",
    "too_long",
    "rate_limited",
    "bad_sender",
    "not_text",
    "unknown_button",
    "sensitive",
    "sensitive_cpr",
    "urgent",
    "offer_callback",
    "callback_situation",
    "case_matter",
    "case_selfservice",
    "suggest",
    "callback_privacy",
    "ask_name",
    "invalid_name",
    "ask_phone",
    "invalid_phone",
    "ask_topic",
    "ask_topic_choice",
    "ask_slot",
    "more_slots",
    "no_slots",
    "urgent_same_day",
    "no_chat_places",
    "slot_taken",
    "invalid_slot",
    "callback_booked",
    "callback_failed",
    "too_many_bookings",
    "too_many_bookings_address",
    "callback_stopped",
    "callback_cancelled",
    "ask_reference",
    "ask_cancel_digits",
    "cancel_refused",
    "cancel_locked",
)
# Per-message variables some texts use; rendered with samples at build time.
TEMPLATE_EXTRAS = {
    "length": 0,
    "topic": "pas",
    "name": "Karen",
    "slot": "tirsdag 24. november kl. 09.00",
    "phone": "+45 20 30 40 50",
    "reference": "CB-2026-000001",
    "count": 2,
    "cancel_url": "https://chat.example.dk/aflys",
    "month_year": "december 2026",
}
_PHONE = re.compile(r"^(\+45 ?)?(\d{2} ?){3}\d{2}$")


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def _open(path: Path, root: Path, problems: list[Problem]) -> tuple[Any, Fields | None]:
    """Parse one file; a YAML error is recorded and (None, None) returned."""
    display = _display(path, root)
    try:
        return load_yaml(path, display), Fields(display)
    except KnowledgeError as exc:
        problems.extend(exc.problems)
        return None, None


def _read_optional(path: Path, root: Path, problems: list, read, default):
    """A knowledge file that may be absent: read when present, its problems kept."""
    if not path.exists():
        return default
    data, fields = _open(path, root, problems)
    if fields is None:
        return default
    found = read(data, fields)
    problems.extend(fields.problems)
    return found


def load_knowledge(root: Path) -> Knowledge:
    root = Path(root)
    problems: list[Problem] = []
    topics: dict[str, Topic] = {}
    municipalities: dict[str, Municipality] = {}
    barriers: dict[str, str] = {}
    messages: dict[str, str] = {}
    callback_defaults: dict = {}
    sensitive: dict = {}
    messages_en: dict[str, str] = {}
    barriers_en: dict[str, str] = {}
    barrier_keywords: dict[str, tuple[str, ...]] = {}
    case_signals = CaseSignals()

    national = root / "national"
    if not national.is_dir():
        raise KnowledgeError([Problem(str(national), "", "folder is missing")])
    for path in sorted(national.glob("*.yml")):
        data, fields = _open(path, root, problems)
        if fields is None:
            continue
        if path.name == "assistance.yml":
            barriers, english = _read_text_table(data, fields, "barriers", BARRIERS, extra=("keywords",))
            barriers_en.update(english.get("barriers", {}))
            table = data.get("keywords") if isinstance(data, dict) else None
            if table is not None:
                if not isinstance(table, dict):
                    fields.problem(data, "keywords", "keywords", "expected a mapping of barrier: [phrases]")
                else:
                    fields.unknown_keys(table, BARRIERS, "keywords")
                    for barrier in BARRIERS:
                        found = _read_words(table, fields, f"keywords.{barrier}")
                        if found:
                            barrier_keywords[barrier] = found
        elif path.name == "messages.yml":
            messages, english = _read_text_table(data, fields, "messages", REQUIRED_MESSAGES)
            messages_en.update(english.get("messages", {}))
            barriers_en.update(english.get("barriers", {}))
        elif path.name == "callbacks.yml":
            fields.unknown_keys(data, ["callbacks"], "")
            callback_defaults = read_callbacks(data, fields, "callbacks", required=True)
        else:
            topic = _read_topic(data, fields, expected_key=path.stem)
            if topic is not None:
                topics[topic.key] = topic
        problems.extend(fields.problems)

    for path in sorted((root / "municipalities").glob("*.yml")):
        data, fields = _open(path, root, problems)
        if fields is None:
            continue
        municipality = _read_municipality(data, fields, expected_key=path.stem, callback_defaults=callback_defaults)
        problems.extend(fields.problems)
        if municipality is not None:
            municipalities[municipality.key] = municipality

    before = len(problems)
    sensitive = _read_optional(root / SENSITIVE_FILE, root, problems, _read_sensitive, sensitive)
    # A broken sensitive_terms.yml is reported once, not again as every
    # category the guidance names (None: any category passes).
    categories = {*sensitive, *BUILT_IN_CATEGORIES} if len(problems) == before else None
    case_signals = _read_optional(root / CASE_FILE, root, problems, _read_case_signals, case_signals)
    # An errand is its file's name, so a topic file that failed to load is still known.
    errands = {p.stem for p in national.glob("*.yml")} - NOT_TOPICS
    guidance = _read_optional(
        root / GUIDANCE_FILE,
        root,
        problems,
        lambda data, f: _read_guidance(data, f, categories, errands),
        CallbackGuidance(),
    )

    outside = _read_optional(root / OUTSIDE_FILE, root, problems, _read_outside, ())
    problems.extend(_check_outside(outside, topics, root / OUTSIDE_FILE))

    if not topics and not problems:
        problems.append(Problem(str(national), "", "no topic files found"))
    if not municipalities:
        problems.append(Problem(str(root / "municipalities"), "", "no municipality files found"))
    if not problems:
        problems.extend(
            _check_templates(topics, municipalities, {**messages, **{f"en.{k}": v for k, v in messages_en.items()}})
        )
    if problems:
        raise KnowledgeError(problems)
    for name in messages_en:
        if name not in messages:
            problems.append(
                Problem("knowledge/national/messages.yml", f"en.messages.{name}", "no Danish text of that name")
            )
    for name in barriers_en:
        if name not in BARRIERS:
            problems.append(Problem("knowledge/national", f"en.barriers.{name}", "unknown barrier"))
    if problems:
        raise KnowledgeError(problems)
    return Knowledge(
        topics=topics,
        municipalities=municipalities,
        barriers=barriers,
        messages=messages,
        sensitive=sensitive,
        messages_en=messages_en,
        barriers_en=barriers_en,
        barrier_keywords=barrier_keywords,
        case_signals=case_signals,
        guidance=guidance,
        outside=outside,
    )


def _read_topic(data: Any, f: Fields, expected_key: str) -> Topic | None:
    if not isinstance(data, dict):
        f.problem(data, None, "", "expected a mapping with topic, name, situations and answers")
        return None
    f.unknown_keys(
        data,
        [
            "topic",
            "name",
            "attendance",
            "question",
            "person_question",
            "assisted",
            "situations",
            "answers",
            "general",
            "en",
            "words",
        ],
        "",
    )
    key = f.get(data, "topic", "topic", "key")
    if key and key != expected_key:
        f.problem(data, "topic", "topic", f"must match the file name ({expected_key!r})")
    name = f.get(data, "name", "name", "str")
    attendance = f.get(data, "attendance", "attendance", "bool", default=False)
    question = f.get(data, "question", "question", "str")
    assisted = f.get(data, "assisted", "assisted", "str")
    person_question = f.get(data, "person_question", "person_question", "str", required=False)
    en = _read_english(data, f, "", ["name", "question", "person_question", "assisted"])
    words = _read_words(data, f, "words")

    situations: list[Situation] = []
    for i, item in enumerate(f.get(data, "situations", "situations", "list", default=[])):
        path = f"situations[{i}]"
        f.unknown_keys(item, ["key", "label", "channel", "ask_person", "own_matter", "keywords", "en"], path)
        en_label = _read_english(item, f, path, ["label"]).get("label")
        s_key = f.get(item, "key", f"{path}.key", "key")
        label = f.get(item, "label", f"{path}.label", "str")
        ask_person = f.get(item, "ask_person", f"{path}.ask_person", "bool", required=False, default=False)
        keywords = f.get(item, "keywords", f"{path}.keywords", "list", required=False, default=[])
        if any(not isinstance(k, str) or not k.strip() for k in keywords):
            f.problem(item, "keywords", f"{path}.keywords", "every keyword must be text")
            keywords = []
        keywords = _gaps_between_words(keywords, f, f"{path}.keywords")
        channel = f.get(item, "channel", f"{path}.channel", "str")
        if channel and channel not in CHANNELS:
            f.problem(item, "channel", f"{path}.channel", f"must be one of {', '.join(CHANNELS)}, got {channel!r}")
        if channel == "callback" and ask_person:
            f.problem(item, "ask_person", f"{path}.ask_person", "a callback situation does not ask for the person")
        own_matter = f.get(item, "own_matter", f"{path}.own_matter", "bool", required=False, default=False)
        if channel == "callback" and own_matter:
            f.problem(item, "own_matter", f"{path}.own_matter", "a callback situation is a case already")
        if s_key in {s.key for s in situations}:
            f.problem(item, "key", f"{path}.key", f"situation {s_key!r} is listed twice")
        if ask_person and not person_question:
            f.problem(item, "ask_person", f"{path}.ask_person", "needs a person_question on the topic")
        if s_key and label and channel in CHANNELS:
            situations.append(
                Situation(s_key, label, ask_person, tuple(k.lower() for k in keywords), en_label, channel, own_matter)
            )
    if not situations:
        f.problem(data, "situations", "situations", "at least one situation is required")

    answers: list[Answer] = []
    for i, item in enumerate(f.get(data, "answers", "answers", "list", default=[])):
        answer = _read_answer(item, f, f"answers[{i}]", key or expected_key, situations)
        if answer is not None:
            answers.append(answer)

    general = None
    if isinstance(data, dict) and "general" in data:
        general = _read_answer(data["general"], f, "general", key or expected_key, situations, general=True)

    for situation in situations:
        persons = {a.person for a in answers if a.situation == situation.key}
        if not persons:
            f.problem(data, "answers", "answers", f"no answer for situation {situation.key!r}")
        elif situation.ask_person and None not in persons and not set(PERSONS) <= persons:
            missing = ", ".join(p for p in PERSONS if p not in persons)
            f.problem(
                data,
                "answers",
                "answers",
                f"situation {situation.key!r} asks for the person but has no answer for: {missing}",
            )

    if f.problems or not (key and name and question and assisted):
        return None
    return Topic(
        key=key,
        name=name,
        attendance=attendance,
        question=question,
        assisted=assisted,
        situations=tuple(situations),
        answers=tuple(answers),
        person_question=person_question,
        general=general,
        en=en,
        words=words,
    )


# The marks an editor writes for a gap between two words: "..." in a
# keyword ("ikke ... computer", bot/chat/reading.py) or a sensitive term, "…" in those or a
# case phrase (bot/chat/case_matter.py).
_GAP_MARKS = re.compile(r"\.\.\.|…")


def _gaps_between_words(phrases: list[Any], f: Fields, path: str) -> list[Any]:
    """The phrases whose every gap stands between two words; a problem for
    each other one (a gap at the start or end, or two in a row, would match
    anything or nothing)."""
    kept = []
    for i, phrase in enumerate(phrases):
        pieces = _GAP_MARKS.split(phrase) if isinstance(phrase, str) else []
        if len(pieces) > 1 and any(not piece.strip() for piece in pieces):
            f.problem(phrases, i, f"{path}[{i}]", f"a gap (... or …) must stand between two words: {phrase!r}")
        else:
            kept.append(phrase)
    return kept


def _read_words(item: Any, f: Fields, path: str) -> tuple[str, ...]:
    """An optional list of words or short phrases, lower-cased; a phrase
    may leave a gap between two words."""
    key = path.rsplit(".", 1)[-1]
    if not isinstance(item, dict) or key not in item:
        return ()
    words = f.get(item, key, path, "list", default=[])
    if any(not isinstance(w, str) or not w.strip() for w in words):
        f.problem(item, key, path, "every entry must be text")
        return ()
    return tuple(" ".join(w.lower().split()) for w in _gaps_between_words(words, f, path))


def _read_english(item: Any, f: Fields, path: str, names: list[str]) -> dict[str, str]:
    """An optional ``en:`` mapping with English variants of the item's texts."""
    if not isinstance(item, dict) or "en" not in item:
        return {}
    en_path = f"{path}.en" if path else "en"
    table = f.get(item, "en", en_path, "dict", default={})
    f.unknown_keys(table, names, en_path)
    result = {}
    for name in names:
        if isinstance(table, dict) and name in table:
            text = f.get(table, name, f"{en_path}.{name}", "str")
            if text:
                result[name] = text
    return result


def _read_answer(
    item: Any, f: Fields, path: str, topic: str, situations: list[Situation], general: bool = False
) -> Answer | None:
    if not isinstance(item, dict):
        f.problem(item, None, path, "expected a mapping with lead, link, text, sources and reviewed")
        return None
    names = ["person", "lead", "link", "municipal_link", "text", "sources", "reviewed", "fees", "en"]
    f.unknown_keys(item, names if general else ["situation", *names], path)
    en = _read_english(item, f, path, ["lead", "text"])
    situation = "" if general else f.get(item, "situation", f"{path}.situation", "key")
    if situation and situation not in {s.key for s in situations}:
        f.problem(item, "situation", f"{path}.situation", f"unknown situation {situation!r}")
    person = f.get(item, "person", f"{path}.person", "key", required=False)
    if person and person not in PERSONS:
        f.problem(item, "person", f"{path}.person", f"must be one of {', '.join(PERSONS)}")
    lead = f.get(item, "lead", f"{path}.lead", "str")
    text = f.get(item, "text", f"{path}.text", "str")
    link = f.get(item, "link", f"{path}.link", "url", required=False)
    municipal_link = f.get(item, "municipal_link", f"{path}.municipal_link", "key", required=False)
    if municipal_link and municipal_link not in WASTE_LINKS:
        f.problem(item, "municipal_link", f"{path}.municipal_link", f"must be one of {', '.join(WASTE_LINKS)}")
    # A callback situation's answer is an explanation and the callback offer:
    # it shows no link, so it needs none.
    callback = any(s.key == situation and s.channel == "callback" for s in situations)
    if not link and not municipal_link and not callback:
        f.problem(item, "link", f"{path}.link", "every answer needs a link or a municipal_link")
    sources = f.get(item, "sources", f"{path}.sources", "list", default=[])
    if isinstance(item, dict) and "sources" in item and not sources:
        f.problem(item, "sources", f"{path}.sources", "at least one source URL is required")
    for j, source in enumerate(sources):
        if f._check(source, "url") != source:
            f.problem(sources, j, f"{path}.sources[{j}]", f"must be an https:// link, got {source!r}")
    reviewed = f.get(item, "reviewed", f"{path}.reviewed", "date")
    fees = []
    for j, fee in enumerate(f.get(item, "fees", f"{path}.fees", "list", required=False, default=[])):
        fee_path = f"{path}.fees[{j}]"
        f.unknown_keys(fee, ["label", "kr", "year", "source"], fee_path)
        label = f.get(fee, "label", f"{fee_path}.label", "str")
        kr = f.get(fee, "kr", f"{fee_path}.kr", "int")
        year = f.get(fee, "year", f"{fee_path}.year", "year")
        source = f.get(fee, "source", f"{fee_path}.source", "url")
        if label and kr is not None and year and source:
            fees.append(Fee(label, kr, year, source))
    if not ((situation or general) and lead and text and reviewed and sources):
        return None
    return Answer(
        topic=topic,
        situation=situation,
        person=person,
        lead=lead,
        text=text,
        sources=tuple(sources),
        reviewed=reviewed,
        link=link,
        municipal_link=municipal_link,
        fees=tuple(fees),
        en_lead=en.get("lead"),
        en_text=en.get("text"),
    )


def _group(data: Any, f: Fields, name: str, values: dict[str, str]) -> tuple[dict, bool]:
    """Read one sourced group (website, phone, ...): values plus provenance."""
    group = f.get(data, name, name, "dict", default={})
    allowed = list(values) + ["source", "sources", "verified", "reviewed", "note"]
    f.unknown_keys(group, allowed, name)
    result = {}
    for field, kind in values.items():
        result[field] = f.get(group, field, f"{name}.{field}", kind, required=False)
    verified = f.get(group, "verified", f"{name}.verified", "bool", default=False)
    f.get(group, "reviewed", f"{name}.reviewed", "date")
    has_value = any(v is not None for v in result.values())
    source = group.get("source") if isinstance(group, dict) else None
    sources = group.get("sources") if isinstance(group, dict) else None
    if verified and has_value and not (source or sources):
        f.problem(group, "verified", f"{name}.verified", "a verified group needs a source or sources")
    if isinstance(sources, dict):
        for field in sources:
            if field not in values:
                f.problem(sources, field, f"{name}.sources.{field}", "names no field of this group")
    return result, bool(verified)


def _read_municipality(data: Any, f: Fields, expected_key: str, callback_defaults: dict) -> Municipality | None:
    if not isinstance(data, dict):
        f.problem(data, None, "", "expected a mapping with key, name, website, phone, borgerservice and waste")
        return None
    f.unknown_keys(
        data,
        ["key", "name", "website", "phone", "borgerservice", "waste", "theme", "callbacks", "urgent_callbacks"],
        "",
    )
    urgency = f.get(data, "urgent_callbacks", "urgent_callbacks", "dict", required=False, default={})
    f.unknown_keys(urgency, ["categories", "same_day"], "urgent_callbacks")
    urgent_categories = DEFAULT_URGENT_CALLBACKS
    same_day = None
    if isinstance(urgency, dict):
        listed = urgency.get("categories")
        if listed is not None:
            if isinstance(listed, list) and all(isinstance(c, str) and c for c in listed):
                urgent_categories = tuple(listed)
            else:
                f.problem(urgency, "categories", "urgent_callbacks.categories", "must be a list of category keys")
        text = urgency.get("same_day")
        if text is not None:
            if isinstance(text, str) and text.strip():
                same_day = text.strip()
            else:
                f.problem(urgency, "same_day", "urgent_callbacks.same_day", "must be a text")
    override = read_callbacks(data, f, "callbacks", required=False) if "callbacks" in data else {}
    callback_hours, retention_days = combine(callback_defaults, override)
    key = f.get(data, "key", "key", "key")
    if key and key != expected_key:
        f.problem(data, "key", "key", f"must match the file name ({expected_key!r})")
    name = f.get(data, "name", "name", "str")
    website, website_ok = _group(data, f, "website", {"url": "url"})
    if website.get("url") is None and isinstance(data.get("website"), dict) and data["website"].get("url") is None:
        f.problem(data["website"], "url", "website.url", "missing (required: every answer falls back to it)")
    phone, phone_ok = _group(data, f, "phone", {"number": "str", "hours": "str"})
    if phone.get("number") and not _PHONE.match(phone["number"]):
        f.problem(data.get("phone"), "number", "phone.number", f"not a Danish phone number: {phone['number']!r}")
    service, service_ok = _group(data, f, "borgerservice", {"address": "str", "booking_url": "url"})
    waste_fields = {"company": "str", **{name: "url" for name in WASTE_LINKS}}
    waste, waste_ok = _group(data, f, "waste", waste_fields)
    theme = f.get(data, "theme", "theme", "dict", required=False, default={})
    f.unknown_keys(theme, ["primary_colour"], "theme")
    colour = theme.get("primary_colour") if isinstance(theme, dict) else None
    if colour is not None and not (isinstance(colour, str) and re.fullmatch(r"#[0-9a-fA-F]{6}", colour)):
        f.problem(theme, "primary_colour", "theme.primary_colour", "must be a colour like #1a5276")
        colour = None
    if f.problems or not (key and name and website.get("url")):
        return None
    unverified = tuple(
        group
        for group, ok, values in (
            ("website", website_ok, website),
            ("phone", phone_ok, phone),
            ("borgerservice", service_ok, service),
            ("waste", waste_ok, waste),
        )
        if not ok or any(v is None for v in values.values())
    )
    return Municipality(
        key=key,
        name=name,
        website_url=website["url"],
        phone_number=phone.get("number") if phone_ok else None,
        phone_hours=phone.get("hours") if phone_ok else None,
        address=service.get("address") if service_ok else None,
        booking_url=service.get("booking_url") if service_ok else None,
        waste={k: v for k, v in waste.items() if v is not None} if waste_ok else {},
        primary_colour=colour,
        unverified=unverified,
        callback_hours=callback_hours,
        retention_days=retention_days,
        urgent_callbacks=urgent_categories,
        same_day=same_day,
    )


def _read_sensitive(data: Any, f: Fields) -> dict[str, SensitiveCategory]:
    """Categories of personal/sensitive matters and their lemma terms."""
    f.unknown_keys(data, ["categories", "urgent"], "")
    result: dict[str, SensitiveCategory] = {}
    for group, urgent in (("categories", False), ("urgent", True)):
        categories = f.get(data, group, group, "dict", default={})
        for key, item in categories.items():
            path = f"{group}.{key}"
            f.unknown_keys(item, ["label", "terms"], path)
            label = f.get(item, "label", f"{path}.label", "str")
            terms = f.get(item, "terms", f"{path}.terms", "list", default=[])
            clean = []
            for i, term in enumerate(terms):
                if not isinstance(term, str) or not term.strip():
                    f.problem(terms, i, f"{path}.terms[{i}]", "must be non-empty text")
                elif any(not piece.strip() for piece in _GAP_MARKS.split(term)):
                    f.problem(
                        terms, i, f"{path}.terms[{i}]", f"a gap (... or …) must stand between two words: {term!r}"
                    )
                else:
                    clean.append(" ".join(term.lower().split()))
            if key in result:
                f.problem(categories, key, path, "category listed twice")
            if label and clean:
                result[key] = SensitiveCategory(key, label, urgent, tuple(clean))
    return result


# The phrase groups of case_signals.yml, and the lists beside them.
CASE_GROUPS = ("signals", "hints")
CASE_LISTS = ("general", "questions", "persons")
# The gap a case phrase may leave between two words (bot/chat/case_matter.py).
CASE_GAP = "…"
# Before a word of a case phrase: that word matches as written only.
CASE_EXACT = "="
# Before a case phrase: it matches only where it opens a sentence.
CASE_START = "^"


def _read_case_signals(data: Any, f: Fields) -> CaseSignals:
    """The signals of an own case: named groups of phrases that are enough
    alone (signals) or only together (hints), general-question markers and
    person words. A phrase may leave a gap between words with "…", never
    at its start or end, and never two in a row."""
    if not isinstance(data, dict):
        f.problem(data, None, "", "expected a mapping with label, signals, hints, general, questions and persons")
        return CaseSignals()
    f.unknown_keys(data, ["label", *CASE_GROUPS, *CASE_LISTS], "")
    label = f.get(data, "label", "label", "str")

    def phrases(item: Any, key: Any, path: str) -> tuple[str, ...]:
        found = f.get(item, key, path, "list", default=[])
        for i, phrase in enumerate(found):
            if not isinstance(phrase, str) or not phrase.strip():
                f.problem(found, i, f"{path}[{i}]", "must be non-empty text")
            elif CASE_EXACT in phrase.split():
                where = f"{path}[{i}]"
                f.problem(found, i, where, f'"{CASE_EXACT}" must stand right before a word ("{CASE_EXACT}sag")')
            elif CASE_START in phrase.strip()[1:] or (phrase.strip().startswith(CASE_START) and CASE_GAP in phrase):
                where = f"{path}[{i}]"
                example = f"{CASE_START}afslag på"
                f.problem(found, i, where, f'"{CASE_START}" only opens a phrase without a gap ("{example}")')
        clean = [
            " ".join(phrase.lower().replace(CASE_GAP, f" {CASE_GAP} ").split())
            for phrase in _gaps_between_words(found, f, path)
            if isinstance(phrase, str) and phrase.strip()
        ]
        if isinstance(item, dict) and key in item and not found:
            f.problem(item, key, path, "give at least one phrase")
        return tuple(clean)

    groups: dict[str, dict[str, tuple[str, ...]]] = {}
    for group in CASE_GROUPS:
        table = f.get(data, group, group, "dict", default={})
        groups[group] = {}
        for name in table or {}:
            if not isinstance(name, str) or not name.strip():
                f.problem(table, name, f"{group}.{name}", "a group needs a name")
                continue
            if any(name in groups.get(other, {}) for other in CASE_GROUPS if other != group):
                f.problem(table, name, f"{group}.{name}", "the same group name is used in signals and in hints")
            groups[group][name] = phrases(table, name, f"{group}.{name}")
    if not groups["signals"]:
        f.problem(data, "signals", "signals", "at least one group of signals is required")
    return CaseSignals(
        label=label or "Egen sag",
        signals=groups["signals"],
        hints=groups["hints"],
        general=phrases(data, "general", "general"),
        questions=phrases(data, "questions", "questions"),
        persons=phrases(data, "persons", "persons"),
    )


def _read_guidance(data: Any, f: Fields, categories: set[str] | None, errands: set[str]) -> CallbackGuidance:
    """Suggested next steps per callback category (those of
    sensitive_terms.yml and BUILT_IN_CATEGORIES) and per errand (the
    topics): each a list of short lines. An unknown category or errand is
    a problem, so a renamed category cannot silently lose its guidance."""
    if not isinstance(data, dict):
        f.problem(data, None, "", "expected a mapping with categories and errands")
        return CallbackGuidance()
    f.unknown_keys(data, ["categories", "errands"], "")
    found: dict[str, dict[str, tuple[str, ...]]] = {}
    for group, known, what in (("categories", categories, "category"), ("errands", errands, "errand")):
        table = f.get(data, group, group, "dict", required=False, default={})
        found[group] = {}
        for key in table:
            path = f"{group}.{key}"
            if known is not None and key not in known:
                f.problem(table, key, path, f"unknown {what} {key!r} (known: {', '.join(sorted(known))})")
                continue
            items = f.get(table, key, path, "list", default=[])
            clean = []
            for i, line in enumerate(items):
                text = " ".join(line.split()) if isinstance(line, str) else ""
                if not text:
                    f.problem(items, i, f"{path}[{i}]", "must be non-empty text")
                elif len(text) > MAX_GUIDANCE_CHARS:
                    f.problem(
                        items, i, f"{path}[{i}]", f"too long ({len(text)} characters, at most {MAX_GUIDANCE_CHARS})"
                    )
                else:
                    clean.append(text)
            if isinstance(table.get(key), list) and not items:
                f.problem(table, key, path, "give at least one suggestion")
            if clean:
                found[group][key] = tuple(clean)
    return CallbackGuidance(categories=found["categories"], errands=found["errands"])


def _read_outside(data: Any, f: Fields) -> tuple[OutsideSubject, ...]:
    """The subjects the assistant does not cover: per subject its words (a
    phrase may leave a gap like any keyword) and the line
    saying where to go, with an optional English line."""
    if not isinstance(data, dict):
        f.problem(data, None, "", "expected a mapping with subjects")
        return ()
    f.unknown_keys(data, ["subjects"], "")
    table = f.get(data, "subjects", "subjects", "dict", default={})
    found = []
    for key in table or {}:
        path = f"subjects.{key}"
        item = table[key]
        if not isinstance(key, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", key):
            f.problem(table, key, path, "a subject's key is lower-case letters, digits and _")
            continue
        if not isinstance(item, dict):
            f.problem(table, key, path, "expected a mapping with words and text")
            continue
        f.unknown_keys(item, ["words", "text", "en", "other_party"], path)
        other_party = f.get(item, "other_party", f"{path}.other_party", "bool", required=False, default=False)
        words = _read_words(item, f, f"{path}.words")
        if not words:
            if not item.get("words"):
                f.problem(item, "words" if "words" in item else None, f"{path}.words", "give at least one word")
            continue
        text = f.get(item, "text", f"{path}.text", "str")
        english = _read_english(item, f, path, ["text"]).get("text")
        for where, line in ((f"{path}.text", text), (f"{path}.en.text", english)):
            if line and len(" ".join(line.split())) > MAX_OUTSIDE_CHARS:
                f.problem(item, "text", where, f"too long ({len(line)} characters, at most {MAX_OUTSIDE_CHARS})")
        if text:
            english = " ".join(english.split()) if english else None
            found.append(OutsideSubject(key, words, " ".join(text.split()), english, bool(other_party)))
    return tuple(found)


def _check_outside(outside: tuple[OutsideSubject, ...], topics: dict[str, Topic], path: Path) -> list[Problem]:
    """A word that names an errand cannot also say the errand is not
    covered: the errand's own word wins, so the subject's would never apply."""
    named = {word: topic.key for topic in topics.values() for word in topic.words}
    return [
        Problem(str(path), f"subjects.{subject.key}.words", f"{word!r} names the errand {named[word]!r}")
        for subject in outside
        for word in subject.words
        if word in named
    ]


def _read_text_table(
    data: Any,
    f: Fields,
    group: str,
    names: tuple[str, ...],
    extra: tuple[str, ...] = (),
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """A file holding one mapping ``group`` of required named texts, an
    optional ``en:`` mapping of English variants grouped the same way, and
    the ``extra`` top-level keys the caller reads itself."""
    f.unknown_keys(data, [group, "en", *extra], "")
    table = f.get(data, group, group, "dict", default={})
    result = {}
    for name in names:
        text = f.get(table, name, f"{group}.{name}", "str")
        if text:
            result[name] = text
    f.unknown_keys(table, names, group)
    english: dict[str, dict[str, str]] = {}
    if isinstance(data, dict) and "en" in data:
        en_table = f.get(data, "en", "en", "dict", default={})
        for sub, value in (en_table or {}).items() if isinstance(en_table, dict) else ():
            if not isinstance(value, dict):
                f.problem(en_table, sub, f"en.{sub}", "expected a mapping of name: English text")
                continue
            for name, text in value.items():
                if not isinstance(text, str) or not text.strip():
                    f.problem(value, name, f"en.{sub}.{name}", "expected text")
            english[sub] = {k: v for k, v in value.items() if isinstance(v, str) and v.strip()}
    return result, english


def _check_templates(topics, municipalities, messages) -> list[Problem]:
    """Render every template for every municipality so typos fail at build time."""
    from bot.knowledge.texts import template_context

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    problems = []
    for municipality in municipalities.values():
        context = template_context(municipality, topics)
        items = [("knowledge/national/messages.yml", f"messages.{k}", v) for k, v in messages.items()]
        for topic in topics.values():
            display = f"knowledge/national/{topic.key}.yml"
            items.append((display, "assisted", topic.assisted))
            if topic.en.get("assisted"):
                items.append((display, "en.assisted", topic.en["assisted"]))
            answers = [*topic.answers, *([topic.general] if topic.general else [])]
            for a in answers:
                where = f"answers[{a.situation}]" if a.situation else "general"
                items.append((display, f"{where}.text", a.text))
                if a.en_text:
                    items.append((display, f"{where}.en.text", a.en_text))
        for display, field, text in items:
            try:
                env.from_string(text).render(**context, **TEMPLATE_EXTRAS)
            except jinja2.TemplateError as exc:
                problems.append(Problem(display, field, f"template error for {municipality.key}: {exc}"))
    return problems

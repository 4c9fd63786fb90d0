"""`kommunebot check`: every content problem, with file and line, in plain words.

Rasa alone would train happily on most of these mistakes and the assistant
would quietly misunderstand citizens; here they stop the editor before
training. Each check is a small function returning problems, so a new rule
is one more function.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import urllib.parse
from collections.abc import Callable, Iterable
from functools import cached_property
from pathlib import Path

from bot.chat.answers import BOOKING, CALLBACK, Reply, Responder
from bot.chat.language import DANISH, ENGLISH
from bot.chat.situation_model import MIN_EXAMPLES as MIN_SITUATION_EXAMPLES
from bot.chat.situations import normalise_situation
from bot.content import heldout
from bot.content.training_data import Example, Synonym, TrainingData, load_training_data
from bot.knowledge.contrast import theme_problem
from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import Knowledge
from bot.knowledge.problems import KnowledgeError, Problem
from bot.knowledge.review import DEFAULT_REVIEW_DAYS, days_overdue
from bot.knowledge.yaml_lines import line_of, load_yaml

MIN_EXAMPLES = 20  # any intent
MIN_ERRAND_EXAMPLES = 60  # an errand: citizens phrase them in many ways
# An errand's own cases (intent blocks marked `metadata: {case: true}`): the
# case model learns each errand's words for a case ("inddraget" beside
# "beboerlicens") from these. Not tuned: the number the issue asked of each
# errand's held-out case matters, and every errand has 15 today.
MIN_CASE_EXAMPLES = 10
NEAR_DUPLICATE = 0.75  # share of words two examples under different intents have in common
ANSWER_ACTION = "action_answer_errand"
NOT_ERRANDS = ("needs_assistance",)  # answered by the errand action, but no topic of its own
CONTENT_FOLDERS = ("knowledge", "data", "tests/stories", str(heldout.OPEN / heldout.MESSAGES))
# The scaffold's marker (UDFYLD, Danish for "fill in"); TODO is refused too.
TODO = re.compile(r"\b(?:UDFYLD|TODO)\b")
URL = re.compile(r"https?://\S+")
# Defined by Rasa itself, never in domain.yml.
RASA_SLOTS = frozenset({"requested_slot", "session_started_metadata"})
RASA_INTENTS = frozenset({"nlu_fallback", "restart", "session_start", "back"})


class Content:
    """Everything the checks look at, read once."""

    def __init__(self, root: Path, review_days: int = DEFAULT_REVIEW_DAYS):
        self.root = root
        self.review_days = review_days  # KOMMUNEBOT_REVIEW_DAYS
        self.problems: list[Problem] = []
        self.knowledge: Knowledge | None = None
        try:
            self.knowledge = load_knowledge(root / "knowledge")
        except KnowledgeError as exc:
            self.problems.extend(exc.problems)
        self.data: TrainingData = load_training_data(root, ("data",))
        self.tests: TrainingData = load_training_data(root, ("tests/stories",))
        self.problems.extend(self.data.problems + self.tests.problems)
        self.domain = {}
        try:
            self.domain = load_yaml(root / "domain.yml", "domain.yml") or {}
        except KnowledgeError as exc:
            self.problems.extend(exc.problems)

    def domain_list(self, key: str) -> list:
        value = self.domain.get(key) or []
        return list(value.keys()) if isinstance(value, dict) else list(value)

    @cached_property
    def errand_intents(self) -> frozenset[str]:
        """Intents a rule or story sends straight to the errand-answer action."""
        return frozenset(
            intent for intent, actions in self.data.next_actions.items() if ANSWER_ACTION in actions
        ) - frozenset(NOT_ERRANDS)


def _safe_yaml(path: Path):
    try:
        return load_yaml(path, str(path))
    except KnowledgeError:
        return None


# --- the checks -------------------------------------------------------------


def todo_markers(content: Content) -> Iterable[Problem]:
    for folder in CONTENT_FOLDERS:
        for path in sorted((content.root / folder).rglob("*.yml")):
            for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                if TODO.search(line):
                    yield Problem(str(path.relative_to(content.root)), "", f"ikke udfyldt: {line.strip()}", number)
    for number, line in enumerate((content.root / "domain.yml").read_text(encoding="utf-8").splitlines(), 1):
        if TODO.search(line):
            yield Problem("domain.yml", "", f"ikke udfyldt: {line.strip()}", number)


def intents_have_examples_and_dialogue(content: Content) -> Iterable[Problem]:
    grouped = content.data.by_intent()
    errands = content.errand_intents | set(content.knowledge.topics if content.knowledge else ())
    intents = content.domain.get("intents") or []
    for index, intent in enumerate(intents):
        line = line_of(intents, index)
        examples = grouped.get(intent, [])
        minimum = MIN_ERRAND_EXAMPLES if intent in errands else MIN_EXAMPLES
        if len(examples) < minimum:
            yield Problem(
                "domain.yml",
                f"intents.{intent}",
                f"has {len(examples)} training examples in data/nlu/; write at least {minimum}",
                line,
            )
        if intent not in content.data.dialogue_intents:
            yield Problem(
                "domain.yml",
                f"intents.{intent}",
                "no rule or story in data/rules/ or data/stories/ says what to do with it",
                line,
            )
    for intent, (file, line) in content.data.intent_lines.items():
        if intent not in intents:
            yield Problem(file, intent, "this intent is not listed under 'intents:' in domain.yml", line)


def errands_have_case_examples(content: Content) -> Iterable[Problem]:
    """Every errand teaches the case model its own cases, so a citizen's
    case about any errand reaches a caseworker (bot/chat/case_matter.py)."""
    if content.knowledge is None:
        return
    counts: dict[str, int] = {}
    for example in content.data.examples:
        if example.case:
            counts[example.intent] = counts.get(example.intent, 0) + 1
    intents = content.domain.get("intents") or []
    for key in sorted(content.knowledge.topics):
        if counts.get(key, 0) < MIN_CASE_EXAMPLES:
            file, line = content.data.intent_lines.get(key, (f"knowledge/national/{key}.yml", 1))
            if key in intents:
                file, line = "domain.yml", line_of(intents, intents.index(key))
            yield Problem(
                file,
                f"intents.{key}",
                f"has {counts.get(key, 0)} examples of citizens' own cases (an intent block with "
                f"'metadata: case: true' in data/nlu/); write at least {MIN_CASE_EXAMPLES}",
                line,
            )


def errands_have_knowledge(content: Content) -> Iterable[Problem]:
    if content.knowledge is None:
        return
    intents = content.domain.get("intents") or []
    for intent in sorted(content.errand_intents):
        if intent not in content.knowledge.topics:
            file, line = content.data.intent_lines.get(intent, ("domain.yml", None))
            yield Problem(file, intent, f"errand without an entry in knowledge/national/{intent}.yml", line)
    for key in sorted(content.knowledge.topics):
        if key not in intents:
            yield Problem(
                f"knowledge/national/{key}.yml",
                "topic",
                f"no intent '{key}' in domain.yml, so citizens can never reach this entry",
                1,
            )
        elif key not in content.errand_intents:
            yield Problem(
                f"knowledge/national/{key}.yml",
                "topic",
                f"no rule sends intent '{key}' to {ANSWER_ACTION} in data/rules/",
                1,
            )


def reviews_not_overdue(content: Content, today: dt.date | None = None) -> Iterable[Problem]:
    """Every review date (an answer's, a municipality's verified values)
    older than the review limit, by the rule the dashboard's list uses
    (bot.knowledge.review)."""
    today = today or dt.date.today()
    for path in sorted((content.root / "knowledge").rglob("*.yml")):
        data = _safe_yaml(path)
        for container, key, value in _walk(data):
            if key != "reviewed" or not isinstance(value, dt.date):
                continue
            late = days_overdue(value, today, content.review_days)
            if late > 0:
                yield Problem(
                    str(path.relative_to(content.root)),
                    "reviewed",
                    f"last reviewed {value.isoformat()}, more than {content.review_days} days ago "
                    f"({late} days overdue): check the facts and the sources, then set today's date",
                    line_of(container, key),
                )


def _walk(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield node, key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _normal(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def examples_not_shared(content: Content) -> Iterable[Problem]:
    seen: dict[str, Example] = {}
    for example in content.data.examples:
        key = _normal(example.text)
        first = seen.setdefault(key, example)
        if first is not example and first.intent != example.intent:
            yield Problem(
                example.file,
                example.intent,
                f"the same example {example.text!r} is also under intent '{first.intent}' "
                f"({first.file}:{first.line}); keep it under one",
                example.line,
            )


def examples_not_confusable(content: Content) -> Iterable[Problem]:
    """Near-duplicates under different intents: the model cannot tell them apart."""
    words = [(e, frozenset(_normal(e.text).split())) for e in content.data.examples]
    words = [(e, w) for e, w in words if len(w) >= 4]
    by_word: dict[str, list[int]] = {}
    for index, (_, w) in enumerate(words):
        for word in w:
            by_word.setdefault(word, []).append(index)
    reported = set()
    for index, (example, w) in enumerate(words):
        candidates = set()
        for word in w:
            if len(by_word[word]) < 200:  # common words say nothing
                candidates.update(by_word[word])
        for other_index in sorted(candidates):
            if other_index <= index:
                continue
            other, v = words[other_index]
            if other.intent == example.intent or w == v:
                continue
            overlap = len(w & v) / len(w | v)
            if overlap >= NEAR_DUPLICATE and (other_index, index) not in reported:
                reported.add((index, other_index))
                yield Problem(
                    other.file,
                    other.intent,
                    f"{other.text!r} is almost the same as {example.text!r} under intent "
                    f"'{example.intent}' ({example.file}:{example.line}); the assistant will confuse "
                    "them: rephrase or move one",
                    other.line,
                )


def entities_and_slots_in_domain(content: Content) -> Iterable[Problem]:
    entities = set(content.domain_list("entities"))
    slots = set(content.domain_list("slots")) | RASA_SLOTS
    for example in content.data.examples:
        for entity in example.entities:
            if entity not in entities:
                yield Problem(
                    example.file,
                    example.intent,
                    f"entity '{entity}' is not listed under 'entities:' in domain.yml",
                    example.line,
                )
    for slot, file, line in content.data.slots_used + content.tests.slots_used:
        if slot not in slots:
            yield Problem(file, slot, "slot is not defined under 'slots:' in domain.yml", line)
    for intent, places in content.tests.dialogue_intents.items():
        if intent not in (content.domain.get("intents") or []) and intent not in RASA_INTENTS:
            file, line = places[0]
            yield Problem(file, intent, "test story uses an intent that domain.yml does not list", line)


def synonyms_consistent(content: Content) -> Iterable[Problem]:
    """Rasa's synonym mapper gives a word one value for every intent and
    entity, so a second value silently overrides the first."""
    places: dict[str, dict[str, list[Synonym]]] = {}  # word -> value -> where it is given
    for synonym in content.data.synonyms:
        places.setdefault(synonym.word.lower(), {}).setdefault(synonym.value.lower(), []).append(synonym)
    for by_value in places.values():
        # The value most places agree on is the intended one; the others are the slips.
        agreed, *others = sorted(by_value.values(), key=len, reverse=True)
        for synonym in (places_of_value[0] for places_of_value in others):
            yield Problem(
                synonym.file,
                synonym.place,
                f"{synonym.word!r} is mapped to {synonym.value!r} here but to {agreed[0].value!r} in "
                f"{agreed[0].file}:{agreed[0].line}; Rasa gives a word one value for every topic, so choose one "
                "topic-neutral value and list it in the situation keywords in knowledge/national/",
                synonym.line,
            )


def situation_values_resolve(content: Content) -> Iterable[Problem]:
    """A situation value its own topic does not know makes the assistant ask
    the citizen what they just said."""
    if content.knowledge is None:
        return
    for synonym in content.data.synonyms:
        topic = content.knowledge.topics.get(synonym.intent or "")
        if topic is None or synonym.entity != "situation" or normalise_situation(topic, synonym.value):
            continue
        yield Problem(
            synonym.file,
            synonym.place,
            f"{synonym.word!r} gives situation {synonym.value!r}, which is neither a situation nor a keyword "
            f"in knowledge/national/{topic.key}.yml; add it to the keywords of the situation it means",
            synonym.line,
        )


def block_situations_resolve(content: Content) -> Iterable[Problem]:
    """A block's `metadata: {situation: <key>}` must name a situation of its
    own errand, or its examples would teach the situation model nothing
    (glue/situation_classifier.py leaves an unknown one unlabelled)."""
    if content.knowledge is None:
        return
    seen: set[tuple[str, str, str]] = set()
    for example in content.data.examples:
        if example.situation is None or (example.file, example.intent, example.situation) in seen:
            continue
        seen.add((example.file, example.intent, example.situation))
        topic = content.knowledge.topics.get(example.intent)
        if topic is not None and normalise_situation(topic, example.situation):
            continue
        known = ", ".join(s.key for s in topic.situations) if topic is not None else ""
        yield Problem(
            example.file,
            f"{example.intent}.metadata.situation",
            f"{example.situation!r} is not a situation of {example.intent!r}"
            + (f" (knowledge/national/{topic.key}.yml: {known})" if topic is not None else " (not an errand)"),
            example.line,
        )


def situations_have_examples(content: Content) -> Iterable[Problem]:
    """The situation model learns a situation from its examples; with too
    few it cannot, and the citizen gets the general answer instead."""
    if content.knowledge is None:
        return
    block = {s.word.lower(): s.value for s in content.data.synonyms if s.intent is None}
    counts: dict[tuple[str, str], int] = {}
    for synonym in content.data.synonyms:
        topic = content.knowledge.topics.get(synonym.intent or "")
        if topic is None or synonym.entity != "situation":
            continue
        value = block.get(synonym.value.lower(), synonym.value)
        found = normalise_situation(topic, value)
        if found:
            counts[(topic.key, found)] = counts.get((topic.key, found), 0) + 1
    for example in content.data.examples:
        topic = content.knowledge.topics.get(example.intent)
        found = normalise_situation(topic, example.situation) if topic is not None and example.situation else None
        if found:
            counts[(topic.key, found)] = counts.get((topic.key, found), 0) + 1
    for topic in content.knowledge.topics.values():
        if len(topic.situations) < 2:
            continue
        line = content.data.intent_lines.get(topic.key)
        for situation in topic.situations:
            n = counts.get((topic.key, situation.key), 0)
            if n < MIN_SITUATION_EXAMPLES:
                yield Problem(
                    line[0] if line else f"data/nlu/{topic.key}.yml",
                    topic.key,
                    f"situation {situation.key!r} has {n} annotated example(s); the situation model needs at least "
                    f"{MIN_SITUATION_EXAMPLES}: annotate more examples with "
                    f'[words]{{"entity": "situation", "value": "{situation.key}"}}',
                    line[1] if line else None,
                )


def _errand_files(content: Content) -> Iterable[tuple[str, str, dict]]:
    """Each errand's key, knowledge file (relative path) and YAML with line numbers."""
    for key in sorted(content.knowledge.topics):
        name = f"knowledge/national/{key}.yml"
        data = _safe_yaml(content.root / name)
        if isinstance(data, dict):
            yield key, name, data


def _situation_line(data: dict, key: str) -> int | None:
    situations = data.get("situations") or []
    for index, situation in enumerate(situations):
        if isinstance(situation, dict) and situation.get("key") == key:
            return line_of(situations, index)
    return None


def _reply_gap(reply: Reply | None, channel: str, texts: dict[str, str]) -> str | None:
    """What a first reply lacks of the essential, in words for the editor, or None."""
    if reply is None:
        return "has no answer, so the first reply is the 'no answer' message"
    if channel == CALLBACK:
        if texts["offer_callback"] not in reply.text or not any(
            b["payload"] == "/callback_request" for b in reply.buttons
        ):
            return "is a callback situation, but the first reply does not offer the booked callback"
        return None
    if not URL.search(reply.text):
        return "the first reply names no link: give the answer a link (or municipal_link)"
    if channel == BOOKING and texts["attendance"] not in reply.text:
        return "the channel is booking, but the first reply does not say to book a time and attend"
    return None


def first_replies_give_link_and_channel(content: Content) -> Iterable[Problem]:
    """The first reply to an errand, and to each of its situations named in
    the first message, gives what every citizen must do before any question
    (issue 26): the self-service link, and the channel the situation needs
    (booked attendance with the booking page; a callback situation offers the
    booked callback instead of a link). Composed as the assistant composes
    it, for every municipality and in both languages, so a gap in the
    content or in the composition shows here."""
    if content.knowledge is None:
        return
    knowledge = content.knowledge
    responder = Responder(knowledge)
    for key, name, data in _errand_files(content):
        topic = knowledge.topics[key]
        reported: set[str] = set()
        for municipality in knowledge.municipalities.values():
            for language in (DANISH, ENGLISH):
                texts = {
                    message: responder.message(message, municipality, language)
                    for message in ("attendance", "offer_callback")
                }
                first = [("general", responder.channel_for(topic), responder.general(topic, municipality, language))]
                first += [
                    (
                        f"situations.{s.key}",
                        s.channel,
                        responder.situation_first(topic, s.key, municipality, language),
                    )
                    for s in topic.situations
                ]
                for field, channel, reply in first:
                    gap = _reply_gap(reply, channel, texts)
                    if gap is None or field in reported:
                        continue
                    reported.add(field)
                    line = (
                        line_of(data, "general")
                        if field == "general"
                        else _situation_line(data, field.removeprefix("situations."))
                    )
                    yield Problem(name, field, f"{gap} (seen for {municipality.key}, language {language})", line)


def _front_page(url: str) -> bool:
    parsed = urllib.parse.urlsplit(url.strip())
    return parsed.path.strip("/") == "" and not parsed.query and not parsed.fragment


def links_are_deep(content: Content) -> Iterable[Problem]:
    """An answer's link is the page for its errand and situation: a site's
    front page (https://www.borger.dk) leaves the citizen to search for the
    errand themselves, and 29 of 73 links were that (issue 26)."""
    if content.knowledge is None:
        return
    for _, name, data in _errand_files(content):
        places = [("general", data.get("general"))]
        answers = data.get("answers") or []
        places += [(f"answers[{index}]", answer) for index, answer in enumerate(answers)]
        for field, answer in places:
            if not isinstance(answer, dict) or not isinstance(answer.get("link"), str):
                continue
            if _front_page(answer["link"]):
                situation = f" (situation {answer['situation']})" if answer.get("situation") else ""
                yield Problem(
                    name,
                    f"{field}.link",
                    f"{answer['link']} is a site's front page, not the page for this errand{situation}: "
                    "link the errand's own page, e.g. https://www.borger.dk/<area>/<errand page>",
                    line_of(answer, "link"),
                )


def errands_have_heldout_messages(content: Content) -> Iterable[Problem]:
    """Each errand has at least MIN_ERRAND_MESSAGES held-out messages where the
    default `kommunebot eval` reads them (the open set), so a new errand is
    measured from its first training."""
    if content.knowledge is None:
        return
    for key in sorted(content.knowledge.topics):
        path = heldout.messages_file(content.root, key)
        name = str(path.relative_to(content.root))
        data = _safe_yaml(path) if path.is_file() else None
        items = data.get("messages") if isinstance(data, dict) else None
        count = len(items) if isinstance(items, list) else 0
        if count < heldout.MIN_ERRAND_MESSAGES:
            yield Problem(
                name,
                "messages",
                f"has {count} held-out messages for the errand {key}; write at least "
                f"{heldout.MIN_ERRAND_MESSAGES}, none of them in data/nlu/",
                line_of(data, "messages") if isinstance(data, dict) else None,
            )


def theme_colours_readable(content: Content) -> Iterable[Problem]:
    """The widget's colour passes WCAG 2.2 AA with white text and on a white
    page; the site server would otherwise quietly use its default colour."""
    if content.knowledge is None:
        return
    for key in sorted(content.knowledge.municipalities):
        colour = content.knowledge.municipalities[key].primary_colour
        reason = theme_problem(colour) if colour else None
        if reason:
            name = f"knowledge/municipalities/{key}.yml"
            data = _safe_yaml(content.root / name)
            theme = data.get("theme") if isinstance(data, dict) else None
            line = line_of(theme, "primary_colour") if isinstance(theme, dict) else None
            yield Problem(name, "theme.primary_colour", reason, line)


CHECKS: tuple[Callable[[Content], Iterable[Problem]], ...] = (
    todo_markers,
    intents_have_examples_and_dialogue,
    errands_have_case_examples,
    errands_have_knowledge,
    reviews_not_overdue,
    examples_not_shared,
    examples_not_confusable,
    entities_and_slots_in_domain,
    synonyms_consistent,
    situation_values_resolve,
    block_situations_resolve,
    situations_have_examples,
    first_replies_give_link_and_channel,
    links_are_deep,
    errands_have_heldout_messages,
    theme_colours_readable,
)


def rasa_validate(root: Path) -> list[Problem]:
    """Rasa's own `data validate`, for what only Rasa knows (story conflicts, responses)."""
    rasa = Path(sys.executable).parent / "rasa"
    result = subprocess.run(
        [str(rasa), "data", "validate", "--fail-on-warnings", "--domain", "domain.yml", "--data", "data"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    if result.returncode == 0:
        return []
    lines = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if ("UserWarning" in line or "ERROR" in line or "WARNING" in line) and "telemetry" not in line
    ]
    return [Problem("rasa data validate", "", line.strip()) for line in lines[:20]] or [
        Problem("rasa data validate", "", f"failed with exit code {result.returncode}")
    ]


def check(root: Path, with_rasa: bool = True, review_days: int = DEFAULT_REVIEW_DAYS) -> list[Problem]:
    content = Content(root, review_days)
    problems = list(content.problems)
    for rule in CHECKS:
        problems.extend(rule(content))
    if with_rasa and not problems:
        problems.extend(rasa_validate(root))
    return problems

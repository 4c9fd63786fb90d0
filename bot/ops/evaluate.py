"""Run the held-out evaluation against real servers (`kommunebot eval`).

The Rasa and action servers are started as for `make run`, with their own
tracker and data files in the output folder, so an evaluation never
touches a running assistant's records. ``--baseline`` also trains Rasa's
default recommended pipeline on the same training data and parses the
same messages with it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from bot.content import evaluation, heldout
from bot.knowledge.build import build_database
from bot.knowledge.loader import load_knowledge
from bot.knowledge.search import KnowledgeSearch
from bot.ops.http import free_port, rasa_parser
from bot.ops.processes import Stack

# Rasa's default recommended pipeline (`rasa init`'s config.yml), with the
# project's language; the policies do not matter for parsing.
BASELINE_CONFIG = """\
recipe: default.v1
language: da
assistant_id: kommunebot-baseline
pipeline:
  - name: WhitespaceTokenizer
  - name: RegexFeaturizer
  - name: LexicalSyntacticFeaturizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: 100
    constrain_similarities: true
  - name: EntitySynonymMapper
  - name: ResponseSelector
    epochs: 100
    constrain_similarities: true
  - name: FallbackClassifier
    threshold: 0.3
    ambiguity_threshold: 0.1
policies:
  - name: RulePolicy
"""


def stack_for(out: Path, model: Path, actions: bool = True) -> Stack:
    env = {
        "KOMMUNEBOT_TRACKER_URL": f"sqlite:///{out / 'tracker.db'}",
        "KOMMUNEBOT_DATA_DB": str(out / "data.db"),
        "KOMMUNEBOT_VAR_DIR": str(out / "var"),
        # Hundreds of messages from one address in a minute are the point here.
        "KOMMUNEBOT_RATE_SENDER": "100000/60",
        "KOMMUNEBOT_RATE_ADDRESS": "100000/60",
        # All bookings come from 127.0.0.1 too (the booking probes test the caps on their own).
        "KOMMUNEBOT_MAX_BOOKINGS_ADDRESS": "100000",
        "KOMMUNEBOT_RATE_BOOKINGS_ADDRESS": "100000/60",
    }
    return Stack(free_port(), free_port(), env=env, log_dir=out / "logs", model=model)


def converser(stack: Stack):
    """A Converse function: send one message, read back what the reply did
    from the bot events' metadata in the tracker (token-protected API)."""
    run = uuid.uuid4().hex[:8]

    def converse(conversation: str, text: str) -> dict:
        sender = f"eval-{run}-{conversation}"[:100]
        status, _ = stack.send(sender, text, metadata={})
        if status != 200:
            return {"channel": None, "error": f"HTTP {status}"}
        status, tracker = stack.api(f"/conversations/{sender}/tracker")
        if status != 200 or not isinstance(tracker, dict):
            return {"channel": None, "error": f"tracker HTTP {status}"}
        events = tracker.get("events") or []
        last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
        found: dict = {"channel": None}
        for event in events[last_user + 1 :]:
            meta = (event.get("metadata") or {}).get("kommunebot") if event.get("event") == "bot" else None
            if meta and meta.get("channel"):
                # The first reply decides: a form question may follow it.
                found = {k: meta.get(k) for k in ("channel", "topic", "situation")}
                for mark in ("menu", "escalated"):
                    if meta.get(mark):
                        found[mark] = meta[mark]
                break
        return found

    return converse


def escalation(converse):
    """The sensitive set's question, asked of the real assistant: a fresh
    conversation per message, and the channel of its reply."""
    counter = iter(range(1_000_000))

    def escalates(text: str) -> str | None:
        got = converse(f"sensitive-{next(counter)}", text)
        return evaluation.escalated(got)

    return escalates


def train_baseline(root: Path, out: Path) -> Path:
    """Train the default pipeline's NLU on the project's training data."""
    config = out / "baseline-config.yml"
    config.write_text(BASELINE_CONFIG, encoding="utf-8")
    models = out / "baseline-model"
    command = [
        str(Path(sys.executable).with_name("rasa")),
        "train",
        "nlu",
        "--config",
        str(config),
        "--nlu",
        str(root / "data"),
        "--out",
        str(models),
        "--fixed-model-name",
        "baseline",
    ]
    log = out / "logs" / "baseline-train.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as handle:
        done = subprocess.run(command, cwd=root, stdout=handle, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"training the baseline failed (exit {done.returncode}); see {log}")
    return models / "baseline.tar.gz"


def barrier_reader(root: Path):
    """The assistant's own barrier phrases, to score an errand with a
    barrier as the assisted channel it gets."""
    from bot.chat.reading import KeywordRules, Lemmatiser
    from bot.settings import Settings

    knowledge = load_knowledge(root / "knowledge")
    rules = KeywordRules.for_knowledge(knowledge, Lemmatiser(Settings.load({}).spacy_path))
    return rules.barriers


def sensitive_detector(root: Path, parse: evaluation.Parse) -> evaluation.Detect:
    """The sensitive-matter detection as the action server builds it
    (bot/chat/runtime.py), on Rasa's parse of the redacted message, with
    the case reading that also diverts a message (bot/chat/case_matter.py):
    an own case counts as detected."""
    from bot.chat.case_matter import CaseReader
    from bot.chat.sensitive import Detection, SensitiveDetector, carries_case
    from bot.privacy.redaction import redact
    from bot.settings import Settings

    knowledge = load_knowledge(root / "knowledge")
    spacy_path = Settings.load({}).spacy_path
    detector = SensitiveDetector(knowledge.sensitive, spacy_path, (*knowledge.topics, "needs_assistance"))
    case_reader = CaseReader(knowledge.case_signals, spacy_path)

    def detect(text: str):
        redaction = redact(text)
        parsed = parse(redaction.text)
        intent = parsed["intent"]
        case = case_reader.read(redaction.text, (parsed.get("case") or {}).get("confidence"))
        found = detector.detect(
            redaction.text,
            intent["name"],
            intent["confidence"],
            redaction.counts,
            parsed["intent_ranking"],
            carries_case(redaction.text, case),
            learned=(parsed.get("sensitive") or {}).get("confidence"),
            reading=case,
        )
        if found is None and case.case:
            found = Detection("case", knowledge.case_signals.label, False, "case_matter")
        return found, parsed

    return detect


PARTS = ("messages", "sensitive", "conversations", "search", "cases")
# The parts that need the real servers; the search runs in process.
STACK_PARTS = {"messages", "sensitive", "conversations", "cases"}


def evaluate_search(root: Path, folder: Path) -> dict:
    """The "Mente du …?" search on the compiled knowledge base, in process
    (it runs in the action server the same way)."""
    knowledge = load_knowledge(root / "knowledge")
    topics = {key: {s.key for s in topic.situations} for key, topic in knowledge.topics.items()}
    sets = heldout.load_search(folder, topics)
    with tempfile.TemporaryDirectory() as tmp:
        search = KnowledgeSearch(build_database(knowledge, Path(tmp) / "knowledge.db"))
        try:
            return evaluation.evaluate_search(lambda text: [s.key for s in search.suggest(text)], sets)
        finally:
            search.close()


def evaluate_set(
    root: Path,
    sealed: bool,
    parts: set[str],
    parse: evaluation.Parse | None = None,
    converse: evaluation.Converse | None = None,
) -> dict:
    """Score ``parts`` of the open or the sealed set, once, with servers the
    caller started (``parse`` and ``converse``; neither is needed for the
    search alone). The items written beside the training data are scored
    on their own, as the older set always was. Returns the report's text
    and data."""
    folder = heldout.set_folder(root, sealed)
    label = "sealed" if sealed else "open"
    results: dict = {"set": label}
    texts: list[str] = []

    def section(key: str, heading: str, report: dict, text: str) -> None:
        results[key] = report
        texts.extend([f"== {heading} ==", text])

    trained = evaluation.training_texts(root)
    knowledge = load_knowledge(root / "knowledge")
    if "messages" in parts:
        items, skipped = evaluation.unseen(heldout.load_messages(folder), trained)
        ours = evaluation.evaluate_messages(parse, items, evaluation.scored_intents(root), barrier_reader(root))
        for key in ("gold", "predicted"):
            ours.pop(key)
        ours["identical_to_training"] = skipped
        section(
            "messages",
            f"Held-out messages ({label}, {ours['examples']}; {skipped} identical to a training example left out)",
            ours,
            evaluation.format_report(ours),
        )
        texts.append(
            "per voice: " + ", ".join(f"{v} {m['accuracy']:.0%} ({m['n']})" for v, m in ours["per_voice"].items())
        )
        texts.append(f"macro-F1 (errands, needs_assistance, out_of_scope): {ours['macro_f1']:.3f}")
        if converse is not None:
            callback_situations = {
                key: {s.key for s in topic.situations if s.channel == "callback"}
                for key, topic in knowledge.topics.items()
            }
            replies = evaluation.evaluate_replies(converse, items, evaluation.scored_intents(root), callback_situations)
            section(
                "replies",
                f"The same messages by the assistant's first reply ({label}, {replies['examples']}; "
                "a fresh conversation each)",
                replies,
                evaluation.format_replies(replies),
            )
        beside = heldout.load_messages(folder, heldout.BESIDE_TRAINING)
        if beside:
            # As the older set was always scored: the NLU's own intent,
            # over the errands and out_of_scope, nothing left out.
            older = evaluation.evaluate(
                parse, [(m["text"], m["intent"]) for m in beside], evaluation.errand_intents(root)
            )
            section(
                "messages_beside_training",
                f"Held-out messages written beside the training data ({label}, {older['examples']}; "
                "the older set, flatters)",
                older,
                evaluation.format_report(older),
            )
    if "sensitive" in parts:
        sets = heldout.load_sensitive(folder)
        skipped = 0
        for part in sets:
            sets[part], n = evaluation.unseen(sets[part], trained)
            skipped += n
        report = evaluation.evaluate_sensitive(escalation(converse), sets)
        report["identical_to_training"] = skipped
        section(
            "sensitive",
            f"Personal versus plain ({label}; {skipped} identical to a training example left out)",
            report,
            evaluation.format_sensitive(report),
        )
        beside = heldout.load_sensitive(folder, heldout.BESIDE_TRAINING)
        if any(beside.values()):
            report = evaluation.evaluate_detection(sensitive_detector(root, parse), beside)
            section(
                "sensitive_beside_training",
                f"Sensitive matters written beside the training data ({label}; NLU and term list alone, "
                "no dialogue; the older set)",
                report,
                evaluation.format_detection(report),
            )
    if "conversations" in parts:
        topics = set(knowledge.topics)
        report = evaluation.evaluate_conversations(converse, heldout.load_conversations(folder, topics))
        section("conversations", f"Held-out conversations ({label})", report, evaluation.format_conversations(report))
    if "cases" in parts:
        errands = set(knowledge.topics)
        report = evaluation.evaluate_cases(converse, heldout.load_cases(folder, errands))
        section(
            "cases",
            f"Case matters, sensitive kinds and plain questions ({label})",
            report,
            evaluation.format_cases(report),
        )
    if "search" in parts:
        report = evaluate_search(root, folder)
        section("search", f"Search fallback ({label})", report, evaluation.format_search(report))
    return {"text": "\n".join(texts), "data": results}


def write_report(out: Path, report: dict) -> None:
    """heldout-<set>.txt and .json in ``out``, and for the messages written
    beside the training data report.txt and confusion.png."""
    out.mkdir(parents=True, exist_ok=True)
    data = report["data"]
    older = data.get("messages_beside_training")
    if older and "gold" in older:
        evaluation.confusion_png(older.pop("gold"), older.pop("predicted"), out / "confusion.png")
        (out / "report.txt").write_text(evaluation.format_report(older) + "\n", encoding="utf-8")
    label = data["set"]
    (out / f"heldout-{label}.txt").write_text(report["text"] + "\n", encoding="utf-8")
    (out / f"heldout-{label}.json").write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def run(root: Path, out: Path, model: Path, parts: set[str], sealed: bool, baseline: bool) -> dict:
    """Evaluate ``parts`` (messages, sensitive, conversations, search) on
    the open or the sealed set with servers of its own; returns the report
    texts and data, also written to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    stack = stack_for(out, model) if parts & STACK_PARTS else None
    try:
        parse = converse = None
        if stack is not None:
            stack.start_actions()
            stack.start_rasa()
            stack.wait_actions()
            stack.wait_rasa()
            parse = rasa_parser(stack.url, stack.api_token)
            converse = converser(stack)
        report = evaluate_set(root, sealed, parts, parse, converse)
    finally:
        if stack is not None:
            stack.stop()
    results, texts = report["data"], [report["text"]]
    label = results["set"]
    if baseline and "messages" in results:
        base_model = train_baseline(root, out)
        base_stack = stack_for(out / "baseline", base_model)
        try:
            base_stack.start_rasa()
            base_stack.wait_rasa()
            items, _ = evaluation.unseen(
                heldout.load_messages(heldout.set_folder(root, sealed)), evaluation.training_texts(root)
            )
            theirs = evaluation.evaluate_messages(
                rasa_parser(base_stack.url, base_stack.api_token),
                items,
                evaluation.scored_intents(root),
                barrier_reader(root),
            )
        finally:
            base_stack.stop()
        for key in ("gold", "predicted"):
            theirs.pop(key)
        results["baseline"] = theirs
        texts += [
            f"== Ours against Rasa's default pipeline ({label} messages) ==",
            evaluation.format_side_by_side(results["messages"], theirs),
            f"margin: {results['messages']['macro_f1'] - theirs['macro_f1']:+.3f}",
        ]
    report = {"text": "\n".join(texts), "data": results}
    write_report(out, report)
    return report

"""Scoring the held-out sets (`kommunebot eval` and tests/system/test_heldout.py).

The sets and their loader are in ``bot.content.heldout``. What is scored:
- messages: intent per message, in voices unlike the training data, and,
  on their own, the messages written beside the training data;
- sensitive: false escalation of plain questions and recall of personal
  and urgent matters in the assistant's reply, and, for the older set
  written beside the training data, in the NLU and term list alone;
- conversations: the channel the assistant's reply must give after each
  turn, run through the real Rasa and action servers;
- search: the search fallback's suggestions;
- cases: case matters that must reach the callback, sensitive matters per
  kind (third person, an illness touching an errand, bereavement, ...) and
  plain questions that mention money, age, health or a relative, which
  must not.
Starting servers is the caller's part: this module gets ``parse`` and
``converse`` functions, so it needs no process runner.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.chat.reading import barriers_for
from bot.knowledge.loader import load_knowledge

# text -> Rasa's parse result ({"intent": {"name", "confidence"}, ...})
Parse = Callable[[str], dict]
# (conversation id, message) -> what the assistant's reply did: its
# tracker metadata {"channel", "topic", "situation"} (channel None when none),
# and "menu": True when the reply was a topic menu.
Converse = Callable[[str, str], dict]


def errand_intents(root: Path) -> tuple[str, ...]:
    """Every errand in the knowledge base, plus out_of_scope: what the macro-F1 covers."""
    return (*sorted(load_knowledge(root / "knowledge").topics), "out_of_scope")


def scored_intents(root: Path) -> tuple[str, ...]:
    """What the held-out macro-F1 covers: errands, needs_assistance and out_of_scope."""
    return (*sorted(load_knowledge(root / "knowledge").topics), "needs_assistance", "out_of_scope")


def normalise(text: str) -> str:
    return " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())


def training_texts(root: Path) -> set[str]:
    from rasa.shared.nlu.training_data.loading import load_data

    return {normalise(m.get("text")) for m in load_data(str(root / "data" / "nlu")).intent_examples}


def unseen(items: list[dict], trained: set[str], key: str = "text") -> tuple[list[dict], int]:
    """The items whose text is not also a training example. Short messages
    ("pas", "hej") were written independently on both sides; scoring them
    would measure memory, so they are left out and counted."""
    kept = [m for m in items if normalise(m[key]) not in trained]
    return kept, len(items) - len(kept)


def evaluate_messages(
    parse: Parse, items: list[dict], scored: tuple[str, ...], barriers: Callable[[str], set] | None = None
) -> dict:
    """Intent figures for held-out messages, plus accuracy per voice."""
    report = evaluate(parse, [(m["text"], m["intent"]) for m in items], scored, lambda p: assisted_errand(p, barriers))
    voices: dict[str, list[bool]] = {}
    for item, gold, predicted in zip(items, report["gold"], report["predicted"], strict=True):
        voices.setdefault(item.get("voice") or "-", []).append(gold == predicted)
    report["per_voice"] = {v: {"accuracy": round(sum(r) / len(r), 3), "n": len(r)} for v, r in sorted(voices.items())}
    report.pop("macro_f1_errands")
    scored_f1 = [report["per_intent"][i]["f1"] for i in scored if i in report["per_intent"]]
    report["macro_f1"] = round(sum(scored_f1) / max(len(scored_f1), 1), 3)
    return report


def reply_intent(got: dict) -> str:
    """What the citizen got, read as an intent: needs_assistance for help
    without the digital solution, the errand the reply answers (whatever
    else its channel), out_of_scope for the scope reply or a
    "didn't understand" with no errand, "menu" for a topic menu, else the
    reply's channel (a callback about no errand, small talk)."""
    channel = got.get("channel")
    if channel == "assisted":
        # Help without the digital solution, with or without its errand, as
        # assisted_errand scores the NLU.
        return "needs_assistance"
    if got.get("topic"):
        return got["topic"]
    if channel == "out_of_scope" or (channel == "fallback" and not got.get("menu")):
        return "out_of_scope"
    if got.get("menu"):
        return "menu"
    return channel or "none"


def evaluate_replies(
    converse: Converse,
    items: list[dict],
    scored: tuple[str, ...],
    callback_situations: dict[str, set[str]] | None = None,
) -> dict:
    """The held-out messages as the citizen meets them (issue 26): each in a
    fresh conversation through the real servers, scored by what the first
    reply does (``reply_intent``), not by the NLU's intent. The thread's
    routing, the barrier phrases, answer-first and the search all count
    here, for better or worse.

    ``reply_intent`` reads a callback about the right errand as that errand,
    so an errand question refused as a case or a sensitive matter would
    pass unseen; ``callback_situations`` (per errand, the situations whose
    own answer is the callback) lets the report count those escalations:
    errand messages whose first reply escalated (``escalated``), unless
    their label names a callback situation. A few older messages tell of a
    case without such a label, so the count is an upper bound."""
    counter = iter(range(1_000_000))
    replies: dict[str, dict] = {}

    def parse(text: str) -> dict:
        got = converse(f"message-{next(counter)}", text)
        replies[text] = got
        return {"intent": {"name": reply_intent(got), "confidence": 1.0}, "text": text}

    report = evaluate_messages(parse, items, scored)
    for key in ("gold", "predicted"):
        report.pop(key)
    if callback_situations is not None:
        errand_items = [m for m in items if m.get("intent") in callback_situations and m["text"] in replies]
        refused = [
            (m["text"], m["intent"], got.get("escalated") or escalated(got))
            for m in errand_items
            if m.get("situation") not in callback_situations[m["intent"]] and escalated(got := replies[m["text"]])
        ]
        report["errand_escalations"] = refused
        report["errand_messages"] = len(errand_items)
        report["errand_escalated"] = round(len(refused) / max(len(errand_items), 1), 4)
    return report


def format_replies(report: dict) -> str:
    """The lines that differ in meaning from the NLU's table: out of scope,
    needs_assistance, the real questions, accuracy and the misses."""
    lines = []
    for label in ("out_of_scope", "needs_assistance"):
        m = report["per_intent"].get(label)
        if m:
            lines.append(
                f"{label}: precision {m['precision']:.3f}, recall {m['recall']:.3f}, F1 {m['f1']:.3f} (n {m['n']})"
            )
    real = report["per_voice"].get("real")
    if real:
        lines.append(f"real questions answered as their intent: {real['accuracy']:.1%} ({real['n']})")
    if "errand_escalations" in report:
        lines.append(
            f"errand messages escalated (a callback as a case or sensitive matter, or 112): "
            f"{len(report['errand_escalations'])} of {report['errand_messages']} ({report['errand_escalated']:.1%})"
        )
        lines += [f"  escalated ({intent}, got {why}): {text!r}" for text, intent, why in report["errand_escalations"]]
    lines.append(f"accuracy {report['accuracy']:.3f}; macro-F1 {report['macro_f1']:.3f}")
    for miss in report["misclassified"]:
        lines.append(f"  miss: {miss['text']!r}: {miss['gold']} -> {miss['predicted']}")
    return "\n".join(lines)


def evaluate_sensitive(escalates: Callable[[str], str | None], sets: dict[str, list[dict]]) -> dict:
    """``escalates(text)`` is the channel the assistant gives ("callback",
    "urgent" or None): false escalation on plain questions, recall on the rest."""
    plain_hits = [m["text"] for m in sets["plain"] if escalates(m["text"]) is not None]
    personal_misses = [m["text"] for m in sets["personal"] if escalates(m["text"]) is None]
    urgent_misses = [m["text"] for m in sets["urgent"] if escalates(m["text"]) != "urgent"]
    n_plain, n_personal, n_urgent = len(sets["plain"]), len(sets["personal"]), len(sets["urgent"])
    return {
        "plain": n_plain,
        "false_escalation": round(len(plain_hits) / max(n_plain, 1), 4),
        "personal": n_personal,
        "personal_recall": round(1 - len(personal_misses) / max(n_personal, 1), 4),
        "urgent": n_urgent,
        # Urgent recall counts only the urgent reply (emergency numbers first).
        "urgent_recall": round(1 - len(urgent_misses) / max(n_urgent, 1), 4),
        "false_escalations": plain_hits,
        "personal_misses": personal_misses,
        "urgent_misses": urgent_misses,
    }


ESCALATED = ("callback", "urgent")


def escalated(got: dict) -> str | None:
    """The channel of a reply that escalated the matter: the emergency
    reply, or a callback offered because of the message itself (the
    reply's ``escalated`` mark: a sensitive matter or the citizen's own
    case). A callback that is the errand's own answer for the situation
    (voting at home, a NemKonto abroad: ``channel: callback`` in knowledge)
    answers the question and is no escalation."""
    channel = got.get("channel")
    if channel == "urgent" or (channel == "callback" and got.get("escalated")):
        return channel
    return None


def evaluate_cases(converse: Converse, sets: dict[str, list[dict]]) -> dict:
    """``converse`` in a fresh conversation per message, and the channel and
    topic of its reply. Case matters must reach the callback (its topic the
    errand, so the caseworker sees it); every sensitive kind must escalate,
    urgent ones with the emergency reply; plain questions must not."""
    counter = iter(range(1_000_000))

    def ask(item: dict) -> dict:
        return converse(f"case-{next(counter)}", item["text"])

    cases = [(item, ask(item)) for item in sets["case"]]
    case_misses = [
        (m["text"], m["intent"], got.get("channel")) for m, got in cases if got.get("channel") not in ESCALATED
    ]
    on_topic = [m for m, got in cases if got.get("channel") in ESCALATED and got.get("topic") == m["intent"]]
    kinds: dict[str, dict] = {}
    sensitive_misses = []
    for item in sets["sensitive"]:
        got = ask(item)
        kind = kinds.setdefault(item["kind"], {"n": 0, "found": 0})
        kind["n"] += 1
        ok = got.get("channel") == "urgent" if item["kind"] == "urgent" else got.get("channel") in ESCALATED
        kind["found"] += ok
        if not ok:
            sensitive_misses.append((item["text"], item["kind"], got.get("channel")))
    for kind in kinds.values():
        kind["recall"] = round(kind["found"] / max(kind["n"], 1), 4)
    plain = [(item, ask(item)) for item in sets["plain"]]
    plain_hits = [(m["text"], m["intent"], got.get("channel")) for m, got in plain if escalated(got)]
    # The errand's own callback answer (its situation's channel) is counted
    # apart, so the figure above is not flattered silently.
    plain_own_callback = [m["text"] for m, got in plain if got.get("channel") == "callback" and not escalated(got)]
    plain_answered = [m for m, got in plain if got.get("topic") == m["intent"]]
    n_case, n_sensitive, n_plain = len(cases), len(sets["sensitive"]), len(plain)
    return {
        "case": n_case,
        "case_callback": round(1 - len(case_misses) / max(n_case, 1), 4),
        "case_on_topic": round(len(on_topic) / max(n_case, 1), 4),
        "sensitive": n_sensitive,
        "sensitive_recall": round(1 - len(sensitive_misses) / max(n_sensitive, 1), 4),
        "kinds": dict(sorted(kinds.items())),
        "plain": n_plain,
        "plain_false_escalation": round(len(plain_hits) / max(n_plain, 1), 4),
        "plain_on_topic": round(len(plain_answered) / max(n_plain, 1), 4),
        "plain_own_callback": plain_own_callback,
        "case_misses": case_misses,
        "sensitive_misses": sensitive_misses,
        "plain_escalations": plain_hits,
    }


def format_cases(report: dict) -> str:
    lines = [
        f"case matters {report['case']}: reached the callback {report['case_callback']:.1%}, "
        f"with the errand as topic {report['case_on_topic']:.1%}",
        f"sensitive matters {report['sensitive']}: recall {report['sensitive_recall']:.1%}",
    ]
    lines += [f"  {name:<20} {k['found']:>3}/{k['n']:<3} {k['recall']:.1%}" for name, k in report["kinds"].items()]
    lines.append(
        f"plain questions {report['plain']}: false escalation {report['plain_false_escalation']:.1%}, "
        f"answered as their errand {report['plain_on_topic']:.1%}"
    )
    if report.get("plain_own_callback"):
        lines.append(
            f"  not counted as escalated: {len(report['plain_own_callback'])} got the errand's own callback answer "
            "(a situation whose channel is the callback)"
        )
    lines += [f"  missed case ({intent}, got {channel}): {text!r}" for text, intent, channel in report["case_misses"]]
    lines += [
        f"  missed sensitive ({kind}, got {channel}): {text!r}" for text, kind, channel in report["sensitive_misses"]
    ]
    lines += [
        f"  escalated plain ({intent}, got {channel}): {text!r}"
        for text, intent, channel in report["plain_escalations"]
    ]
    return "\n".join(lines)


def _turn_passes(expected: dict, got: dict) -> bool:
    if got.get("channel") != expected["channel"]:
        return False
    return not (
        expected.get("topic")
        and got.get("channel") not in ("callback", "urgent")
        and got.get("topic") != expected["topic"]
    )


COUNTS = ("conversations", "first", "first_channel", "menus", "turns", "turns_ok", "whole")


def evaluate_conversations(converse: Converse, conversations: list[dict]) -> dict:
    """Per kind: the first reply after the errand is named (the first turn
    that is not small talk; "first" its channel and topic, "first_channel"
    the channel alone: the essential step the errand requires), every turn,
    whole conversations, and the conversations that got a topic menu at any
    turn ("menus")."""
    kinds: dict[str, dict] = {}
    failures = []
    for conversation in conversations:
        kind = kinds.setdefault(conversation.get("kind") or "-", dict.fromkeys(COUNTS, 0))
        kind["conversations"] += 1
        first_done, all_ok, menu = False, True, False
        for index, turn in enumerate(conversation["turns"]):
            got = converse(conversation["id"], turn["user"])
            ok = _turn_passes(turn, got)
            kind["turns"] += 1
            kind["turns_ok"] += ok
            all_ok &= ok
            menu |= bool(got.get("menu"))
            if not first_done and turn["channel"] != "small_talk":
                first_done = True
                kind["first"] += ok
                kind["first_channel"] += got.get("channel") == turn["channel"]
            if not ok:
                failures.append(
                    {
                        "id": conversation["id"],
                        "turn": index + 1,
                        "user": turn["user"],
                        "expected": {k: turn.get(k) for k in ("channel", "topic", "situation") if turn.get(k)},
                        "got": got,
                    }
                )
        kind["whole"] += all_ok
        kind["menus"] += menu
    total = {key: sum(k[key] for k in kinds.values()) for key in COUNTS}
    return {"kinds": kinds, "total": total, "failures": failures}


def format_conversations(report: dict) -> str:
    lines = [f"{'kind':<18} {'convs':>5} {'first reply':>11} {'turns':>9} {'whole':>9} {'channel':>8} {'menus':>6}"]
    rows = [*sorted(report["kinds"].items()), ("TOTAL", report["total"])]
    for name, k in rows:
        n = max(k["conversations"], 1)
        lines.append(
            f"{name:<18} {k['conversations']:>5} {k['first'] / n:>10.1%} "
            f"{k['turns_ok'] / max(k['turns'], 1):>8.1%} {k['whole'] / n:>8.1%} "
            f"{k.get('first_channel', 0) / n:>7.1%} {k.get('menus', 0) / n:>5.1%}"
        )
    total = report["total"]
    n = max(total["conversations"], 1)
    lines.append(
        f"first reply gives the required channel: {total.get('first_channel', 0) / n:.1%} "
        f"({total.get('first_channel', 0)}/{total['conversations']}); "
        f"conversations that got a topic menu: {total.get('menus', 0) / n:.1%} ({total.get('menus', 0)})"
    )
    for f in report["failures"]:
        lines.append(f"  fail {f['id']} turn {f['turn']}: {f['user']!r}: expected {f['expected']}, got {f['got']}")
    return "\n".join(lines)


def format_sensitive(report: dict) -> str:
    lines = [
        f"plain questions {report['plain']}: false escalation {report['false_escalation']:.1%}",
        f"personal matters {report['personal']}: recall {report['personal_recall']:.1%}",
        f"urgent matters {report['urgent']}: recall {report['urgent_recall']:.1%}",
    ]
    lines += [f"  escalated plain: {t!r}" for t in report["false_escalations"]]
    lines += [f"  missed personal: {t!r}" for t in report["personal_misses"]]
    lines += [f"  missed urgent: {t!r}" for t in report["urgent_misses"]]
    return "\n".join(lines)


# (text) -> (the sensitive-matter detection or None, Rasa's parse of the
# redacted text): the NLU and the term list alone, no dialogue.
Detect = Callable[[str], tuple[object | None, dict]]


def evaluate_detection(detect: Detect, sets: dict[str, list[dict]]) -> dict:
    """The older sensitive set's measure: every personal or urgent matter
    detected (recall), and the share of plain questions detected anyway."""
    missed, false_alarms = [], []
    for item in sets["personal"] + sets["urgent"]:
        found, parsed = detect(item["text"])
        if found is None:
            missed.append((item["text"], parsed["intent"]["name"], round(parsed["intent"]["confidence"], 2)))
    for item in sets["plain"]:
        found, _ = detect(item["text"])
        if found is not None:
            false_alarms.append((item["text"], found.category, found.source))
    sensitive, plain = len(sets["personal"]) + len(sets["urgent"]), len(sets["plain"])
    return {
        "sensitive": sensitive,
        "recall": round(1 - len(missed) / max(sensitive, 1), 3),
        "plain": plain,
        "false_escalation": round(len(false_alarms) / max(plain, 1), 3),
        "missed": missed,
        "false_alarms": false_alarms,
    }


def format_detection(report: dict) -> str:
    lines = [
        f"personal and urgent matters {report['sensitive']}: detected {report['recall']:.1%}",
        f"plain questions {report['plain']}: detected anyway {report['false_escalation']:.1%}",
    ]
    lines += [f"  missed: {text!r} (NLU: {intent} {confidence:.2f})" for text, intent, confidence in report["missed"]]
    lines += [f"  detected plain: {text!r} ({category}, {source})" for text, category, source in report["false_alarms"]]
    return "\n".join(lines)


def evaluate_search(suggest: Callable[[str], list[str]], sets: dict[str, list[dict]]) -> dict:
    """``suggest(text)`` is the suggested keys, best first. Near questions
    should have an acceptable answer among them; nonsense none at all."""
    near = sets["near"]
    found = [(item, suggest(item["text"]), set(map(str, item["expect"]))) for item in near]
    hits = [item for item, got, expect in found if set(got) & expect]
    top = [item for item, got, expect in found if got and got[0] in expect]
    silent = [item["text"] for item, got, _ in found if not got]
    noisy = {part: [t["text"] for t in sets[part] if suggest(t["text"])] for part in ("nonsense", "unrelated")}
    return {
        "near": len(near),
        "near_hit": len(hits) / max(len(near), 1),
        "near_top1": len(top) / max(len(near), 1),
        "near_silent": silent,
        "nonsense": len(sets["nonsense"]),
        "nonsense_suggested": noisy["nonsense"],
        "unrelated": len(sets["unrelated"]),
        "unrelated_suggested": noisy["unrelated"],
    }


def format_search(report: dict) -> str:
    lines = [
        f"near questions {report['near']}: an acceptable answer suggested {report['near_hit']:.1%}, "
        f"first {report['near_top1']:.1%}, no suggestion {len(report['near_silent'])}",
        f"nonsense {report['nonsense']}: got a suggestion {len(report['nonsense_suggested'])}",
        f"unrelated questions {report['unrelated']}: got a suggestion {len(report['unrelated_suggested'])}",
    ]
    lines += [f"  nonsense with a suggestion: {t!r}" for t in report["nonsense_suggested"]]
    lines += [f"  unrelated with a suggestion: {t!r}" for t in report["unrelated_suggested"]]
    return "\n".join(lines)


def format_side_by_side(ours: dict, baseline: dict) -> str:
    """Per-intent F1, ours against Rasa's default pipeline, same split."""
    lines = [f"{'intent':<18} {'ours':>6} {'default':>8} {'n':>4}"]
    for label, m in ours["per_intent"].items():
        other = baseline["per_intent"].get(label, {}).get("f1", 0.0)
        lines.append(f"{label:<18} {m['f1']:>6.3f} {other:>8.3f} {m['n']:>4}")
    lines.append(f"{'macro-F1':<18} {ours['macro_f1']:>6.3f} {baseline['macro_f1']:>8.3f}")
    return "\n".join(lines)


def assisted_errand(parsed: dict, barriers: Callable[[str], set] | None = None) -> str:
    """The intent as the assistant acts on it: an errand with a barrier
    ("har ingen computer, hvordan fornyer jeg mit pas"), as an entity or in
    the knowledge base's barrier phrases (``barriers(text)``), gets the
    assisted channel exactly as needs_assistance does, so it counts as it.
    Not having MitID is no barrier to the MitID errand."""
    name = parsed["intent"]["name"]
    if name in NOT_ERRANDS or name == "needs_assistance":
        return name
    found = {str(e.get("value")) for e in parsed.get("entities") or [] if e.get("entity") == "barrier"}
    if barriers is not None:
        found |= set(barriers(parsed.get("text") or ""))
    return "needs_assistance" if barriers_for(name, found) else name


NOT_ERRANDS = frozenset(
    {
        "out_of_scope",
        "nlu_fallback",
        "personal_matter",
        "urgent_danger",
        "greet",
        "goodbye",
        "thanks",
        "affirm",
        "deny",
        "bot_challenge",
        "callback_request",
        "cancel_callback",
    }
)


def evaluate(
    parse: Parse,
    examples: list[tuple[str, str]],
    errands: tuple[str, ...],
    resolve: Callable[[dict], str] | None = None,
) -> dict:
    """Per-intent precision, recall and F1 and the macro-F1 over ``errands``;
    ``parse`` returns Rasa's parse result for one text, ``resolve`` turns it
    into the intent scored (by default the NLU's intent)."""
    from sklearn.metrics import precision_recall_fscore_support

    gold, predicted, misses = [], [], []
    for text, intent in examples:
        parsed = parse(text)
        name = resolve(parsed) if resolve else parsed["intent"]["name"]
        gold.append(intent)
        predicted.append(name)
        if name != intent:
            misses.append(
                {"text": text, "gold": intent, "predicted": name, "confidence": parsed["intent"]["confidence"]}
            )
    labels = sorted(set(gold))
    p, r, f, n = precision_recall_fscore_support(gold, predicted, labels=labels, zero_division=0)
    per_intent = {
        label: {
            "precision": round(float(p[i]), 3),
            "recall": round(float(r[i]), 3),
            "f1": round(float(f[i]), 3),
            "n": int(n[i]),
        }
        for i, label in enumerate(labels)
    }
    scored = [per_intent[i]["f1"] for i in errands if i in per_intent]
    return {
        "examples": len(gold),
        "accuracy": round(sum(g == q for g, q in zip(gold, predicted, strict=True)) / max(len(gold), 1), 3),
        "macro_f1_errands": round(sum(scored) / max(len(scored), 1), 3),
        "per_intent": per_intent,
        "misclassified": misses,
        "gold": gold,
        "predicted": predicted,
    }


def format_report(report: dict) -> str:
    lines = [f"{'intent':<18} {'prec':>6} {'recall':>6} {'f1':>6} {'n':>4}"]
    for label, m in report["per_intent"].items():
        lines.append(f"{label:<18} {m['precision']:>6.3f} {m['recall']:>6.3f} {m['f1']:>6.3f} {m['n']:>4}")
    if "macro_f1" in report:
        scope, value = "errands, needs_assistance and out_of_scope", report["macro_f1"]
    else:
        scope, value = "errands + out_of_scope", report["macro_f1_errands"]
    lines.append(f"accuracy {report['accuracy']:.3f}; macro-F1 ({scope}) {value:.3f}")
    for miss in report["misclassified"]:
        lines.append(f"  miss: {miss['text']!r}: {miss['gold']} -> {miss['predicted']} ({miss['confidence']:.2f})")
    return "\n".join(lines)


def confusion_png(gold: list[str], predicted: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no screen on servers
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    labels = sorted(set(gold) | set(predicted))
    matrix = confusion_matrix(gold, predicted, labels=labels)
    size = max(6, 0.55 * len(labels) + 2)
    figure, axes = plt.subplots(figsize=(size, size))
    axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels, rotation=60, ha="right")
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("forudsagt intent")
    axes.set_ylabel("rigtig intent")
    axes.set_title("Blindtest: forvekslinger")
    top = matrix.max() or 1
    for i in range(len(labels)):
        for j in range(len(labels)):
            if matrix[i, j]:
                axes.text(
                    j,
                    i,
                    str(matrix[i, j]),
                    ha="center",
                    va="center",
                    color="white" if matrix[i, j] > top / 2 else "black",
                )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)

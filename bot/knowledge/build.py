"""Compile validated knowledge into the SQLite file the assistant reads.

The file is written beside the target and moved into place only when it is
complete, so a failed build never leaves a half-written knowledge base.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import tempfile
from pathlib import Path

import sqlite_utils

from bot.knowledge.model import Knowledge
from bot.knowledge.search import write_index

# 6: the callback_guidance table (knowledge/callback_guidance.yml, issue 28).
# 7: the outside table (knowledge/outside.yml, issue 26).
# 8: the outside table's other_party column.
# 9: the situations table's own_matter column.
# A database of an older version is refused with "rebuild it": run
# `kommunebot build` (make knowledge) after updating the code.
SCHEMA_VERSION = 9


def build_database(knowledge: Knowledge, target: Path) -> Path:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".knowledge-", suffix=".db", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _write(knowledge, sqlite_utils.Database(tmp))
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def _write(knowledge: Knowledge, db: sqlite_utils.Database) -> None:
    topic_rows, situation_rows, answer_rows, fee_rows = [], [], [], []
    for t_pos, topic in enumerate(knowledge.topics.values()):
        topic_rows.append(
            {
                "key": topic.key,
                "name": topic.name,
                "attendance": topic.attendance,
                "question": topic.question,
                "person_question": topic.person_question,
                "assisted": topic.assisted,
                "en": json.dumps(topic.en, ensure_ascii=False),
                "words": json.dumps(list(topic.words), ensure_ascii=False),
                "position": t_pos,
            }
        )
        for s_pos, situation in enumerate(topic.situations):
            situation_rows.append(
                {
                    "topic": topic.key,
                    "key": situation.key,
                    "label": situation.label,
                    "ask_person": situation.ask_person,
                    "keywords": json.dumps(list(situation.keywords), ensure_ascii=False),
                    "en_label": situation.en_label,
                    "channel": situation.channel,
                    "own_matter": situation.own_matter,
                    "position": s_pos,
                }
            )
        for answer in [*topic.answers, *([topic.general] if topic.general else [])]:
            answer_id = len(answer_rows) + 1
            answer_rows.append(
                {
                    "id": answer_id,
                    "topic": topic.key,
                    # The general answer is the one without a situation.
                    "situation": answer.situation or None,
                    "person": answer.person,
                    "lead": answer.lead,
                    "link": answer.link,
                    "municipal_link": answer.municipal_link,
                    "text": answer.text,
                    "sources": json.dumps(list(answer.sources)),
                    "reviewed": answer.reviewed,
                    "en_lead": answer.en_lead,
                    "en_text": answer.en_text,
                }
            )
            fee_rows.extend({"answer_id": answer_id, **dataclasses.asdict(fee)} for fee in answer.fees)

    db["topics"].insert_all(topic_rows, pk="key")
    db["situations"].insert_all(situation_rows, pk=("topic", "key"), foreign_keys=[("topic", "topics", "key")])
    db["answers"].insert_all(
        answer_rows,
        pk="id",
        foreign_keys=[("topic", "topics", "key")],
        columns={"situation": str, "en_lead": str, "en_text": str, "person": str, "link": str, "municipal_link": str},
    )
    db["fees"].insert_all(
        fee_rows,
        columns={"answer_id": int, "label": str, "kr": int, "year": int, "source": str},
        foreign_keys=[("answer_id", "answers", "id")],
    )
    db["answers"].enable_fts(["lead", "text"], tokenize="unicode61")
    write_index(db, knowledge)
    db["municipalities"].insert_all(
        (
            {
                "key": m.key,
                "name": m.name,
                "website_url": m.website_url,
                "phone_number": m.phone_number,
                "phone_hours": m.phone_hours,
                "address": m.address,
                "booking_url": m.booking_url,
                "waste": json.dumps(m.waste),
                "primary_colour": m.primary_colour,
                "unverified": json.dumps(list(m.unverified)),
                "callbacks": json.dumps(m.callback_hours.to_json()) if m.callback_hours else None,
                "retention_days": m.retention_days,
                "urgent_callbacks": json.dumps(list(m.urgent_callbacks)),
                "same_day": m.same_day,
            }
            for m in knowledge.municipalities.values()
        ),
        pk="key",
        columns={"same_day": str},
    )
    db["sensitive_terms"].insert_all(
        (
            {"category": c.key, "label": c.label, "urgent": c.urgent, "term": term, "position": i}
            for c in knowledge.sensitive.values()
            for i, term in enumerate(c.terms)
        ),
        columns={"category": str, "label": str, "urgent": bool, "term": str, "position": int},
    )
    db["barriers"].insert_all(({"key": k, "text": v} for k, v in knowledge.barriers.items()), pk="key")
    db["messages"].insert_all(({"name": k, "text": v} for k, v in knowledge.messages.items()), pk="name")
    db["messages_en"].insert_all(
        ({"name": k, "text": v} for k, v in knowledge.messages_en.items()),
        pk="name",
        columns={"name": str, "text": str},
    )
    db["barrier_keywords"].insert_all(
        (
            {"key": k, "keywords": json.dumps(list(v), ensure_ascii=False)}
            for k, v in knowledge.barrier_keywords.items()
        ),
        pk="key",
        columns={"key": str, "keywords": str},
    )
    db["barriers_en"].insert_all(
        ({"key": k, "text": v} for k, v in knowledge.barriers_en.items()), pk="key", columns={"key": str, "text": str}
    )
    signals = knowledge.case_signals
    db["case_signals"].insert(
        {
            "label": signals.label,
            "signals": json.dumps({k: list(v) for k, v in signals.signals.items()}, ensure_ascii=False),
            "hints": json.dumps({k: list(v) for k, v in signals.hints.items()}, ensure_ascii=False),
            "general": json.dumps(list(signals.general), ensure_ascii=False),
            "questions": json.dumps(list(signals.questions), ensure_ascii=False),
            "persons": json.dumps(list(signals.persons), ensure_ascii=False),
        },
        columns={"label": str, "signals": str, "hints": str, "general": str, "questions": str, "persons": str},
    )
    guidance = knowledge.guidance
    db["callback_guidance"].insert_all(
        (
            {"kind": kind, "key": key, "position": i, "text": text}
            for kind, table in (("category", guidance.categories), ("errand", guidance.errands))
            for key, lines in table.items()
            for i, text in enumerate(lines)
        ),
        columns={"kind": str, "key": str, "position": int, "text": str},
    )
    db["outside"].insert_all(
        (
            {
                "position": i,
                "key": s.key,
                "words": json.dumps(list(s.words), ensure_ascii=False),
                "text": s.text,
                "text_en": s.text_en,
                "other_party": int(s.other_party),
            }
            for i, s in enumerate(knowledge.outside)
        ),
        pk="position",
        columns={"position": int, "key": str, "words": str, "text": str, "text_en": str, "other_party": int},
    )
    db["build_info"].insert_all(
        [
            {"key": "schema_version", "value": str(SCHEMA_VERSION)},
            {"key": "built_at", "value": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")},
        ],
        pk="key",
    )

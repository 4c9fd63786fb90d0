"""Read the compiled knowledge database back into a Knowledge object.

The database is small, so it is read once and answered from memory; the
file itself stays the single artefact the assistant ships with.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import sqlite_utils

from bot.callbacks.hours import CallbackHours
from bot.knowledge.build import SCHEMA_VERSION
from bot.knowledge.model import (
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


class KnowledgeDatabaseError(RuntimeError):
    pass


def open_knowledge(path: Path) -> Knowledge:
    path = Path(path)
    if not path.is_file():
        raise KnowledgeDatabaseError(f"{path}: knowledge database not found (run `make knowledge`)")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        db = sqlite_utils.Database(conn)
        info = {r["key"]: r["value"] for r in db["build_info"].rows}
        if info.get("schema_version") != str(SCHEMA_VERSION):
            raise KnowledgeDatabaseError(
                f"{path}: schema_version {info.get('schema_version')!r}, expected {SCHEMA_VERSION} (rebuild it)"
            )
        return _read(db)
    except sqlite3.DatabaseError as exc:
        raise KnowledgeDatabaseError(f"{path}: unreadable knowledge database ({exc})") from exc
    finally:
        if "conn" in locals():
            conn.close()


def _read(db: sqlite_utils.Database) -> Knowledge:
    fees: dict[int, list[Fee]] = {}
    for row in db["fees"].rows:
        fees.setdefault(row["answer_id"], []).append(Fee(row["label"], row["kr"], row["year"], row["source"]))
    situations: dict[str, list[Situation]] = {}
    for row in db["situations"].rows_where(order_by="topic, position"):
        situations.setdefault(row["topic"], []).append(
            Situation(
                row["key"],
                row["label"],
                bool(row["ask_person"]),
                tuple(json.loads(row["keywords"])),
                row["en_label"],
                row["channel"],
                bool(row["own_matter"]),
            )
        )
    answers: dict[str, list[Answer]] = {}
    general: dict[str, Answer] = {}
    for row in db["answers"].rows_where(order_by="id"):
        answer = Answer(
            topic=row["topic"],
            situation=row["situation"] or "",
            person=row["person"],
            lead=row["lead"],
            text=row["text"],
            sources=tuple(json.loads(row["sources"])),
            reviewed=row["reviewed"],
            link=row["link"],
            municipal_link=row["municipal_link"],
            fees=tuple(fees.get(row["id"], ())),
            en_lead=row["en_lead"],
            en_text=row["en_text"],
        )
        if answer.situation:
            answers.setdefault(row["topic"], []).append(answer)
        else:
            general[row["topic"]] = answer
    topics = {
        row["key"]: Topic(
            key=row["key"],
            name=row["name"],
            attendance=bool(row["attendance"]),
            question=row["question"],
            assisted=row["assisted"],
            situations=tuple(situations.get(row["key"], ())),
            answers=tuple(answers.get(row["key"], ())),
            person_question=row["person_question"],
            general=general.get(row["key"]),
            en=json.loads(row["en"] or "{}"),
            words=tuple(json.loads(row["words"] or "[]")),
        )
        for row in db["topics"].rows_where(order_by="position")
    }
    municipalities = {
        row["key"]: Municipality(
            key=row["key"],
            name=row["name"],
            website_url=row["website_url"],
            phone_number=row["phone_number"],
            phone_hours=row["phone_hours"],
            address=row["address"],
            booking_url=row["booking_url"],
            waste=json.loads(row["waste"]),
            primary_colour=row["primary_colour"],
            unverified=tuple(json.loads(row["unverified"])),
            callback_hours=CallbackHours.from_json(json.loads(row["callbacks"])) if row["callbacks"] else None,
            retention_days=row["retention_days"],
            urgent_callbacks=tuple(json.loads(row["urgent_callbacks"])),
            same_day=row["same_day"],
        )
        for row in db["municipalities"].rows
    }
    sensitive: dict[str, SensitiveCategory] = {}
    for row in db["sensitive_terms"].rows_where(order_by="rowid"):
        current = sensitive.get(row["category"])
        terms = (current.terms if current else ()) + (row["term"],)
        sensitive[row["category"]] = SensitiveCategory(row["category"], row["label"], bool(row["urgent"]), terms)
    case_signals = CaseSignals()
    for row in db["case_signals"].rows:
        case_signals = CaseSignals(
            label=row["label"],
            signals={k: tuple(v) for k, v in json.loads(row["signals"]).items()},
            hints={k: tuple(v) for k, v in json.loads(row["hints"]).items()},
            general=tuple(json.loads(row["general"])),
            questions=tuple(json.loads(row["questions"])),
            persons=tuple(json.loads(row["persons"])),
        )
    guidance = CallbackGuidance()
    for row in db["callback_guidance"].rows_where(order_by="kind, key, position"):
        table = guidance.categories if row["kind"] == "category" else guidance.errands
        table[row["key"]] = (*table.get(row["key"], ()), row["text"])
    outside = tuple(
        OutsideSubject(
            row["key"], tuple(json.loads(row["words"])), row["text"], row["text_en"], bool(row["other_party"])
        )
        for row in db["outside"].rows_where(order_by="position")
    )
    return Knowledge(
        outside=outside,
        guidance=guidance,
        case_signals=case_signals,
        sensitive=sensitive,
        topics=topics,
        municipalities=municipalities,
        barriers={r["key"]: r["text"] for r in db["barriers"].rows},
        messages={r["name"]: r["text"] for r in db["messages"].rows},
        messages_en={r["name"]: r["text"] for r in db["messages_en"].rows},
        barriers_en={r["key"]: r["text"] for r in db["barriers_en"].rows},
        barrier_keywords={r["key"]: tuple(json.loads(r["keywords"])) for r in db["barrier_keywords"].rows},
    )

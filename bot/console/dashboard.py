"""Channel figures for the dashboard, from the anonymous outcome rows.

Each row is one answered errand (a "henvendelse"), not a citizen or a whole
conversation: the rows carry no conversation id by design.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.knowledge.model import OTHER_TOPIC
from bot.records.database import Database, DatabaseUnavailable
from bot.records.outcomes import OUTCOMES
from bot.records.schema import feedback, outcomes

log = logging.getLogger(__name__)

OTHER = OTHER_TOPIC  # shown for rows without a topic
OUTCOME_LABELS = {
    "selfservice": "Selvbetjening",
    "booking": "Tidsbestilling",
    "assisted": "Hjælp til digital selvbetjening / anden kanal",
    "callback_offered": "Henvist til opringning (kompleks sag)",
    "callback": "Opringning bestilt",
    "fallback": "Ikke forstået",
    "out_of_scope": "Uden for emne",
    "emergency": "Akut (112)",
}
OTHER_LABEL = "Andet"
# Settled in the chat: a self-service link, a booking link, the right assisted
# channel, or a complex matter referred to a booked callback.
RESOLVED = ("selfservice", "booking", "assisted", "callback_offered")
# Digital answers that would otherwise have been a phone call.
DIGITAL = ("selfservice", "booking")
MAX_DAYS = 366


def topic_label(topic: str | None, names: dict[str, str]) -> str:
    """Danish name of a topic: the knowledge base's name, "Andet" for rows
    without a topic, else the raw key (the knowledge base could not be read,
    or no longer has the errand)."""
    if topic in names:
        return names[topic]
    return OTHER_LABEL if topic in (None, OTHER) else topic


@dataclass(frozen=True)
class ChannelCosts:
    """Kroner per contact in each channel; a municipality may use its own."""

    web: float = 3
    phone: float = 40
    attendance: float = 80
    letter: float = 110
    source: str = (
        "Glostrup Kommunes kanalstrategi: ca. 3 kr. pr. henvendelse på hjemmesiden, 40 kr. pr. telefonopkald, "
        "80 kr. ved personligt fremmøde og 110 kr. pr. e-mail/brev."
    )


@dataclass(frozen=True)
class Dashboard:
    start: dt.date
    end: dt.date
    municipality: str | None
    total: int = 0
    per_topic: list[tuple[str, int]] = field(default_factory=list)  # most first; no topic is OTHER
    per_day: list[tuple[dt.date, int]] = field(default_factory=list)  # every day, zero-filled
    per_outcome: dict[str, int] = field(default_factory=dict)  # every outcome, zero-filled
    shares: dict[str, float] = field(default_factory=dict)
    # (municipality, contacts, resolved in first contact) for each municipality in the period, most first
    per_municipality: list[tuple[str, int, float]] = field(default_factory=list)
    # The share of contacts that ended with a link or a referral: what the
    # assistant did, not whether it helped (that is ``answered``).
    first_contact_resolution: float = 0.0
    # The citizens' own "Fik du svar?": (topic, yes, answers) per errand, most answers first.
    answered_per_topic: list[tuple[str, int, int]] = field(default_factory=list)
    answered: tuple[int, int] = (0, 0)  # (yes, answers) in all
    cost_avoided_kr: float = 0.0
    assumptions: list[str] = field(default_factory=list)


def _assumptions(costs: ChannelCosts) -> list[str]:
    saving = _kr(costs.phone - costs.web)
    return [
        "Hver række er én henvendelse, som assistenten svarede på – ikke én borger. En borger kan have flere "
        "henvendelser i samme samtale.",
        "Svar med link eller henvisning: henvendelser, der endte med et link til selvbetjening, et link til "
        "tidsbestilling, en henvisning til den rette hjælp eller, for en kompleks sag, et tilbud om en bestilt "
        "opringning. Bestilte opringninger, ikke forstået, uden for emne og akut tæller ikke med. Et link "
        'siger ikke, om borgeren fik svar; det siger borgernes egne svar på "Fik du svar?".',
        'Fik svar: andelen af borgernes svar på "Fik du svar?" efter et svar, der var ja. Borgeren svarer '
        "frivilligt, så tallet dækker kun dem, der svarede; der gemmes kun ja/nej, en grund fra en fast liste, "
        "emnet og kommunen.",
        f"Anslået sparet: hver henvendelse, der endte med selvbetjening eller tidsbestilling, antages at have "
        f"erstattet ét telefonopkald, og sparer forskellen mellem telefon og hjemmeside ({saving} kr.). "
        "Øvrige udfald antages ikke at spare noget.",
        "Dagene er danske kalenderdage (dansk tid, også ved skift til og fra sommertid).",
        costs.source,
    ]


def _kr(value: float) -> str:
    """Danish amount: 37 → '37', 1234.5 → '1.234,5'."""
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def dashboard(
    path: Path,
    municipality: str | None,
    start: dt.date,
    end: dt.date,
    costs: ChannelCosts = ChannelCosts(),
    tz: str = "Europe/Copenhagen",
    topics: Iterable[str] = (),
) -> Dashboard:
    """The figures for [start, end]; every key in ``topics`` is listed, also
    without rows, so an errand nobody asked about shows as 0, not as missing."""
    zone = ZoneInfo(tz)
    days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    rows = _rows(path, municipality, _utc_midnight(start, zone), _utc_midnight(end + dt.timedelta(days=1), zone))

    per_day = {day: 0 for day in days}
    per_topic = dict.fromkeys(topics, 0)
    per_outcome = {outcome: 0 for outcome in OUTCOMES}
    contacts: dict[str, int] = {}
    resolved: dict[str, int] = {}
    for at, topic, outcome, where in rows:
        contacts[where] = contacts.get(where, 0) + 1
        resolved[where] = resolved.get(where, 0) + (outcome in RESOLVED)
        local_day = dt.datetime.fromisoformat(at).astimezone(zone).date()
        if local_day in per_day:
            per_day[local_day] += 1
        key = topic or OTHER
        per_topic[key] = per_topic.get(key, 0) + 1
        per_outcome[outcome] = per_outcome.get(outcome, 0) + 1

    total = len(rows)
    shares = {outcome: (count / total if total else 0.0) for outcome, count in per_outcome.items()}
    answers = _feedback(path, municipality, _utc_midnight(start, zone), _utc_midnight(end + dt.timedelta(days=1), zone))
    return Dashboard(
        start=start,
        end=end,
        municipality=municipality,
        total=total,
        per_topic=sorted(per_topic.items(), key=lambda item: (-item[1], item[0])),
        per_day=list(per_day.items()),
        per_outcome=per_outcome,
        shares=shares,
        per_municipality=[
            (key, count, resolved[key] / count) for key, count in sorted(contacts.items(), key=lambda i: (-i[1], i[0]))
        ],
        first_contact_resolution=(sum(per_outcome[o] for o in RESOLVED) / total) if total else 0.0,
        answered_per_topic=sorted(
            ((t, yes, n) for t, (yes, n) in answers.items()), key=lambda item: (-item[2], item[0])
        ),
        answered=(sum(yes for yes, _ in answers.values()), sum(n for _, n in answers.values())),
        cost_avoided_kr=sum(per_outcome[o] for o in DIGITAL) * (costs.phone - costs.web),
        assumptions=_assumptions(costs),
    )


def _utc_midnight(day: dt.date, zone: ZoneInfo) -> str:
    local = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    return local.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def _rows(target: Path | str, municipality: str | None, since: str, until: str) -> list[tuple]:
    """Outcome rows in [since, until), or none when there is no data yet."""
    # Read-only: the dashboard must never create or change the database.
    db = Database(target, timeout=5, readonly=True)
    if db.sqlite and not db.path.is_file():
        return []
    query = sa.select(outcomes.c.at, outcomes.c.topic, outcomes.c.outcome, outcomes.c.municipality).where(
        outcomes.c.at >= since, outcomes.c.at < until
    )
    if municipality:
        query = query.where(outcomes.c.municipality == municipality)
    try:
        with db.connect() as conn:
            if not sa.inspect(conn).has_table("outcomes"):
                return []
            return [tuple(row) for row in conn.execute(query)]
    except (DatabaseUnavailable, sa.exc.DBAPIError) as exc:
        # A broken or locked database should not take the console down; the log says why the figures are empty.
        log.warning("dashboard cannot read %s: %s", db, exc)
        return []
    finally:
        db.dispose()


def _feedback(target: Path | str, municipality: str | None, since: str, until: str) -> dict[str, tuple[int, int]]:
    """(yes, answers) per errand in [since, until); none before the first answer."""
    db = Database(target, timeout=5, readonly=True)
    if db.sqlite and not db.path.is_file():
        return {}
    query = (
        sa.select(feedback.c.topic, sa.func.count(), sa.func.sum(sa.cast(feedback.c.answered, sa.Integer)))
        .where(feedback.c.at >= since, feedback.c.at < until)
        .group_by(feedback.c.topic)
    )
    if municipality:
        query = query.where(feedback.c.municipality == municipality)
    try:
        with db.connect() as conn:
            if not sa.inspect(conn).has_table("feedback"):
                return {}
            return {topic: (int(yes or 0), int(n)) for topic, n, yes in conn.execute(query)}
    except (DatabaseUnavailable, sa.exc.DBAPIError) as exc:
        log.warning("dashboard cannot read the feedback in %s: %s", db, exc)
        return {}
    finally:
        db.dispose()


def parse_period(start: str | None, end: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """The chosen period; by default the last 30 days up to today."""
    end_date = _date(end, "Slutdatoen") if end else today
    start_date = _date(start, "Startdatoen") if start else end_date - dt.timedelta(days=29)
    if start_date > end_date:
        raise ValueError("Startdatoen skal ligge før slutdatoen.")
    if (end_date - start_date).days + 1 > MAX_DAYS:
        raise ValueError(f"Vælg en periode på højst {MAX_DAYS} dage.")
    return start_date, end_date


def _date(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{what} skal være i formatet ÅÅÅÅ-MM-DD.") from None

"""The channel dashboard (/overblik): figures and charts for a period."""

from __future__ import annotations

import datetime as dt

from sanic import Blueprint

from bot.console import charts
from bot.console.accounts import ALL
from bot.console.dashboard import OUTCOME_LABELS, dashboard, parse_period, topic_label
from bot.console.web import TZ, render, requires, state

blueprint = Blueprint("dashboard")


def _situation(labels, due) -> str:
    """The answer's situation as editors know it; the errand's general answer has none."""
    name = labels.situation_names.get((due.topic, due.situation), due.situation) if due.situation else "Generelt svar"
    return f"{name} ({due.person})" if due.person else name


@requires("dashboard")
async def show_dashboard(request):
    console = state(request)
    user = request.ctx.user
    # Staff and editors see their own municipality's figures only; an admin
    # of all municipalities chooses one or sees each and the total.
    scoped = user.municipality != ALL
    municipality = user.municipality if scoped else (request.args.get("kommune") or None)
    error = None
    today = dt.datetime.now(TZ).date()
    try:
        start, end = parse_period(request.args.get("fra"), request.args.get("til"), today)
    except ValueError as exc:
        error = str(exc)
        start, end = parse_period(None, None, today)
    topics = console.labels.topics
    board = dashboard(console.config.data_db, municipality, start, end, topics=topics)
    topic_items = [(topic_label(t, topics), n) for t, n in board.per_topic]
    due = console.labels.due_for_review(today, console.config.review_days)
    share_items = [(OUTCOME_LABELS[o], charts.percent(s)) for o, s in board.shares.items()]
    return render(
        request,
        "dashboard.html",
        status=422 if error else 200,
        board=board,
        error=error,
        municipality=municipality,
        scoped=scoped,
        municipality_table=charts.data_table(
            [
                *(
                    (console.labels.municipalities.get(k, k), f"{charts.number(n)} ({charts.percent(r)} med link)")
                    for k, n, r in board.per_municipality
                ),
                (
                    "I alt",
                    f"{charts.number(board.total)} ({charts.percent(board.first_contact_resolution)} med link)",
                ),
            ],
            ("Kommune", "Henvendelser (svar med link eller henvisning)"),
            "Henvendelser pr. kommune",
        ),
        topic_chart=charts.bar_chart(
            topic_items, "Henvendelser pr. emne", "Antal henvendelser i perioden fordelt på emne.", id_prefix="emne"
        ),
        topic_table=charts.data_table(topic_items, ("Emne", "Henvendelser"), "Henvendelser pr. emne"),
        answered_table=charts.data_table(
            [
                (topic_label(t, topics), f"{charts.percent(yes / n)} ja ({charts.number(n)} svar)")
                for t, yes, n in board.answered_per_topic
            ],
            ("Emne", "Fik svar (borgernes egne svar)"),
            "Fik du svar? pr. emne",
        ),
        day_chart=charts.day_chart(
            board.per_day, "Henvendelser pr. dag", "Antal henvendelser hver dag i perioden.", id_prefix="dag"
        ),
        day_table=charts.data_table(
            [(d.strftime("%d.%m.%Y"), n) for d, n in board.per_day],
            ("Dato", "Henvendelser"),
            "Henvendelser pr. dag",
        ),
        share_chart=charts.share_chart(
            board.shares,
            OUTCOME_LABELS,
            "Hvordan henvendelserne endte",
            "Andel af henvendelserne fordelt på udfald.",
            id_prefix="udfald",
        ),
        review_days=console.config.review_days,
        due_count=len(due),
        due_table=charts.data_table(
            [
                (
                    topic_label(d.topic, topics),
                    _situation(console.labels, d),
                    d.reviewed.strftime("%d.%m.%Y"),
                    charts.number(d.days_overdue),
                )
                for d in due
            ],
            ("Emne", "Situation", "Sidst gennemgået", "Dage over tid"),
            "Svar, der skal gennemgås",
        ),
        share_table=charts.data_table(share_items, ("Udfald", "Andel"), "Hvordan henvendelserne endte"),
    )

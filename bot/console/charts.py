"""Server-side SVG charts for the dashboard: no JavaScript, no chart CDN.

Each chart is an image with a title and description for screen readers
(and a data table beside it in the page). No ``style`` attributes: the
console's Content-Security-Policy forbids inline styles, so colours are
presentation attributes and the ``bar`` class. Every label is escaped.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable

from markupsafe import Markup, escape

BAR = "#1d4f91"  # 8.6:1 on white
INK = "#1a1a1a"
EMPTY = "Ingen henvendelser i perioden"


def _frame(width: int, height: int, title: str, description: str, id_prefix: str, body: str) -> Markup:
    title_id, desc_id = f"{id_prefix}-titel", f"{id_prefix}-beskrivelse"
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-labelledby="{escape(title_id)} {escape(desc_id)}" class="chart">'
        f'<title id="{escape(title_id)}">{escape(title)}</title>'
        f'<desc id="{escape(desc_id)}">{escape(description)}</desc>{body}</svg>'
    )


def _empty(title: str, description: str, id_prefix: str) -> Markup:
    body = f'<text x="10" y="30" font-size="16" fill="{INK}">{escape(EMPTY)}</text>'
    return _frame(600, 50, title, description, id_prefix, body)


def percent(share: float) -> str:
    """Danish percentage: 0.425 → '42,5 %'."""
    return f"{share * 100:.1f} %".replace(".", ",")


def _horizontal(rows: list[tuple[str, float, str]], title: str, description: str, id_prefix: str) -> Markup:
    """Bars with the label left and the value text right of each bar."""
    label_width, bar_width, row_height = 230, 300, 30
    largest = max((value for _, value, _ in rows), default=0) or 1
    parts = []
    for n, (label, value, shown) in enumerate(rows):
        y = n * row_height + 8
        length = round(bar_width * value / largest, 1)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 15}" font-size="14" text-anchor="end" fill="{INK}">'
            f"{escape(label)}</text>"
            f'<rect class="bar" x="{label_width}" y="{y}" width="{length}" height="20" fill="{BAR}"></rect>'
            f'<text x="{label_width + length + 6}" y="{y + 15}" font-size="14" fill="{INK}">{escape(shown)}</text>'
        )
    height = len(rows) * row_height + 16
    return _frame(label_width + bar_width + 90, height, title, description, id_prefix, "".join(parts))


def bar_chart(items: list[tuple[str, int]], title: str, description: str, id_prefix: str = "soejler") -> Markup:
    if not items or not any(count for _, count in items):
        return _empty(title, description, id_prefix)
    return _horizontal([(label, count, str(count)) for label, count in items], title, description, id_prefix)


def share_chart(shares: dict[str, float], labels: dict, title: str, description: str,
                id_prefix: str = "andele") -> Markup:
    if not shares or not any(shares.values()):
        return _empty(title, description, id_prefix)
    rows = [(labels.get(key, key), share, percent(share)) for key, share in shares.items()]
    return _horizontal(rows, title, description, id_prefix)


def day_chart(items: list[tuple[dt.date, int]], title: str, description: str, id_prefix: str = "dage") -> Markup:
    if not items or not any(count for _, count in items):
        return _empty(title, description, id_prefix)
    width, height, left, bottom, top = 720, 240, 40, 30, 16
    plot_width, plot_height = width - left - 10, height - bottom - top
    largest = max(count for _, count in items) or 1
    step = plot_width / len(items)
    # At most about 12 date labels, so they never overlap.
    every = max(1, -(-len(items) // 12))
    parts = [
        f'<line x1="{left}" y1="{top + plot_height}" x2="{width - 10}" y2="{top + plot_height}" stroke="{INK}"></line>',
        f'<text x="{left - 6}" y="{top + 5}" font-size="12" text-anchor="end" fill="{INK}">{largest}</text>',
        f'<text x="{left - 6}" y="{top + plot_height}" font-size="12" text-anchor="end" fill="{INK}">0</text>',
    ]
    for n, (day, count) in enumerate(items):
        bar_height = round(plot_height * count / largest, 1)
        x = round(left + n * step + step * 0.15, 1)
        parts.append(
            f'<rect class="bar" x="{x}" y="{round(top + plot_height - bar_height, 1)}" '
            f'width="{round(step * 0.7, 1)}" height="{bar_height}" fill="{BAR}"></rect>'
        )
        if n % every == 0:
            parts.append(
                f'<text x="{round(x + step * 0.35, 1)}" y="{height - 10}" font-size="12" text-anchor="middle" '
                f'fill="{INK}">{day.day}/{day.month}</text>'
            )
    return _frame(width, height, title, description, id_prefix, "".join(parts))


def data_table(items: Iterable[tuple[object, object]], headers: tuple[str, str], caption: str) -> Markup:
    rows = "".join(f"<tr><td>{escape(a)}</td><td>{escape(b)}</td></tr>" for a, b in items)
    return Markup(
        f'<div class="table-wrap"><table><caption>{escape(caption)}</caption><thead><tr>'
        f'<th scope="col">{escape(headers[0])}</th><th scope="col">{escape(headers[1])}</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )

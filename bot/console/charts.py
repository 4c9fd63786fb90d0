"""Server-side SVG charts for the dashboard: no JavaScript, no chart CDN.

Each chart is an image with a title and description for screen readers
(and a data table beside it in the page). No ``style`` attributes: the
console's Content-Security-Policy forbids inline styles, so colours are
presentation attributes and the ``bar`` class. Every label is escaped.
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from collections.abc import Iterable

from markupsafe import Markup, escape

BAR = "#1d4f91"  # 8.6:1 on white
INK = "#1a1a1a"  # 17:1 on white
EMPTY = "Ingen henvendelser i perioden"

# SVG text cannot be measured on the server, so widths are estimated on the
# generous side: 0.62 em per character fits system-ui and most sans-serifs.
FONT = 14
CHAR_WIDTH = 0.62 * FONT
LINE_HEIGHT = 17
# Every horizontal chart has the same width in SVG units as the day chart,
# and the stylesheet caps charts at that width in pixels: text is the same
# size in all charts, however short the labels (a narrow chart stretched to
# the page made its text twice as large as the others).
WIDE = 720
LABEL_WIDTH = 270
VALUE_WIDTH = 90
# Phones get a second drawing with each label above its bar (the stylesheet
# shows one of the two); scaled to ~320 px its text stays about 14 px.
NARROW = 320
NARROW_VALUE_WIDTH = 64


def percent(share: float) -> str:
    """Danish percentage: 0.425 → '42,5 %'."""
    return f"{share * 100:.1f} %".replace(".", ",")


def number(value: int) -> str:
    """Danish thousands separator: 12345 → '12.345'."""
    return f"{value:,}".replace(",", ".")


def bar_chart(items: list[tuple[str, int]], title: str, description: str, id_prefix: str = "soejler") -> Markup:
    """Horizontal bars, label left and count right of each bar."""
    if not any(count for _, count in items):
        return _empty(title, description, id_prefix)
    return _horizontal([(label, count, number(count)) for label, count in items], title, description, id_prefix)


def share_chart(
    shares: dict[str, float], labels: dict, title: str, description: str, id_prefix: str = "andele"
) -> Markup:
    """One bar per outcome with its Danish percentage."""
    if not any(shares.values()):
        return _empty(title, description, id_prefix)
    rows = [(labels.get(key, key), share, percent(share)) for key, share in shares.items()]
    return _horizontal(rows, title, description, id_prefix)


def day_chart(items: list[tuple[dt.date, int]], title: str, description: str, id_prefix: str = "dage") -> Markup:
    """Vertical bars, one per day, with thinned date ticks like '22/11'."""
    if not any(count for _, count in items):
        return _empty(title, description, id_prefix)
    width, height, left, right, bottom, top = 720, 240, 48, 10, 30, 16
    plot_width, plot_height = width - left - right, height - bottom - top
    baseline = top + plot_height
    largest = max(count for _, count in items)
    step = plot_width / len(items)
    # At most 12 date labels: "22/11" at 12 px needs ~35 units, and 720 / 12 leaves room.
    every = math.ceil(len(items) / 12)
    parts = [
        f'<line x1="{left}" y1="{baseline}" x2="{width - right}" y2="{baseline}" stroke="{INK}"></line>',
        _text(left - 6, top + 5, number(largest), size=12, anchor="end"),
        _text(left - 6, baseline, "0", size=12, anchor="end"),
    ]
    for n, (day, count) in enumerate(items):
        bar_height = round(plot_height * count / largest, 1)
        x = round(left + n * step + step * 0.15, 1)
        parts.append(_rect(x, round(baseline - bar_height, 1), round(step * 0.7, 1), bar_height))
        if n % every == 0:
            parts.append(
                _text(round(x + step * 0.35, 1), height - 10, f"{day.day}/{day.month}", size=12, anchor="middle")
            )
    return _frame(width, height, title, description, id_prefix, "".join(parts))


def data_table(items: Iterable[tuple[object, ...]], headers: tuple[str, ...], caption: str) -> Markup:
    """The chart's figures as a table, for screen readers and copying (any
    number of columns, one header each)."""
    rows = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in item) + "</tr>" for item in items)
    heads = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    return Markup(
        f'<div class="table-wrap"><table><caption>{escape(caption)}</caption><thead><tr>'
        f"{heads}</tr></thead>"
        f"<tbody>{rows}</tbody></table></div>"
    )


def _horizontal(rows: list[tuple[str, float, str]], title: str, description: str, id_prefix: str) -> Markup:
    """Two drawings of the same bars: label left of each bar for wide
    screens, label above it for phones. Long labels wrap, never clip."""
    return Markup(_wide(rows, title, description, id_prefix) + _narrow(rows, title, description, f"{id_prefix}-smal"))


def _wide(rows: list[tuple[str, float, str]], title: str, description: str, id_prefix: str) -> Markup:
    chars_per_line = max(1, int((LABEL_WIDTH - 8) // CHAR_WIDTH))
    bar_width = WIDE - LABEL_WIDTH - VALUE_WIDTH
    largest = max(value for _, value, _ in rows) or 1
    parts, y = [], 8
    for label, value, shown in rows:
        lines = textwrap.wrap(str(label), chars_per_line) or [""]
        row_height = max(30, len(lines) * LINE_HEIGHT + 13)
        middle = y + row_height / 2 - 4
        first_line = middle - (len(lines) - 1) * LINE_HEIGHT / 2 + 5
        length = round(bar_width * value / largest, 1)
        parts.append(_label(LABEL_WIDTH - 8, first_line, lines))
        parts.append(_rect(LABEL_WIDTH, middle - 10, length, 20))
        parts.append(_text(round(LABEL_WIDTH + length + 6, 1), middle + 5, shown))
        y += row_height
    return _frame(WIDE, round(y + 8), title, description, id_prefix, "".join(parts), "chart chart-wide")


def _narrow(rows: list[tuple[str, float, str]], title: str, description: str, id_prefix: str) -> Markup:
    chars_per_line = max(1, int(NARROW // CHAR_WIDTH))
    bar_width = NARROW - NARROW_VALUE_WIDTH
    largest = max(value for _, value, _ in rows) or 1
    parts, y = [], 4
    for label, value, shown in rows:
        lines = textwrap.wrap(str(label), chars_per_line) or [""]
        # 2 units in: a glyph such as "T" reaches a little left of its origin.
        parts.append(_label(2, y + 14, lines, anchor="start"))
        y += len(lines) * LINE_HEIGHT + 2
        length = round(bar_width * value / largest, 1)
        parts.append(_rect(0, y, length, 18))
        parts.append(_text(round(length + 6, 1), y + 14, shown))
        y += 30
    return _frame(NARROW, round(y + 4), title, description, id_prefix, "".join(parts), "chart chart-narrow")


def _frame(
    width: int, height: int, title: str, description: str, id_prefix: str, body: str, css: str = "chart"
) -> Markup:
    title_id, desc_id = escape(f"{id_prefix}-titel"), escape(f"{id_prefix}-beskrivelse")
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-labelledby="{title_id} {desc_id}" class="{css}">'
        f'<title id="{title_id}">{escape(title)}</title>'
        f'<desc id="{desc_id}">{escape(description)}</desc>{body}</svg>'
    )


def _empty(title: str, description: str, id_prefix: str) -> Markup:
    return _frame(600, 50, title, description, id_prefix, _text(10, 30, EMPTY, size=16))


def _text(x: float, y: float, text: str, size: int = FONT, anchor: str = "start") -> str:
    return f'<text x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}" fill="{INK}">{escape(text)}</text>'


def _label(x: float, y: float, lines: list[str], anchor: str = "end") -> str:
    spans = "".join(
        f'<tspan x="{x}" dy="{0 if n == 0 else LINE_HEIGHT}">{escape(line)}</tspan>' for n, line in enumerate(lines)
    )
    return f'<text class="label" x="{x}" y="{y}" font-size="{FONT}" text-anchor="{anchor}" fill="{INK}">{spans}</text>'


def _rect(x: float, y: float, width: float, height: float) -> str:
    return f'<rect class="bar" x="{x}" y="{y}" width="{width}" height="{height}" fill="{BAR}"></rect>'

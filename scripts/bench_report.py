"""results/bench.json → the README's performance table and build/bench.svg.

`make bench` (scripts/bench.py) measures and writes the json, then calls
this module; `scripts/bench.py --report-only` (or this file run directly)
renders again from an existing json without measuring. Everything is read
and rendered before anything is written, so a bad json never leaves a
half-updated README.

The structure of bench.json (schema 1; times in ms or s, memory in MB of
1024 × 1024 bytes):

    schema            1
    measured_at       ISO 8601 date and time of the run
    machine           cpus, cpu_model, memory_gb, python, platform, commit (null outside git)
    parameters        the options of the run, and "skipped": the parts left out
    ready_s           rasa_server, action_server: seconds from start to answering
    traffic.canned    the fixed MESSAGES list of scripts/bench.py
    traffic.heldout   user turns of tests/heldout/open/conversations/ replayed in order
        each:         nlu_only.{1_user,10_users}, full_turn.{1_user,10_users}: a run;
                      full_over_nlu_throughput_10_users; description
    processes         list of {name, pid, rss_mb, peak_rss_mb}, after the load
    long_conversation turns, repeats, per_turn_p50_ms, per_turn_p95_ms (lists, one per turn),
                      first / last: {turns: [from, to], p50_ms, p95_ms, messages}, p95_ratio, p50_ratio
    growth.<store>    by_size.{"1000", ...}: a run (1 user, full turns); p95_ratio (largest ÷ smallest)
    cluster           ready_s, two_replicas, one_replica: runs (10 users through HAProxy)
    training_from_scratch_s
    verdicts          the targets as judged at measuring time (a copy; the README is rendered
                      from the figures and TARGETS below)

A run is {users, messages, errors, p50_ms, p95_ms, msg_per_s}. long_conversation,
growth, cluster, training_from_scratch_s and traffic.*.nlu_only are absent when
their part was skipped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from bot.ops import doc_blocks

ROOT = Path(__file__).resolve().parent.parent
JSON_PATH = ROOT / "results" / "bench.json"
SVG_PATH = ROOT / "build" / "bench.svg"
README_PATH = ROOT / "README.md"

SCHEMA = 1
# The README's block between these lines is rendered here (bot/ops/doc_blocks.py).
BLOCK = "bench"
START, END = doc_blocks.markers(BLOCK)

MIXES = (("heldout", "held-out conversations"), ("canned", "canned messages"))
USERS = (("1_user", "1 user"), ("10_users", "10 users"))
KINDS = (("nlu_only", "NLU only (/model/parse)"), ("full_turn", "full turn (REST webhook)"))


class BenchDataError(ValueError):
    """bench.json (or the README) is not as this module expects; the message names the file and field."""


@dataclass(frozen=True)
class Target:
    text: str  # how the README states the target
    limit: float
    at_most: bool  # True: the figure must not exceed the limit; False: it must reach it

    def missed(self, value: float) -> bool:
        return value > self.limit if self.at_most else value < self.limit

    def judged(self, value: float | None) -> str:
        if value is None:
            return self.text
        if not self.missed(value):
            return self.text
        return f"{self.text}: **{'over' if self.at_most else 'below'}**"


# The targets (issue 14, memory tightened by issue 24), the one place they are stated.
TARGETS = {
    "full_over_nlu_throughput_10_users": Target("≥ 0.6", 0.6, at_most=False),
    "full_turn_p95_1_user_ms": Target("p95 ≤ 50 ms", 50, at_most=True),
    "full_turn_p95_10_users_ms": Target("p95 ≤ 250 ms", 250, at_most=True),
    "rasa_server_rss_mb": Target("≤ 700 MB", 700, at_most=True),
    "action_server_rss_mb": Target("≤ 150 MB", 150, at_most=True),
    "training_from_scratch_s": Target("≤ 120 s", 120, at_most=True),
    "growth_p95_ratio": Target("p95 at 100k ÷ p95 at 1k ≤ 1.5", 1.5, at_most=True),
    "long_conversation_p95_ratio": Target("p95 late ÷ p95 early ≤ 1.2", 1.2, at_most=True),
}


class Fields:
    """Typed access to bench.json that names the file and the dotted field on any error."""

    def __init__(self, data: object, source: str):
        if not isinstance(data, dict):
            raise BenchDataError(f"{source}: the top level must be a JSON object")
        self.data = data
        self.source = source

    def get(self, path: str, *, optional: bool = False):
        node: object = self.data
        for part in path.split("."):
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            elif optional:
                return None
            else:
                raise BenchDataError(f"{self.source}: field '{path}' is missing")
        return node

    def has(self, path: str) -> bool:
        return self.get(path, optional=True) is not None

    def number(self, path: str, *, optional: bool = False) -> float | None:
        value = self.get(path, optional=optional)
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BenchDataError(f"{self.source}: field '{path}' must be a number, not {json.dumps(value)}")
        return float(value)

    def numbers(self, path: str) -> list[float]:
        values = self.get(path)
        if not isinstance(values, list) or not values:
            raise BenchDataError(f"{self.source}: field '{path}' must be a non-empty list of numbers")
        return [self.number(f"{path}.{i}") for i in range(len(values))]

    def text(self, path: str, *, optional: bool = False) -> str | None:
        value = self.get(path, optional=optional)
        if value is None and optional:
            return None
        if not isinstance(value, str):
            raise BenchDataError(f"{self.source}: field '{path}' must be a string, not {json.dumps(value)}")
        return value

    def run(self, path: str) -> dict:
        """A load run, every figure checked."""
        return {
            key: self.number(f"{path}.{key}")
            for key in ("users", "messages", "errors", "p50_ms", "p95_ms", "msg_per_s")
        }

    def measured_at(self) -> dt.datetime:
        raw = self.text("measured_at")
        try:
            return dt.datetime.fromisoformat(raw)
        except ValueError:
            raise BenchDataError(
                f"{self.source}: field 'measured_at' must be an ISO 8601 date, not {json.dumps(raw)}"
            ) from None

    def processes(self) -> list[dict]:
        entries = self.get("processes")
        if not isinstance(entries, list) or not entries:
            raise BenchDataError(f"{self.source}: field 'processes' must be a non-empty list")
        return [
            {
                "name": self.text(f"processes.{i}.name"),
                "rss_mb": self.number(f"processes.{i}.rss_mb"),
                "peak_rss_mb": self.number(f"processes.{i}.peak_rss_mb"),
            }
            for i in range(len(entries))
        ]

    def process_rss(self, name: str) -> float:
        for entry in self.processes():
            if entry["name"] == name:
                return entry["rss_mb"]
        raise BenchDataError(f"{self.source}: field 'processes' has no entry named '{name}'")

    def growth_sizes(self, store: str) -> list[str]:
        sizes = self.get(f"growth.{store}.by_size")
        if not isinstance(sizes, dict) or not sizes:
            raise BenchDataError(f"{self.source}: field 'growth.{store}.by_size' must be a non-empty object")
        try:
            return sorted(sizes, key=int)
        except ValueError:
            raise BenchDataError(
                f"{self.source}: field 'growth.{store}.by_size' must be keyed by numbers of conversations"
            ) from None


def load(path: Path) -> Fields:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BenchDataError(f"{path}: no such file; run `make bench` first") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BenchDataError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    fields = Fields(data, str(path))
    schema = fields.get("schema")
    if schema != SCHEMA:
        raise BenchDataError(f"{path}: field 'schema' is {json.dumps(schema)}; this report reads schema {SCHEMA}")
    return fields


def _ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"


def _mb(value: float) -> str:
    return f"{value:.0f} MB ({value / 1024:.2f} GB)" if value >= 1024 else f"{value:.0f} MB"


def _size(size: str) -> str:
    n = int(size)
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def _span(fields: Fields, part: str) -> str:
    """ "1–3" for the turn range of long_conversation.first and .last."""
    return "–".join(str(int(n)) for n in fields.numbers(f"{part}.turns"))


def _run_text(run: dict) -> str:
    text = f"p50 {_ms(run['p50_ms'])}, p95 {_ms(run['p95_ms'])}, {run['msg_per_s']:.1f} msg/s"
    if run["errors"]:
        text += f", **{run['errors']:.0f} errors**"
    return text


def verdicts(fields: Fields) -> list[dict]:
    """Each target with the figure it is judged on (None when that part was not measured)."""
    out = []

    def add(key: str, figure: str, value: float | None) -> None:
        target = TARGETS[key]
        met = None if value is None else not target.missed(value)
        out.append({"target": key, "figure": figure, "limit": target.limit, "value": value, "met": met})

    for mix, _label in MIXES:
        base = f"traffic.{mix}"
        ratio = f"{base}.full_over_nlu_throughput_10_users"
        add("full_over_nlu_throughput_10_users", ratio, fields.number(ratio, optional=True))
        add(
            "full_turn_p95_1_user_ms",
            f"{base}.full_turn.1_user.p95_ms",
            fields.run(f"{base}.full_turn.1_user")["p95_ms"],
        )
        add(
            "full_turn_p95_10_users_ms",
            f"{base}.full_turn.10_users.p95_ms",
            fields.run(f"{base}.full_turn.10_users")["p95_ms"],
        )
    add("rasa_server_rss_mb", "processes[Rasa server].rss_mb", fields.process_rss("Rasa server"))
    add("action_server_rss_mb", "processes[action server].rss_mb", fields.process_rss("action server"))
    add("training_from_scratch_s", "training_from_scratch_s", fields.number("training_from_scratch_s", optional=True))
    for store in ("sqlite", "postgresql"):
        path = f"growth.{store}.p95_ratio"
        add("growth_p95_ratio", path, fields.number(path, optional=True))
    add(
        "long_conversation_p95_ratio",
        "long_conversation.p95_ratio",
        fields.number("long_conversation.p95_ratio", optional=True),
    )
    return out


def table(fields: Fields) -> str:
    """The Markdown block that goes between the README markers."""
    verdicts(fields)  # every judged figure is there and a number, before any row is made
    not_measured = "not measured"
    rows: list[tuple[str, str, str]] = []

    def judged(key: str, value: float | None) -> str:
        return TARGETS[key].judged(value)

    for mix, mix_label in MIXES:
        base = f"traffic.{mix}"
        ratio = fields.number(f"{base}.full_over_nlu_throughput_10_users", optional=True)
        rows.append(
            (
                f"{mix_label}: full turn ÷ NLU only throughput, 10 users",
                not_measured if ratio is None else f"{ratio:.2f}",
                judged("full_over_nlu_throughput_10_users", ratio),
            )
        )
        for users, users_label in USERS:
            for kind, kind_label in KINDS:
                path = f"{base}.{kind}.{users}"
                run = fields.run(path) if kind == "full_turn" or fields.has(path) else None
                target = ""
                if kind == "full_turn":
                    key = f"full_turn_p95_{users}_ms"
                    target = judged(key, run["p95_ms"])
                rows.append(
                    (
                        f"{mix_label}: {kind_label}, {users_label}",
                        not_measured if run is None else _run_text(run),
                        target or "—",
                    )
                )

    for entry in fields.processes():
        key = {"Rasa server": "rasa_server_rss_mb", "action server": "action_server_rss_mb"}.get(entry["name"])
        rows.append(
            (
                f"{entry['name']} memory (RSS) after the load",
                f"{_mb(entry['rss_mb'])}, peak {_mb(entry['peak_rss_mb'])}",
                judged(key, entry["rss_mb"]) if key else "—",
            )
        )
    ready = ", ".join(
        f"{label} {fields.number(f'ready_s.{key}'):.1f} s"
        for key, label in (("rasa_server", "Rasa server"), ("action_server", "action server"))
    )
    rows.append(("ready after start", ready, "—"))

    if fields.has("long_conversation"):
        lc = "long_conversation"
        first, last = f"{lc}.first", f"{lc}.last"
        result = "; ".join(
            f"turns {_span(fields, part)}: p50 {_ms(fields.number(f'{part}.p50_ms'))}, "
            f"p95 {_ms(fields.number(f'{part}.p95_ms'))}"
            for part in (first, last)
        )
        result += f"; late ÷ early p95 = {fields.number(f'{lc}.p95_ratio'):.2f}"
        measure = (
            f"one {fields.number(f'{lc}.turns'):.0f}-turn conversation × {fields.number(f'{lc}.repeats'):.0f} "
            "(fresh sender each, 1 user, full turns): early vs late turns"
        )
        rows.append((measure, result, judged("long_conversation_p95_ratio", fields.number(f"{lc}.p95_ratio"))))
    else:
        rows.append(
            ("turn 1–3 vs turn 28–30 of a long conversation", not_measured, judged("long_conversation_p95_ratio", None))
        )

    for store, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        path = f"growth.{store}"
        if not fields.has(path):
            rows.append(
                (f"full-turn p95 by stored conversations, {label}", not_measured, judged("growth_p95_ratio", None))
            )
            continue
        sizes = fields.growth_sizes(store)
        p95s = [fields.run(f"{path}.by_size.{size}")["p95_ms"] for size in sizes]
        ratio = fields.number(f"{path}.p95_ratio")
        rows.append(
            (
                f"full-turn p95 with {' / '.join(_size(s) for s in sizes)} stored conversations, {label} (1 user)",
                f"{' / '.join(_ms(p) for p in p95s)}; {_size(sizes[-1])} ÷ {_size(sizes[0])} = {ratio:.2f}",
                judged("growth_p95_ratio", ratio),
            )
        )

    if fields.has("cluster"):
        two, one = fields.run("cluster.two_replicas"), fields.run("cluster.one_replica")
        rows.append(
            (
                "cluster (`make cluster`), 10 users through HAProxy",
                f"2 replicas: {_run_text(two)}; 1 replica: {_run_text(one)}",
                "—",
            )
        )
    else:
        rows.append(("cluster (`make cluster`), 10 users through HAProxy", not_measured, "—"))

    training = fields.number("training_from_scratch_s", optional=True)
    rows.append(
        (
            "training from scratch",
            not_measured if training is None else f"{training:.0f} s",
            judged("training_from_scratch_s", training),
        )
    )

    measured = fields.measured_at()
    cpus = fields.number("machine.cpus")
    model = fields.text("machine.cpu_model", optional=True)
    python = fields.text("machine.python", optional=True)
    commit = fields.text("machine.commit", optional=True)
    machine = f"{cpus:.0f} cores" + (f" ({model})" if model else "")
    details = [f"Python {python}"] if python else []
    if commit:
        details.append(f"commit {commit[:10]}")
    lines = [
        "<!-- Generated by `make bench` from results/bench.json (scripts/bench_report.py); do not edit by hand. -->",
        f"Measured {measured.date().isoformat()} on {machine}" + (f", {', '.join(details)}" if details else "") + ".",
        "",
        "| measure | result | target (issues 14 and 24) |",
        "|---|---|---|",
        *(f"| {measure} | {result} | {target} |" for measure, result, target in rows),
    ]
    return "\n".join(lines) + "\n"


def replace_block(readme: str, block: str, source: str) -> str:
    """The README text with ``block`` between the markers; everything else unchanged."""
    try:
        return doc_blocks.replace_block(readme, BLOCK, block, source)
    except doc_blocks.BlockError as exc:
        raise BenchDataError(str(exc)) from None


def _bars(ax, labels: list[str], series: dict[str, list[float | None]], unit: str) -> None:
    """Grouped bars with their values written on top; None leaves a gap."""
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series.items()):
        xs = [x + (i - (len(series) - 1) / 2) * width for x in range(len(labels))]
        heights = [0 if v is None else v for v in values]
        bars = ax.bar(xs, heights, width, label=name)
        for bar, value in zip(bars, values, strict=True):
            if value is not None:
                ax.annotate(
                    f"{value:.0f}{unit}",
                    (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center",
                    va="bottom",
                    fontsize=8,
                )
    ax.set_xticks(range(len(labels)), labels, fontsize=8)
    # Room above the tallest bar for its label and the legend.
    tallest = max((v for values in series.values() for v in values if v is not None), default=1)
    ax.set_ylim(0, tallest * 1.25)
    ax.legend(fontsize=8, loc="upper left")


def _not_measured(ax, title: str) -> None:
    ax.set_title(title, fontsize=10)
    ax.text(0.5, 0.5, "not measured", ha="center", va="center", transform=ax.transAxes, color="grey")
    ax.set_xticks([])
    ax.set_yticks([])


def figure(fields: Fields):
    """The chart as a matplotlib Figure (the tests read its bars)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 8), layout="constrained")
    (latency, turns), (growth, memory) = fig.subplots(2, 2)

    labels, nlu, full = [], [], []
    for mix, mix_label in MIXES:
        for users, users_label in USERS:
            labels.append(f"{mix_label.split()[0]}\n{users_label}")
            path = f"traffic.{mix}.nlu_only.{users}"
            nlu.append(fields.run(path)["p95_ms"] if fields.has(path) else None)
            full.append(fields.run(f"traffic.{mix}.full_turn.{users}")["p95_ms"])
    _bars(latency, labels, {"NLU only": nlu, "full turn": full}, " ms")
    for x, users in enumerate([u for _m in MIXES for u, _l in USERS]):
        limit = TARGETS[f"full_turn_p95_{users}_ms"].limit
        latency.hlines(limit, x - 0.4, x + 0.4, colors="red", linestyles="dashed")
        latency.set_ylim(top=max(latency.get_ylim()[1], limit * 1.25))
    latency.set_title("p95 latency: NLU only vs full turn (red: full-turn target)", fontsize=10)
    latency.set_ylabel("ms")

    if fields.has("long_conversation"):
        lc = "long_conversation"
        spans = [f"turns {_span(fields, f'{lc}.{part}')}" for part in ("first", "last")]
        _bars(
            turns,
            spans,
            {
                "p50": [fields.number(f"{lc}.first.p50_ms"), fields.number(f"{lc}.last.p50_ms")],
                "p95": [fields.number(f"{lc}.first.p95_ms"), fields.number(f"{lc}.last.p95_ms")],
            },
            " ms",
        )
        limit = TARGETS["long_conversation_p95_ratio"].limit * fields.number(f"{lc}.first.p95_ms")
        turns.hlines(limit, 1, 1 + 0.4, colors="red", linestyles="dashed")  # over the late p95 bar
        turns.set_ylim(top=max(turns.get_ylim()[1], limit * 1.25))
        turns.set_title(
            f"early vs late turns of a {fields.number(f'{lc}.turns'):.0f}-turn conversation, 1 user "
            f"(p95 × {fields.number(f'{lc}.p95_ratio'):.2f}; red: target)",
            fontsize=10,
        )
        turns.set_ylabel("ms")
    else:
        _not_measured(turns, "early vs late turns of a long conversation")

    stores = [
        (s, label) for s, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")) if fields.has(f"growth.{s}")
    ]
    if stores:
        sizes = sorted({size for s, _l in stores for size in fields.growth_sizes(s)}, key=int)
        series = {}
        for store, label in stores:
            by_size = fields.get(f"growth.{store}.by_size")
            series[f"{label} (× {fields.number(f'growth.{store}.p95_ratio'):.2f})"] = [
                fields.run(f"growth.{store}.by_size.{size}")["p95_ms"] if size in by_size else None for size in sizes
            ]
        _bars(growth, [f"{_size(s)} stored" for s in sizes], series, " ms")
        growth.set_title("full-turn p95 by stored conversations (1 user)", fontsize=10)
        growth.set_ylabel("ms")
    else:
        _not_measured(growth, "full-turn p95 by stored conversations")

    processes = fields.processes()
    names = [p["name"] for p in processes]
    memory.barh(names, [p["rss_mb"] for p in processes], label="RSS after the load")
    for y, entry in enumerate(processes):
        memory.annotate(f" {entry['rss_mb']:.0f} MB", (entry["rss_mb"], y), va="center", fontsize=8)
        key = {"Rasa server": "rasa_server_rss_mb", "action server": "action_server_rss_mb"}.get(entry["name"])
        if key:
            memory.vlines(TARGETS[key].limit, y - 0.4, y + 0.4, colors="red", linestyles="dashed")
    memory.set_title("memory after the load (red: target)", fontsize=10)
    memory.set_xlabel("MB")
    memory.margins(x=0.2)

    commit = fields.text("machine.commit", optional=True)
    fig.suptitle(
        f"make bench, {fields.measured_at().date().isoformat()}, {fields.number('machine.cpus'):.0f} cores"
        + (f", commit {commit[:10]}" if commit else "")
    )
    return fig


def svg(fields: Fields) -> bytes:
    import matplotlib

    # Text stays text (searchable, small) and the ids and date are fixed, so
    # the same json gives the same file.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "kommunebot-bench"}):
        buffer = io.BytesIO()
        figure(fields).savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def write_report(json_path: Path = JSON_PATH, readme_path: Path = README_PATH, svg_path: Path = SVG_PATH) -> None:
    """Render the README block and the chart from ``json_path``, then write both."""
    fields = load(json_path)
    block = table(fields)
    chart = svg(fields)
    try:
        readme = readme_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BenchDataError(f"{readme_path}: no such file") from None
    updated = replace_block(readme, block, str(readme_path))
    doc_blocks.write_atomically(svg_path, chart)
    doc_blocks.write_atomically(readme_path, updated.encode("utf-8"))


def report_only(json_path: Path = JSON_PATH, readme_path: Path = README_PATH, svg_path: Path = SVG_PATH) -> int:
    try:
        write_report(json_path, readme_path, svg_path)
    except BenchDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"README table ({readme_path.name}) and chart ({svg_path}) rendered from {json_path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render the README table and build/bench.svg from bench.json.")
    parser.add_argument("--json", type=Path, default=JSON_PATH, help="the results to render (results/bench.json)")
    parser.add_argument("--readme", type=Path, default=README_PATH, help="the README with the bench markers")
    parser.add_argument("--svg", type=Path, default=SVG_PATH, help="where the chart goes (build/bench.svg)")
    args = parser.parse_args(argv)
    return report_only(args.json, args.readme, args.svg)


if __name__ == "__main__":
    sys.exit(main())

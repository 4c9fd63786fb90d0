"""`make bench`'s report: results/bench.json → the README table and build/bench.svg,
and the pure parts of scripts/bench.py that shape the figures."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET

import pytest

from tests.support.scripts import script

report = script("bench_report")


def run(p50: float, p95: float, rate: float, users: int = 1, errors: int = 0) -> dict:
    return {"users": users, "messages": 200, "errors": errors, "p50_ms": p50, "p95_ms": p95, "msg_per_s": rate}


def mix(nlu_rate: float, full_rate: float, full_p95_1: float, full_p95_10: float) -> dict:
    return {
        "description": "test mix",
        "nlu_only": {"1_user": run(20, 25, 45), "10_users": run(150, 180, nlu_rate, users=10)},
        "full_turn": {"1_user": run(40, full_p95_1, 22), "10_users": run(200, full_p95_10, full_rate, users=10)},
        "full_over_nlu_throughput_10_users": round(full_rate / nlu_rate, 2),
    }


@pytest.fixture
def data() -> dict:
    """A complete bench.json: every target met except where a test changes a figure."""
    return {
        "schema": 1,
        "measured_at": "2026-12-02T10:00:00+01:00",
        "machine": {"cpus": 2, "cpu_model": "AMD EPYC", "python": "3.10.13", "commit": "0123456789abcdef"},
        "parameters": {"messages": 200, "skipped": []},
        "ready_s": {"rasa_server": 41.5, "action_server": 12.0},
        "traffic": {"canned": mix(40, 30, 45, 200), "heldout": mix(50, 35, 48, 240)},
        "processes": [
            {"name": "action server", "pid": 2, "rss_mb": 120, "peak_rss_mb": 130},
            {"name": "Rasa server", "pid": 3, "rss_mb": 650, "peak_rss_mb": 690},
        ],
        "long_conversation": {
            "turns": 30,
            "repeats": 20,
            "errors": 0,
            "per_turn_p50_ms": [40] * 30,
            "per_turn_p95_ms": [50] * 30,
            "first": {"turns": [1, 3], "messages": 60, "p50_ms": 40, "p95_ms": 50},
            "last": {"turns": [28, 30], "messages": 60, "p50_ms": 42, "p95_ms": 55},
            "p50_ratio": 1.05,
            "p95_ratio": 1.1,
        },
        "growth": {
            store: {
                "by_size": {"1000": run(40, 50, 20), "10000": run(41, 52, 20), "100000": run(42, 60, 20)},
                "p95_ratio": 1.2,
            }
            for store in ("sqlite", "postgresql")
        },
        "cluster": {"ready_s": 60, "two_replicas": run(100, 200, 30, 10), "one_replica": run(200, 400, 20, 10)},
        "training_from_scratch_s": 110,
    }


def fields(data: dict) -> report.Fields:
    return report.Fields(copy.deepcopy(data), "results/bench.json")


def row(table: str, start: str) -> str:
    rows = [line for line in table.splitlines() if line.startswith(f"| {start}")]
    assert len(rows) == 1, (start, rows)
    return rows[0]


# The README table


def test_all_targets_met_marks_nothing(data):
    table = report.table(fields(data))
    assert "**over**" not in table and "**below**" not in table
    assert "Measured 2026-12-02 on 2 cores (AMD EPYC), Python 3.10.13, commit 0123456789." in table
    assert "| measure | result | target (issues 14 and 24) |" in table


def test_every_target_appears_in_the_table(data):
    table = report.table(fields(data))
    for target in report.TARGETS.values():
        assert target.text in table, target.text


def test_a_slow_full_turn_is_marked_over(data):
    data["traffic"]["heldout"]["full_turn"]["1_user"]["p95_ms"] = 90
    table = report.table(fields(data))
    line = row(table, "held-out conversations: full turn (REST webhook), 1 user")
    assert "p95 90 ms" in line and line.endswith("| p95 ≤ 50 ms: **over** |")
    # the canned mix met its target and stays unmarked
    assert row(table, "canned messages: full turn (REST webhook), 1 user").endswith("| p95 ≤ 50 ms |")


def test_a_low_throughput_ratio_is_marked_below(data):
    data["traffic"]["canned"]["full_over_nlu_throughput_10_users"] = 0.41
    line = row(report.table(fields(data)), "canned messages: full turn ÷ NLU only throughput, 10 users")
    assert "| 0.41 |" in line and line.endswith("| ≥ 0.6: **below** |")


def test_memory_training_growth_and_long_conversation_are_judged(data):
    data["processes"][1]["rss_mb"] = 1546
    data["processes"][0]["rss_mb"] = 151
    data["training_from_scratch_s"] = 330
    data["growth"]["postgresql"]["p95_ratio"] = 1.6
    data["long_conversation"]["p95_ratio"] = 1.25
    table = report.table(fields(data))
    assert row(table, "Rasa server memory").endswith("≤ 700 MB: **over** |")
    assert "1546 MB (1.51 GB)" in row(table, "Rasa server memory")
    assert row(table, "action server memory").endswith("≤ 150 MB: **over** |")
    assert row(table, "training from scratch") == "| training from scratch | 330 s | ≤ 120 s: **over** |"
    assert row(table, "full-turn p95 with 1k / 10k / 100k stored conversations, PostgreSQL").endswith("**over** |")
    assert "**over**" not in row(table, "full-turn p95 with 1k / 10k / 100k stored conversations, SQLite")
    long = row(table, "one 30-turn conversation × 20")
    assert "turns 1–3: p50 40 ms, p95 50 ms; turns 28–30: p50 42 ms, p95 55 ms" in long
    assert long.endswith("≤ 1.2: **over** |")


def test_skipped_parts_say_not_measured_and_are_not_judged(data):
    for part in ("training_from_scratch_s", "growth", "cluster", "long_conversation"):
        del data[part]
    for traffic in data["traffic"].values():
        del traffic["nlu_only"], traffic["full_over_nlu_throughput_10_users"]
    table = report.table(fields(data))
    assert row(table, "training from scratch") == "| training from scratch | not measured | ≤ 120 s |"
    assert "| not measured |" in row(table, "full-turn p95 by stored conversations, SQLite")
    assert "| not measured |" in row(table, "held-out conversations: NLU only (/model/parse), 10 users")
    assert "| not measured |" in row(table, "turn 1–3 vs turn 28–30")
    assert "| not measured |" in row(table, "cluster")


def test_errors_in_a_run_are_shown(data):
    data["traffic"]["heldout"]["full_turn"]["10_users"]["errors"] = 3
    assert "**3 errors**" in row(report.table(fields(data)), "held-out conversations: full turn (REST webhook), 10")


def test_verdicts_name_each_figure(data):
    data["traffic"]["heldout"]["full_turn"]["10_users"]["p95_ms"] = 300
    missed = [v for v in report.verdicts(fields(data)) if v["met"] is False]
    assert [(v["figure"], v["value"]) for v in missed] == [("traffic.heldout.full_turn.10_users.p95_ms", 300)]


# Bad input: an English error naming the file and the field


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("measured_at"), "field 'measured_at' is missing"),
        (lambda d: d.update(measured_at="yesterday"), "field 'measured_at' must be an ISO 8601 date"),
        (
            lambda d: d["traffic"]["heldout"]["full_turn"]["1_user"].update(p95_ms="fast"),
            "field 'traffic.heldout.full_turn.1_user.p95_ms' must be a number",
        ),
        (lambda d: d["traffic"].pop("canned"), "field 'traffic.canned.full_turn.1_user.users' is missing"),
        (lambda d: d.update(processes=[]), "field 'processes' must be a non-empty list"),
        (lambda d: d["processes"].pop(1), "field 'processes' has no entry named 'Rasa server'"),
    ],
)
def test_bad_fields_are_named(data, change, message):
    change(data)
    with pytest.raises(report.BenchDataError, match="results/bench.json: " + message.replace("(", r"\(")):
        report.table(fields(data))


def test_load_names_the_file(tmp_path, data):
    missing = tmp_path / "bench.json"
    with pytest.raises(report.BenchDataError, match=f"{missing}: no such file"):
        report.load(missing)
    missing.write_text("{not json", encoding="utf-8")
    with pytest.raises(report.BenchDataError, match=f"{missing}: not valid JSON"):
        report.load(missing)
    missing.write_text(json.dumps({**data, "schema": 2}), encoding="utf-8")
    with pytest.raises(report.BenchDataError, match="field 'schema' is 2"):
        report.load(missing)


# The README between its markers


README = "# Title\n\n## Performance\n\nintro\n\n<!-- bench:start -->\nold table\n<!-- bench:end -->\n\nafter\n"


def test_the_block_replaces_only_what_is_between_the_markers():
    out = report.replace_block(README, "new table\n", "README.md")
    assert out == "# Title\n\n## Performance\n\nintro\n\n<!-- bench:start -->\nnew table\n<!-- bench:end -->\n\nafter\n"
    # rendering again gives the same file
    assert report.replace_block(out, "new table\n", "README.md") == out


@pytest.mark.parametrize(
    "text",
    ["no markers\n", README + "<!-- bench:start -->\n", "<!-- bench:end -->\nx\n<!-- bench:start -->\n"],
)
def test_missing_or_misplaced_markers_are_refused(text):
    with pytest.raises(report.BenchDataError, match="README.md: "):
        report.replace_block(text, "table\n", "README.md")


def test_report_only_writes_readme_and_svg(tmp_path, data):
    source, readme, chart = tmp_path / "bench.json", tmp_path / "README.md", tmp_path / "out" / "bench.svg"
    source.write_text(json.dumps(data), encoding="utf-8")
    readme.write_text(README, encoding="utf-8")
    readme.chmod(0o644)
    assert report.main(["--json", str(source), "--readme", str(readme), "--svg", str(chart)]) == 0
    assert readme.stat().st_mode & 0o777 == 0o644  # replaced atomically, mode kept
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# Title\n\n## Performance\n\nintro\n\n<!-- bench:start -->\n<!-- Generated")
    assert "| Rasa server memory (RSS) after the load | 650 MB, peak 690 MB | ≤ 700 MB |" in text
    assert text.endswith("<!-- bench:end -->\n\nafter\n")
    assert ET.fromstring(chart.read_bytes()).tag.endswith("svg")


def test_report_only_with_a_bad_json_writes_nothing(tmp_path, capsys, data):
    source, readme, chart = tmp_path / "bench.json", tmp_path / "README.md", tmp_path / "bench.svg"
    del data["ready_s"]
    source.write_text(json.dumps(data), encoding="utf-8")
    readme.write_text(README, encoding="utf-8")
    assert report.main(["--json", str(source), "--readme", str(readme), "--svg", str(chart)]) == 1
    assert f"error: {source}: field 'ready_s.rasa_server' is missing" in capsys.readouterr().err
    assert readme.read_text(encoding="utf-8") == README
    assert not chart.exists()
    assert set(tmp_path.iterdir()) == {source, readme}  # no temporary file left behind


# The chart


def bar_heights(ax) -> list[float]:
    return [patch.get_height() for patch in ax.patches]


def test_chart_bars_are_the_p95_figures(data):
    fig = report.figure(fields(data))
    latency, turns, growth, memory = fig.axes
    # NLU only for held-out 1 / 10 users and canned 1 / 10 users, then full turn in the same order
    assert bar_heights(latency) == [25, 180, 25, 180, 48, 240, 45, 200]
    assert bar_heights(turns) == [40, 42, 50, 55]
    assert bar_heights(growth) == [50, 52, 60] * 2
    assert [patch.get_width() for patch in memory.patches] == [120, 650]


def test_chart_says_not_measured_for_skipped_parts(data):
    del data["growth"], data["long_conversation"]
    fig = report.figure(fields(data))
    _latency, turns, growth, _memory = fig.axes
    for ax in (turns, growth):
        assert [t.get_text() for t in ax.texts] == ["not measured"]
        assert not ax.patches


def test_svg_keeps_its_text_and_is_reproducible(data):
    svg = report.svg(fields(data))
    texts = {"".join(el.itertext()) for el in ET.fromstring(svg).iter() if el.tag.endswith("text")}
    assert "p95 latency: NLU only vs full turn (red: full-turn target)" in texts
    assert "make bench, 2026-12-02, 2 cores, commit 0123456789" in texts
    assert svg == report.svg(fields(data))


# The pure parts of scripts/bench.py


@pytest.fixture(scope="module")
def bench():
    return script("bench")


def test_rotations_give_early_and_late_turns_the_same_messages(bench):
    texts = [f"m{i}" for i in range(30)]
    early, late = [], []
    for repeat in range(10):
        start = bench.rotation(30, repeat)
        order = texts[start:] + texts[:start]
        early += order[:3]
        late += order[-3:]
    assert sorted(early) == sorted(late) == sorted(texts)


def test_summarise_long_pools_the_first_and_last_turns(bench):
    per_turn = [[10.0, 12.0]] * 3 + [[20.0, 20.0]] * 24 + [[30.0, 36.0]] * 3
    summary = bench.summarise_long(per_turn, errors=0)
    assert summary["first"] == {"turns": [1, 3], "messages": 6, "p50_ms": 11.0, "p95_ms": 12.0}
    assert summary["last"] == {"turns": [28, 30], "messages": 6, "p50_ms": 33.0, "p95_ms": 36.0}
    assert summary["p95_ratio"] == 3.0 and summary["repeats"] == 2
    assert len(summary["per_turn_p95_ms"]) == 30


def test_heldout_users_take_conversations_in_turn(bench):
    conversations = [[f"c{i}-t1", f"c{i}-t2"] for i in range(5)]
    plan = bench.heldout(conversations)(1, 2)
    assert [next(plan) for _ in range(3)] == [conversations[1], conversations[3], conversations[1]]


def test_heldout_conversations_load_with_their_user_turns(bench):
    conversations = bench.load_heldout()
    assert len(conversations) > 100
    assert all(conversation and all(isinstance(t, str) and t for t in conversation) for conversation in conversations)
    assert len(bench.long_conversation(conversations, 30)) == 30

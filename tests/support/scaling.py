"""How work grows with input size, measured so that machine load cancels out.

An absolute time limit fails when something else runs beside the suite (a
model training, a parallel worker), and a limit loose enough for that misses
slow but bounded regressions. The ratio of the cost of four times the input to
the cost of the input is about 4 for linear work and 16 for quadratic work on
a busy machine as on an idle one, because both sides see the same load.
"""

from __future__ import annotations

import time
from collections.abc import Callable

# Linear work scales by 4 on 4x the input, quadratic by 16; 8 sits halfway in
# log terms. Every adversarial input in the redaction and guard tests scaled by
# 2.6-4.5 here (best of five, process CPU time), idle and with three busy
# processes beside it.
FACTOR = 4
MAX_SCALING = 8.0
RUNS = 5
# Each timing repeats the work until the short input takes at least this
# long: below a few milliseconds the timer's resolution and cache effects
# make the ratio, and a floor in its place would turn the ratio back into an
# absolute limit (the review of 2026-12-06).
MIN_SECONDS = 0.005


def cpu_seconds(work: Callable[[], object], repeat: int = 1) -> float:
    """The best of a few runs in this process's CPU time, which other processes do not add to."""
    best = float("inf")
    for _ in range(RUNS):
        started = time.process_time()
        for _ in range(repeat):
            work()
        best = min(best, time.process_time() - started)
    return best


def scaling(work: Callable[[str], object], text_of: Callable[[int], str], size: int) -> float:
    """How much more `work` costs on text_of(FACTOR * size) than on text_of(size)."""
    short, long = text_of(size), text_of(FACTOR * size)
    work(short)  # compiled patterns and caches warm before either is timed
    repeat = 1
    short_seconds = cpu_seconds(lambda: work(short), repeat)
    while short_seconds < MIN_SECONDS:
        repeat *= 2
        short_seconds = cpu_seconds(lambda: work(short), repeat)
    return cpu_seconds(lambda: work(long), repeat) / short_seconds

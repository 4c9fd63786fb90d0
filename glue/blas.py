"""One BLAS and OpenMP thread in each serving process.

numpy's OpenBLAS starts a thread per core and keeps them spinning after
each product. The servers' models multiply tiny matrices, one message at a
time, so the extra threads found no work to share and only burned the
second core, which the other server needs. Measured on this 2-core machine
with 10 users on the REST channel (CPU time of each process per message,
2026-12-07, 60 messages per user): the Rasa server used 17.98 ms per
held-out turn with OpenBLAS's default threads and 11.45 ms with one, NLU
only 9.83 against 4.92 ms, and full-turn throughput rose from 71.5 to 85.8
messages a second. Training is left as it is (it runs in its own process).

threadpoolctl (scikit-learn's own dependency) sets the limit on the
libraries already loaded (numpy and scipy each bring an OpenBLAS); the
environment variables, read when a library loads, set it on those loaded
later (scikit-learn's OpenMP). What the environment already says wins.
"""

from __future__ import annotations

import os

from threadpoolctl import threadpool_limits

# See the module docstring for the measurement.
SERVING_THREADS = 1
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def limit_serving_threads() -> None:
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, str(SERVING_THREADS))
    threadpool_limits(limits=int(os.environ["OPENBLAS_NUM_THREADS"]))

"""Shared helpers for dml's benchmarks: cluster, timing, memory bandwidth, tables, JSON.

Benchmarks are not tests: they report speed. Each one runs dml, scikit-learn and dask-ml
(where it has the estimator) on the same data and the same cluster in one process tree,
times repeated runs and reports medians and ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results"


def parser(description, n_samples=1_000_000, n_features=50, repeat=3):
    """An argparse parser with the common options (--n-samples, --n-features, --repeat)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--n-samples", type=int, default=n_samples)
    p.add_argument("--n-features", type=int, default=n_features)
    p.add_argument("--repeat", type=int, default=repeat, help="timed runs per entry (median reported)")
    p.add_argument("--chunks", type=int, default=8, help="row chunks of the Dask data")
    p.add_argument("--skip", nargs="*", default=[], help="entry names to skip")
    return p


@contextmanager
def local_cluster(n_workers=2, threads_per_worker=1, memory_limit="8GiB"):
    """A process-based LocalCluster and a Client set as default; yields the client."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=n_workers,
            threads_per_worker=threads_per_worker,
            processes=True,
            memory_limit=memory_limit,
            dashboard_address=None,
            silence_logs=40,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def timeit(fn, repeat=3, warmup=False):
    """Run ``fn`` ``repeat`` times; return ``(median_seconds, all_times, last_result)``."""
    if warmup:
        fn()
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, result


def entry_recorder(results, task_width=28, library_width=30):
    """Return ``add(task, library, seconds, extra=None, times=None)``: it appends an entry
    (``extra`` merged in) to ``results["entries"]``, prints it as a line and returns it."""

    def add(task, library, seconds, extra=None, times=None):
        entry = {"task": task, "library": library, "seconds": seconds, "times": times, **(extra or {})}
        results["entries"].append(entry)
        print(f"  {task:{task_width}s} {library:{library_width}s} {seconds:8.3f} s {extra or ''}", flush=True)
        return entry

    return add


def interleaved(fns, repeat=3):
    """Time several callables round-robin: ``repeat`` rounds, each running every one once
    (the order rotated each round), so drifting machine load hits them alike.

    Returns ``{name: (median_seconds, all_times, last_result)}``; compare libraries with
    :func:`paired_speedup` on the per-round times.
    """
    names = list(fns)
    times = {n: [] for n in names}
    last = {}
    for r in range(repeat):
        k = r % len(names)
        for n in names[k:] + names[:k]:
            t0 = time.perf_counter()
            last[n] = fns[n]()
            times[n].append(time.perf_counter() - t0)
    return {n: (statistics.median(times[n]), times[n], last[n]) for n in names}


def paired_speedup(their_times, our_times):
    """Median over rounds of ``their / ours`` (round i of each from :func:`interleaved`)."""
    return statistics.median(a / b for a, b in zip(their_times, our_times))


def ratio_rows(entries, ours=lambda lib: lib == "dml"):
    """Per task, dml against every other library: ``speedup`` (their median / ours) and,
    when both were timed in the same interleaved rounds, ``paired_speedup``."""
    rows = []
    for task in dict.fromkeys(e["task"] for e in entries):
        mine = next((e for e in entries if e["task"] == task and ours(e["library"])), None)
        if mine is None:
            continue
        for e in entries:
            if e["task"] != task or ours(e["library"]):
                continue
            paired = None
            if e.get("times") and mine.get("times") and len(e["times"]) == len(mine["times"]) > 1:
                paired = paired_speedup(e["times"], mine["times"])
            rows.append(
                {
                    "task": task,
                    "versus": e["library"],
                    "their_s": e["seconds"],
                    "dml_s": mine["seconds"],
                    "speedup": e["seconds"] / mine["seconds"],
                    "paired_speedup": paired,
                }
            )
    return rows


RATIO_COLUMNS = ["task", "versus", "their_s", "dml_s", "speedup", "paired_speedup"]


def memory_bandwidth(nbytes=400 * 2**20, repeat=5):
    """Measured single-thread read bandwidth (bytes/s): median of ``sum`` over a large array."""
    a = np.ones(nbytes // 8)
    a.sum()
    med, _, _ = timeit(a.sum, repeat=repeat)
    return nbytes / med


def cluster_bandwidth(client, nbytes_per_worker=400 * 2**20, repeat=5):
    """Aggregate read bandwidth of the cluster's workers reading their own arrays at once."""
    workers = list(client.scheduler_info()["workers"])

    def make(n):
        return np.ones(n // 8)

    arrays = [client.submit(make, nbytes_per_worker, workers=[w], pure=False) for w in workers]
    client.gather(arrays)

    def run():
        futs = [client.submit(np.sum, a, workers=[w], pure=False) for a, w in zip(arrays, workers)]
        client.gather(futs)

    med, _, _ = timeit(run, repeat=repeat, warmup=True)
    del arrays
    return nbytes_per_worker * len(workers) / med


def table(rows, columns):
    """Format a list of dicts as a fixed-width text table."""
    widths = {c: max(len(c), *(len(_fmt(r.get(c))) for r in rows)) for c in columns}
    line = "  ".join(c.ljust(widths[c]) for c in columns)
    out = [line, "-" * len(line)]
    for r in rows:
        out.append("  ".join(_fmt(r.get(c)).ljust(widths[c]) for c in columns))
    return "\n".join(out)


def _fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def write_json(name, payload):
    """Write ``payload`` (plus machine facts) to ``benchmarks/results/<name>.json``."""
    RESULTS.mkdir(exist_ok=True)
    payload = dict(payload)
    payload["machine"] = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=_json_default))
    return path


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)

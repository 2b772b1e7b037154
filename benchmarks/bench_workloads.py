"""The classic distributed workloads (issue 19): click-prediction downsampling, a data-parallel MLP, ALS.

Sections (``--only`` picks some; all run by default), each on a
LocalCluster(n_workers=2, threads_per_worker=1) and each writing
``benchmarks/results/workloads_<section><--suffix>.json``:

``downsample``
    ``--ds-samples`` rows (10,000,000) x ``--ds-features`` (20) float64 at
    ``--ds-positive-rate`` (0.1%) positives, generated on the workers and persisted in
    ``--ds-chunks`` chunks: every chunk draws its rows from its own seeded generator,
    ``X ~ N(0, I)`` and ``y ~ Bernoulli(sigmoid(b + X @ w))`` with ``w`` drawn once
    (``||w|| = --ds-signal``, 2.0) and the intercept ``b`` solved (bisection on the
    normal law of ``X @ w``) so that the positive rate is the one asked for; a logistic
    model is therefore the true model. dml's ``LogisticRegression()`` (lbfgs, C=1)
    fits the full data, and ``NegativeDownsampler(LogisticRegression(),
    negative_rate='balanced')`` fits the sample; the downsampled time includes the
    label count and the sampling pass (and the persist of the sample). Both are scored
    by log loss on ``--ds-holdout`` (1,000,000) rows of the same law (other seeds),
    gathered to the driver; the mean corrected probability is reported beside the
    holdout's positive rate. The machine's ceiling is measured in the same run: one pass
    reading every label (a Dask ``y.sum()``), the least any sampler must do, and
    ``ceiling_speedup`` is the full fit's time over that pass.
    Target: >= 20x faster, log loss within 1%.

``mlp``
    ``MLPClassifier(hidden_layer_sizes=(100,), solver='adam')`` on
    ``--mlp-samples`` (1,000,000) x ``--mlp-features`` (50) rows of
    ``dml.datasets.make_classification`` (two classes, half the features informative),
    plus ``--mlp-holdout`` (100,000) held-out rows of the same draw for the validation
    accuracy. scikit-learn fits the in-memory copy with ``max_iter=--mlp-epochs`` (10)
    fixed epochs, no early stopping, ``batch_size=200`` (its 'auto'), under
    threadpoolctl's limit of ``--sk-threads`` BLAS threads (default 1: on the 2-core
    machine its tiny per-step products run slower with 2); its final holdout accuracy is
    the target. dml fits the persisted data (``--mlp-chunks`` chunks, one replica per
    chunk) with the same parameters, ``batch_size=200`` and
    ``average_every=--average-every`` (local steps, one round trip per k steps), one
    ``partial_fit`` epoch at a time; only the ``partial_fit`` calls are timed, the holdout
    accuracy is measured after each epoch (not timed), and the time to reach is the fit
    time summed up to the first epoch at or above scikit-learn's final accuracy (at
    most ``--mlp-max-epochs`` epochs). Target: dml's time to reach <= scikit-learn's.

``als``
    Run by ``benchmarks/_workloads_als.py`` (``add_arguments(parser)``, ``run(args)``),
    imported only when the section is selected; the driver writes its entries.

    python -m benchmarks bench_workloads [--only downsample mlp als] [--suffix _small]
        [--ds-samples 10000000] [--mlp-samples 1000000] [--average-every 50] ...
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import statistics
import time
from pathlib import Path

import numpy as np

from benchmarks._harness import RATIO_COLUMNS, entry_recorder, local_cluster, ratio_rows, table, write_json

SECTIONS = ("downsample", "mlp", "als")
_ALS_FILE = Path(__file__).with_name("_workloads_als.py")


# --------------------------------------------------------------------------- data


def _ds_intercept(norm_w, positive_rate):
    """The intercept ``b`` with ``E[sigmoid(b + Z)] = positive_rate`` for ``Z ~ N(0,
    norm_w**2)`` (Gauss-Hermite quadrature, bisection on ``b``)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(200)
    weights = weights / weights.sum()
    lo, hi = -40.0, 10.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        rate = float(weights @ (1.0 / (1.0 + np.exp(-(mid + norm_w * nodes)))))
        lo, hi = (lo, mid) if rate > positive_rate else (mid, hi)
    return 0.5 * (lo + hi)


def _ds_chunk(seed, index, n, w, b):
    rng = np.random.default_rng([seed, index])
    X = rng.standard_normal((n, w.shape[0]))
    p = 1.0 / (1.0 + np.exp(-(b + X @ w)))
    y = (rng.random(n) < p).astype(np.int64)
    return X, y


def _ds_data(n, n_features, n_chunks, positive_rate, signal, seed):
    """Lazy Dask X, y of the downsampling section: one seeded generator per chunk."""
    import dask
    import dask.array as da

    w = np.random.default_rng([seed, 2**31]).standard_normal(n_features)
    w *= signal / np.linalg.norm(w)
    b = _ds_intercept(signal, positive_rate)
    rows = [n // n_chunks + (i < n % n_chunks) for i in range(n_chunks)]
    Xs, ys = [], []
    for i, m in enumerate(rows):
        part = dask.delayed(_ds_chunk, nout=2, pure=True)(seed, i, m, w, b)
        Xs.append(da.from_delayed(part[0], (m, n_features), dtype=np.float64))
        ys.append(da.from_delayed(part[1], (m,), dtype=np.int64))
    return da.concatenate(Xs), da.concatenate(ys), {"w": w, "intercept": b}


# ---------------------------------------------------------------------- sections


def _log_loss(y, p):
    from sklearn.metrics import log_loss

    return float(log_loss(y, p, labels=[0, 1]))


def run_downsample(client, add, args, results):

    from dml.imbalance import NegativeDownsampler
    from dml.linear_model import LogisticRegression

    n, p = args.ds_samples, args.ds_features
    X, y, truth = _ds_data(n, p, args.ds_chunks, args.ds_positive_rate, args.ds_signal, seed=0)
    X, y = client.persist([X, y])
    n_pos = int(y.sum().compute())
    n_hold = args.ds_holdout
    Xh, yh, _ = _ds_data(
        n_hold, p, max(1, args.ds_chunks * n_hold // n), args.ds_positive_rate, args.ds_signal, seed=1
    )
    Xh, yh = client.persist([Xh, yh])
    yh_local = yh.compute()
    results.update(
        n_samples=n,
        n_features=p,
        chunks=args.ds_chunks,
        positives=n_pos,
        positive_rate=n_pos / n,
        holdout=n_hold,
        holdout_positive_rate=float(yh_local.mean()),
        true_intercept=truth["intercept"],
        signal=args.ds_signal,
    )
    print(
        f"downsample data: {n:,} x {p} float64 ({X.nbytes / 2**30:.2f} GiB), {X.numblocks[0]} chunks, "
        f"{n_pos:,} positives ({n_pos / n:.4%}), persisted; holdout {n_hold:,} rows"
    )

    def holdout_loss(model):
        proba = model.predict_proba(Xh)
        proba = proba.compute() if hasattr(proba, "compute") else np.asarray(proba)
        return _log_loss(yh_local, proba[:, 1]), float(proba[:, 1].mean())

    fits = {
        # the floor of any sampler: one pass reading every label (a Dask sum of y)
        "one-pass": lambda: y.sum().compute(),
        "full": lambda: LogisticRegression().fit(X, y),
        "downsampled": lambda: NegativeDownsampler(
            LogisticRegression(), negative_rate="balanced", random_state=0
        ).fit(X, y),
    }
    times = {k: [] for k in fits}
    last = {}
    for r in range(args.repeat):  # round-robin, the order rotated every round
        order = list(fits) if r % 2 == 0 else list(fits)[::-1]
        for k in order:
            t0 = time.perf_counter()
            last[k] = fits[k]()
            times[k].append(time.perf_counter() - t0)
            gc.collect()
    full, down = last["full"], last["downsampled"]
    loss_full, mean_full = holdout_loss(full)
    loss_down, mean_down = holdout_loss(down)
    t_full = statistics.median(times["full"])
    t_down = statistics.median(times["downsampled"])
    add(
        "LogisticRegression-full",
        "dml",
        t_full,
        {"log_loss": loss_full, "mean_proba": mean_full, "n_iter": int(np.max(full.n_iter_))},
        times["full"],
    )
    add(
        "NegativeDownsampler",
        "dml",
        t_down,
        {
            "log_loss": loss_down,
            "mean_proba": mean_down,
            "negative_rate": down.negative_rate_,
            "sample_rows": int(round(n_pos + down.negative_rate_ * (n - n_pos))),
            "correction": down.correction_,
            "n_iter": int(np.max(down.estimator_.n_iter_)),
        },
        times["downsampled"],
    )
    t_pass = statistics.median(times["one-pass"])
    add("one-pass-over-y", "dask", t_pass, {}, times["one-pass"])
    summary = {
        "speedup": t_full / t_down,
        "ceiling_speedup": t_full / t_pass,
        "share_of_ceiling": (t_full / t_down) / (t_full / t_pass),
        "paired_speedup": statistics.median(a / b for a, b in zip(times["full"], times["downsampled"])),
        "log_loss_rel_diff": (loss_down - loss_full) / loss_full,
        "target": ">= 20x faster, log loss within 1%",
    }
    summary["met"] = summary["speedup"] >= 20 and abs(summary["log_loss_rel_diff"]) <= 0.01
    results["summary"] = summary
    print(
        f"  downsampled fit {summary['speedup']:.1f}x faster (paired {summary['paired_speedup']:.1f}x), "
        f"holdout log loss {loss_down:.6f} vs {loss_full:.6f} ({summary['log_loss_rel_diff']:+.3%}); "
        f"the one-pass ceiling {summary['ceiling_speedup']:.1f}x"
    )


def _sk_threads_fit(threads, make, X, y):
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads, user_api="blas"):
        return make().fit(X, y)


def run_mlp(client, add, args, results):
    import warnings

    import dask
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier as SkMLP

    from dml.datasets import make_classification
    from dml.neural_network import MLPClassifier

    warnings.simplefilter("ignore", ConvergenceWarning)
    n, p, n_hold = args.mlp_samples, args.mlp_features, args.mlp_holdout
    total = n + n_hold
    X, y = make_classification(
        total, p, n_informative=p // 2, n_classes=2, random_state=0, chunks=-(-total // args.mlp_chunks)
    )
    X, y = client.persist([X, y])
    Xt, yt, Xh, yh = X[:n], y[:n], X[n:], y[n:]
    Xt, yt = client.persist(
        [Xt.rechunk((-(-n // args.mlp_chunks), -1)), yt.rechunk(-(-n // args.mlp_chunks))]
    )
    Xh, yh = client.persist([Xh, yh])
    dask.compute(Xt.sum(), yt.sum())
    del X, y
    Xl, yl, Xhl, yhl = dask.compute(Xt, yt, Xh, yh)
    Xl = np.ascontiguousarray(Xl)  # scikit-learn's minibatch indexing reads rows
    print(f"mlp data: {n:,} x {p} float64 in {Xt.numblocks[0]} chunks, persisted; holdout {n_hold:,} rows")
    common = dict(hidden_layer_sizes=(100,), solver="adam", batch_size=200, random_state=0)
    results.update(
        n_samples=n,
        n_features=p,
        holdout=n_hold,
        chunks=Xt.numblocks[0],
        params=common,
        sk_epochs=args.mlp_epochs,
        sk_threads=args.sk_threads,
        average_every=args.average_every,
        repeat=args.mlp_repeat,
    )

    # scikit-learn: fixed epochs, no early stopping, final holdout accuracy is the target
    sk_times, sk = [], None
    for _ in range(args.mlp_repeat):
        t0 = time.perf_counter()
        sk = _sk_threads_fit(
            args.sk_threads, lambda: SkMLP(**common, max_iter=args.mlp_epochs, early_stopping=False), Xl, yl
        )
        sk_times.append(time.perf_counter() - t0)
    target = float(sk.score(Xhl, yhl))
    t_sk = statistics.median(sk_times)
    add(
        "MLPClassifier-adam",
        "scikit-learn",
        t_sk,
        {"epochs": sk.n_iter_, "holdout_accuracy": target, "seconds_per_epoch": t_sk / sk.n_iter_},
        sk_times,
    )

    # dml: one partial_fit epoch at a time, holdout accuracy after each (not timed)
    summaries = []
    for k in args.average_every:
        reach_times, runs = [], []
        for _ in range(args.mlp_repeat):
            est = MLPClassifier(**common, average_every=k)
            fit_s, curve, reached = 0.0, [], None
            for epoch in range(1, args.mlp_max_epochs + 1):
                t0 = time.perf_counter()
                est.partial_fit(Xt, yt, classes=[0, 1])
                fit_s += time.perf_counter() - t0
                acc = float(est.score(Xh, yh))
                curve.append({"epoch": epoch, "fit_s": fit_s, "holdout_accuracy": acc})
                print(
                    f"    dml k={k} epoch {epoch}: fit {fit_s:7.2f} s cumulative, holdout accuracy {acc:.5f}",
                    flush=True,
                )
                if acc >= target:
                    reached = epoch
                    break
            runs.append({"curve": curve, "reached_epoch": reached})
            reach_times.append(fit_s if reached else math.inf)
        t_dml = statistics.median(reach_times)
        last = runs[-1]
        add(
            "MLPClassifier-adam",
            "dml" if k == args.average_every[0] else f"dml-average_every={k}",
            t_dml,
            {
                "average_every": k,
                "reached_epoch": last["reached_epoch"],
                "holdout_accuracy": last["curve"][-1]["holdout_accuracy"],
                "seconds_per_epoch": last["curve"][-1]["fit_s"] / len(last["curve"]),
                "curve": last["curve"],
            },
            reach_times,
        )
        summaries.append(
            {
                "average_every": k,
                "dml_s": t_dml,
                "reached_epoch": last["reached_epoch"],
                "speedup": t_sk / t_dml if math.isfinite(t_dml) else 0.0,
                "met": t_dml <= t_sk,
            }
        )
        print(
            f"  target accuracy {target:.5f}: scikit-learn {t_sk:.1f} s ({sk.n_iter_} epochs), dml "
            f"average_every={k} {t_dml:.1f} s ({last['reached_epoch']} epochs): {summaries[-1]['speedup']:.2f}x"
        )
    results["summary"] = {
        "target_accuracy": target,
        "scikit_learn_s": t_sk,
        "dml": summaries,
        "target": "dml's time to reach scikit-learn's final holdout accuracy <= scikit-learn's time",
    }


# -------------------------------------------------------------------------- driver


def _parser(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS), help="sections to run")
    p.add_argument("--suffix", default="", help="results go to results/workloads_<section><suffix>.json")
    p.add_argument("--repeat", type=int, default=3, help="timed runs of the downsample entries (median)")
    g = p.add_argument_group("downsample")
    g.add_argument("--ds-samples", type=int, default=10_000_000)
    g.add_argument("--ds-features", type=int, default=20)
    g.add_argument("--ds-chunks", type=int, default=20)
    g.add_argument("--ds-positive-rate", type=float, default=0.001)
    g.add_argument("--ds-signal", type=float, default=2.0, help="norm of the true weight vector")
    g.add_argument("--ds-holdout", type=int, default=1_000_000)
    g = p.add_argument_group("mlp")
    g.add_argument("--mlp-samples", type=int, default=1_000_000)
    g.add_argument("--mlp-features", type=int, default=50)
    g.add_argument("--mlp-holdout", type=int, default=100_000)
    g.add_argument("--mlp-chunks", type=int, default=2, help="row chunks (replicas) of the training data")
    g.add_argument("--mlp-epochs", type=int, default=10, help="scikit-learn's max_iter (fixed epochs)")
    g.add_argument("--mlp-max-epochs", type=int, default=20, help="most dml epochs spent reaching the target")
    g.add_argument(
        "--average-every",
        type=int,
        nargs="+",
        default=[100, 250],
        help="dml's average_every (each value a dml entry; 250 is where the round trips stop dominating)",
    )
    g.add_argument("--mlp-repeat", type=int, default=1, help="timed runs of each MLP entry")
    g.add_argument("--sk-threads", type=int, default=1, help="BLAS threads of the scikit-learn fit")
    known, _ = p.parse_known_args(argv)
    als = None
    if "als" in known.only and _ALS_FILE.exists():
        try:
            from benchmarks import _workloads_als as als
        except ImportError as exc:
            print(f"als section unavailable: {exc}")
            als = None
        else:
            als.add_arguments(p)
    return p, als


def main(argv=None):
    p, als = _parser(argv)
    args = p.parse_args(argv)
    written = {}
    for section in [s for s in SECTIONS if s in args.only and s != "als"]:
        results = {
            "section": section,
            "repeat": args.repeat,
            "load_avg_start": os.getloadavg(),
            "entries": [],
        }
        add = entry_recorder(results, 26, 14)
        print(f"\n--- {section} ---", flush=True)
        with local_cluster() as client:
            {"downsample": run_downsample, "mlp": run_mlp}[section](client, add, args, results)
        results["ratios"] = ratio_rows([e for e in results["entries"] if not e["library"].startswith("dml-")])
        results["load_avg"] = os.getloadavg()  # 1, 5 and 15 minutes, at the section's end
        if results["ratios"]:
            print(table(results["ratios"], RATIO_COLUMNS))
        written[section] = write_json(f"workloads_{section}{args.suffix}", results)
        print(f"wrote {written[section]}")
        gc.collect()
    if "als" in args.only:
        print("\n--- als ---", flush=True)
        if als is None:
            print(f"skipped: {_ALS_FILE.name} is absent or does not import")
        else:
            entries = als.run(args)
            results = {"section": "als", "entries": entries, "ratios": ratio_rows(entries)}
            results["load_avg"] = os.getloadavg()
            if results["ratios"]:
                print(table(results["ratios"], RATIO_COLUMNS))
            written["als"] = write_json(f"workloads_als{args.suffix}", results)
            print(f"wrote {written['als']}")
    return written


if __name__ == "__main__":
    main()

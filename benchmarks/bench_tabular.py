"""Tabular preprocessing: ColumnTransformer fit + transform and a LogisticRegression pipeline
on a mixed-dtype Dask DataFrame, dml against scikit-learn (and dask-ml where it runs).

The table (``--n-samples`` rows, 5,000,000 by default) has 8 float64 columns with 5% of
their values missing (NaN), 4 ``category`` columns of 10, 100, 1,000 and 10,000 levels
and 2 object string columns (20 and 2,000 distinct values), and a binary target drawn
from a logistic model of some columns. It is a Dask DataFrame of ``--chunks`` (20)
partitions persisted on a LocalCluster(n_workers=2, threads_per_worker=1) before
timing; scikit-learn runs on the same table as one pandas frame in this process.

Tasks (dml and scikit-learn timed round-robin, medians of ``--repeat`` runs):

- ``ct-fit-transform``: ``ColumnTransformer([(SimpleImputer() + StandardScaler()) on the
  numbers, OneHotEncoder(handle_unknown='ignore') on the categories and strings])``
  ``fit`` then ``transform``; dml's transform (a lazy Dask array of CSR chunks) is
  persisted on the workers and waited for, scikit-learn's is its in-memory CSR matrix.
- ``pipeline-logistic-fit``: ``Pipeline(ColumnTransformer(...), LogisticRegression())``
  ``fit``. dml's LogisticRegression trains on dense chunks only (sparse training is a
  later issue), so in this pipeline the encoder is
  ``OneHotEncoder(handle_unknown='infrequent_if_exist', max_categories=16,
  sparse_output=False)`` in both libraries (the 10,000-level column one-hot and dense
  would not fit in memory); predictions are compared.
- Peak worker memory while fitting the encoders: each worker's peak resident memory
  (``VmHWM``, reset through ``/proc/self/clear_refs`` before the fit) above its
  resident memory before the fit (which holds its persisted partitions), for
  ``OneHotEncoder().fit`` on the 6 category / string columns and for the
  ColumnTransformer's ``fit``, beside the size of one partition (pandas' deep
  ``memory_usage``).

dask-ml is not installed beside dml: its equivalent pipeline runs in a subprocess of
the interpreter given by ``--dask-ml-python`` (a virtual environment with
``dml[bench]``), on the same table and cluster shape; each of its parts is tried
separately and its error, if any, recorded.

    python -m benchmarks bench_tabular [--n-samples 5000000] [--chunks 20] [--repeat 3]
        [--dask-ml-python /work/benchvenv/bin/python]
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import time

import numpy as np

from benchmarks._harness import (
    RATIO_COLUMNS,
    entry_recorder,
    interleaved,
    local_cluster,
    parser,
    ratio_rows,
    table,
    write_json,
)

NUM = [f"x{i}" for i in range(8)]
CAT = ["c10", "c100", "c1000", "c10000"]
STR = ["s20", "s2000"]


def make_table(n, seed=0):
    """The benchmark's pandas table and binary target (deterministic in ``seed``)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, len(NUM)))
    logit = X[:, 0] - 0.5 * X[:, 1] + 0.25 * X[:, 2]
    X[rng.random(X.shape) < 0.05] = np.nan
    cols = {name: X[:, j] for j, name in enumerate(NUM)}
    for name in CAT:
        k = int(name[1:])
        codes = rng.integers(0, k, n)
        logit += 0.5 * (codes % 3 == 0)
        cols[name] = pd.Categorical.from_codes(codes, categories=[f"{name}_{i}" for i in range(k)])
    for name in STR:
        k = int(name[1:])
        words = np.array([f"w{i}" for i in range(k)], dtype=object)
        cols[name] = words[rng.integers(0, k, n)]
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)
    return pd.DataFrame(cols), pd.Series(y, name="y")


def _column_transformer(lib, dense_encoder=False):
    from sklearn.pipeline import make_pipeline as _mp

    if lib == "dml":
        from dml.compose import ColumnTransformer
        from dml.impute import SimpleImputer
        from dml.preprocessing import OneHotEncoder, StandardScaler
    else:
        from sklearn.compose import ColumnTransformer
        from sklearn.impute import SimpleImputer
        from sklearn.preprocessing import OneHotEncoder, StandardScaler
    if dense_encoder:
        enc = OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=16, sparse_output=False)
    else:
        enc = OneHotEncoder(handle_unknown="ignore")
    return ColumnTransformer([("num", _mp(SimpleImputer(), StandardScaler()), NUM), ("cat", enc, CAT + STR)])


def _pipeline(lib):
    from sklearn.pipeline import make_pipeline as _mp

    if lib == "dml":
        from dml.linear_model import LogisticRegression
    else:
        from sklearn.linear_model import LogisticRegression
    return _mp(_column_transformer(lib, dense_encoder=True), LogisticRegression())


def _worker_rss(client):
    """Per worker: ``(current RSS, peak RSS)`` in MiB (``VmRSS``, ``VmHWM``)."""

    def read():
        out = {}
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    out[line.split(":")[0]] = int(line.split()[1]) / 1024
        return out

    return client.run(read)


def _reset_peak(client):
    def reset():
        gc.collect()
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)

    client.run(reset)


def _peak_during(client, fn):
    """Run ``fn`` (once before, to warm the workers' imports); per worker, the peak RSS of
    the second run above its RSS at the start (MiB)."""
    fn()
    _reset_peak(client)
    before = _worker_rss(client)
    fn()
    after = _worker_rss(client)
    return {
        w: {
            "rss_before_mib": before[w]["VmRSS"],
            "peak_mib": after[w]["VmHWM"],
            "peak_above_start_mib": after[w]["VmHWM"] - before[w]["VmRSS"],
        }
        for w in before
    }


def _dml_cases(client, add, results, df, y, repeat):
    import dask.dataframe as dd
    from distributed import wait

    from dml._engine.mapreduce import count_passes
    from dml.preprocessing import OneHotEncoder

    ddf = dd.from_pandas(df, npartitions=results["chunks"])
    dy = dd.from_pandas(y, npartitions=results["chunks"])
    ddf, dy = client.persist([ddf, dy])
    wait([ddf, dy])
    part_mib = float(df.memory_usage(index=False, deep=True).sum()) / results["chunks"] / 2**20
    results["partition_mib"] = part_mib
    print(
        f"data: {len(df):,} rows, {ddf.npartitions} partitions of {part_mib:.1f} MiB, persisted", flush=True
    )

    # -- peak worker memory while fitting the encoders
    results["peak_memory_onehot_fit"] = _peak_during(
        client, lambda: OneHotEncoder(handle_unknown="ignore").fit(ddf[CAT + STR])
    )
    results["peak_memory_ct_fit"] = _peak_during(client, lambda: _column_transformer("dml").fit(ddf))
    for key in ("peak_memory_onehot_fit", "peak_memory_ct_fit"):
        worst = max(v["peak_above_start_mib"] for v in results[key].values())
        results[key + "_max_over_partition"] = worst / part_mib
        print(f"  {key}: {results[key]} (max {worst:.1f} MiB = {worst / part_mib:.2f} x one partition)")

    # -- ColumnTransformer fit + transform
    with count_passes() as c:
        _column_transformer("dml").fit(ddf)

    def dml_ct():
        Z = client.persist(_column_transformer("dml").fit(ddf).transform(ddf))
        wait(Z)
        return Z

    timed = interleaved(
        {"scikit-learn": lambda: _column_transformer("sklearn").fit_transform(df), "dml": dml_ct}, repeat
    )
    t, ts, ref = timed["scikit-learn"]
    add("ct-fit-transform", "scikit-learn", t, {"shape": list(ref.shape), "nnz": int(ref.nnz)}, ts)
    t, ts, Z = timed["dml"]
    Zs = Z.blocks[0].compute()  # the first partition's rows, against scikit-learn's
    k = Zs.shape[0]
    same = Zs.shape == ref[:k].shape and bool(abs(Zs - ref[:k]).max() < 1e-9)
    add("ct-fit-transform", "dml", t, {"fit_passes": c.passes, "first_partition_equal": same}, ts)
    del Z, ref, Zs, timed
    gc.collect()

    # -- the full pipeline with LogisticRegression
    if "pipeline-logistic-fit" in results["skip"]:
        return
    timed = interleaved(
        {
            "scikit-learn": lambda: _pipeline("sklearn").fit(df, y),
            "dml": lambda: _pipeline("dml").fit(ddf, dy),
        },
        repeat,
    )
    t, ts, ref = timed["scikit-learn"]
    add("pipeline-logistic-fit", "scikit-learn", t, {"n_iter": int(ref[-1].n_iter_[0])}, ts)
    t, ts, est = timed["dml"]
    m = min(len(df), 200_000)
    agree = float(np.mean(np.asarray(est.predict(df.iloc[:m])) == ref.predict(df.iloc[:m])))
    add("pipeline-logistic-fit", "dml", t, {"prediction_agreement_first_200k": agree}, ts)


# ------------------------------------------------------------------------- dask-ml


def _try(report, name, fn):
    t0 = time.perf_counter()
    try:
        out = fn()
    except Exception as e:  # recorded: which dask-ml part fails, and why
        report[name] = {"ok": False, "error": f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"}
        return None
    report[name] = {"ok": True, "seconds": time.perf_counter() - t0}
    return out


def dask_ml_run(n, chunks, repeat):
    """dask-ml's equivalent pipeline, part by part (run in the dask-ml environment)."""
    import dask.dataframe as dd
    from distributed import wait

    from benchmarks._harness import local_cluster as _lc

    df, y = make_table(n)
    report = {"versions": {}}
    import dask_ml

    report["versions"]["dask_ml"] = dask_ml.__version__
    with _lc() as client:
        ddf = client.persist(dd.from_pandas(df, npartitions=chunks))
        wait(ddf)
        from dask_ml.compose import ColumnTransformer
        from dask_ml.impute import SimpleImputer
        from dask_ml.preprocessing import Categorizer, DummyEncoder, OneHotEncoder, StandardScaler
        from sklearn.pipeline import make_pipeline

        _try(
            report,
            "SimpleImputer.fit_transform(numbers)",
            lambda: SimpleImputer().fit_transform(ddf[NUM]).persist(),
        )
        _try(
            report,
            "StandardScaler.fit_transform(numbers)",
            lambda: StandardScaler().fit_transform(ddf[NUM]).persist(),
        )
        _try(
            report,
            "OneHotEncoder(handle_unknown='ignore').fit(categories+strings)",
            lambda: OneHotEncoder(handle_unknown="ignore").fit(ddf[CAT + STR]),
        )
        _try(
            report,
            "OneHotEncoder(handle_unknown='ignore').fit_transform(categories)",
            lambda: OneHotEncoder(handle_unknown="ignore").fit_transform(ddf[CAT]).persist(),
        )
        _try(
            report,
            "Categorizer().fit_transform(strings)",
            lambda: Categorizer().fit_transform(ddf[STR]).persist(),
        )
        ct = ColumnTransformer(
            [
                ("num", make_pipeline(SimpleImputer(), StandardScaler()), NUM),
                ("cat", OneHotEncoder(handle_unknown="ignore"), CAT + STR),
            ]
        )
        _try(
            report,
            "ColumnTransformer(...).fit_transform(table)",
            lambda: wait(client.persist(ct.fit_transform(ddf))),
        )

        # the nearest pipeline that dask-ml can run: strings made categorical first, then
        # its DummyEncoder (a Dask DataFrame of dummies) after the numeric part
        def working():
            Xc = Categorizer(columns=STR).fit_transform(ddf)
            num = make_pipeline(SimpleImputer(), StandardScaler()).fit_transform(Xc[NUM])
            dummies = DummyEncoder(columns=CAT + STR).fit_transform(Xc[CAT + STR])
            out = client.persist(dd.concat([num, dummies], axis=1))
            wait(out)
            return out

        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            if _try(report, "Categorizer + SimpleImputer + StandardScaler + DummyEncoder", working) is None:
                break
            times.append(time.perf_counter() - t0)
        if times:
            report["equivalent_times"] = times
            report["equivalent_median_s"] = float(np.median(times))
    return report


def _dask_ml(python, n, chunks, repeat):
    if not python or not os.path.exists(python):
        return {"skipped": f"no dask-ml interpreter at {python!r}"}
    code = (
        "import json, sys; from benchmarks.bench_tabular import dask_ml_run; "
        f"print('RESULT' + json.dumps(dask_ml_run({n}, {chunks}, {repeat})))"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run([python, "-c", code], cwd=root, capture_output=True, text=True, timeout=3600)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT"):
            return json.loads(line[len("RESULT") :])
    return {"failed": proc.stderr[-2000:]}


def main(argv=None):
    p = parser(__doc__.splitlines()[0], n_samples=5_000_000, n_features=14, repeat=3)
    p.set_defaults(chunks=20)
    p.add_argument("--name", default="tabular", help="results go to benchmarks/results/<name>.json")
    p.add_argument("--dask-ml-python", default="/work/benchvenv/bin/python")
    args = p.parse_args(argv)
    n = args.n_samples
    results = {"n_samples": n, "chunks": args.chunks, "repeat": args.repeat, "skip": args.skip, "entries": []}
    add = entry_recorder(results, 24, 14)
    if "dml" not in args.skip:  # --skip dml: only the dask-ml subprocess
        df, y = make_table(n)
        with local_cluster() as client:
            _dml_cases(client, add, results, df, y, args.repeat)
        del df, y
    gc.collect()
    if "dask-ml" not in args.skip:
        print("dask-ml (subprocess) ...", flush=True)
        dm = _dask_ml(args.dask_ml_python, n, args.chunks, args.repeat)
        results["dask_ml"] = dm
        print(json.dumps(dm, indent=1))
        if "equivalent_median_s" in dm:
            add(
                "ct-fit-transform",
                "dask-ml (Categorizer+DummyEncoder)",
                dm["equivalent_median_s"],
                None,
                dm["equivalent_times"],
            )
    rows = ratio_rows(results["entries"])
    results["ratios"] = rows
    if rows:
        print()
        print(table(rows, RATIO_COLUMNS))
    path = write_json(args.name, results)
    print(f"\nwrote {path}")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])

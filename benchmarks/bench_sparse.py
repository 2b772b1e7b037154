"""Sparse features: HashingVectorizer, CountVectorizer and FeatureHasher, dml against scikit-learn.

Documents are short (4 to 16 words drawn by a power law from a vocabulary of 20,000
random words; a deterministic generator, seed 0), ``--n-samples`` of them (1,000,000 by
default). On a LocalCluster(n_workers=2, threads_per_worker=1) the documents are scattered
as ``--chunks`` list partitions of a Dask Bag; scikit-learn transforms the same list in
this process. dml's time is the whole transform with its result kept on the workers
(``persist`` and wait: the CSR chunks are where the next estimator trains on them).

The machine's ceiling is measured in the same run: scikit-learn's own transform of one
half of the documents on each worker at once (the halves already there), i.e. the ideal
split across two processes; the report gives dml's speedup over scikit-learn's single
process and how close it comes to that ceiling's speedup.

The click-log case hashes ``--click-samples`` rows of ``dml.datasets.make_click_log``'s 26
categorical fields (tokens "C<field>=<hex>") to 2**20 columns with FeatureHasher.

    python -m benchmarks bench_sparse [--n-samples 1000000] [--chunks 16] [--repeat 3]
        [--click-samples 500000]
"""

from __future__ import annotations

import gc
import os

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


def make_documents(n, seed=0, n_words=20_000):
    """``n`` short documents from a fixed vocabulary (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lengths = rng.integers(3, 10, n_words)
    vocab = np.array(["".join(rng.choice(letters, k)) for k in lengths], dtype=object)
    p = 1.0 / np.arange(1, n_words + 1) ** 1.1
    p /= p.sum()
    sizes = rng.integers(4, 17, n)
    words = vocab[rng.choice(n_words, size=int(sizes.sum()), p=p)]
    ends = np.cumsum(sizes)
    starts = ends - sizes
    return [" ".join(words[a:b]) for a, b in zip(starts.tolist(), ends.tolist())]


def _sk_transform(part, vectorizer):
    return vectorizer.transform(part).nnz


def _ceiling_runner(client, halves, vectorizer):
    """scikit-learn's transform of each half on its own worker, both at once."""
    from distributed import wait

    def run():
        futs = [client.submit(_sk_transform, h, vectorizer, pure=False, workers=[w]) for h, w in halves]
        wait(futs)
        return sum(f.result() for f in futs)

    return run


def _warm_interleaved(fns, repeat):
    """:func:`interleaved` after one untimed call of each (workers import scikit-learn and
    dml on their first task; that start-up is not the transform's time)."""
    for fn in fns.values():
        fn()
    return interleaved(fns, repeat=repeat)


def _persisted(client, out):
    """Compute ``out`` on the workers, keep it there until done, then release it: the
    next call computes again (a result kept alive would be reused by key, not recomputed)."""
    from distributed import wait

    out = client.persist(out)
    wait(out)
    n_blocks = out.numblocks[0]
    del out
    return n_blocks


def _hashing_case(client, add, results, docs, bag, repeat):
    from sklearn.feature_extraction.text import HashingVectorizer as SkHashingVectorizer

    from dml.feature_extraction.text import HashingVectorizer

    sk = SkHashingVectorizer()
    half = len(docs) // 2
    workers = sorted(client.scheduler_info()["workers"])
    halves = []
    for part, w in ((docs[:half], workers[0]), (docs[half:], workers[1 % len(workers)])):
        (future,) = client.scatter([part], workers=[w])  # one future holding the whole half
        halves.append((future, w))
    got = _warm_interleaved(
        {
            "scikit-learn": lambda: sk.transform(docs),
            "dml": lambda: _persisted(client, HashingVectorizer().transform(bag)),
            "ceiling": _ceiling_runner(client, halves, sk),
        },
        repeat=repeat,
    )
    expected = got["scikit-learn"][2]
    out = HashingVectorizer().transform(bag).compute()
    equal = bool(out.shape == expected.shape and (out != expected).nnz == 0)
    for lib in ("scikit-learn", "dml", "ceiling"):
        label = {"ceiling": "scikit-learn x2 processes (ceiling)"}.get(lib, lib)
        add(
            "HashingVectorizer",
            label,
            got[lib][0],
            {"equal_to_sklearn": equal} if lib == "dml" else None,
            got[lib][1],
        )
    sk_s, dml_s, ceil_s = (got[k][0] for k in ("scikit-learn", "dml", "ceiling"))
    results["hashing"] = {
        "dml_speedup": sk_s / dml_s,
        "ceiling_speedup": sk_s / ceil_s,
        "fraction_of_ceiling": ceil_s / dml_s,
        "output_nnz": int(expected.nnz),
    }
    print(
        f"  HashingVectorizer: dml {sk_s / dml_s:.2f}x scikit-learn, ceiling {sk_s / ceil_s:.2f}x "
        f"(dml at {100 * ceil_s / dml_s:.0f}% of it); output equal: {equal}",
        flush=True,
    )
    del halves, got, out, expected
    gc.collect()


def _count_case(client, add, results, docs, bag, repeat):
    from sklearn.feature_extraction.text import CountVectorizer as SkCountVectorizer

    from dml._engine.mapreduce import count_passes
    from dml.feature_extraction.text import CountVectorizer

    got = _warm_interleaved(
        {
            "scikit-learn": lambda: SkCountVectorizer(min_df=2).fit(docs),
            "dml": lambda: CountVectorizer(min_df=2).fit(bag),
        },
        repeat=repeat,
    )
    with count_passes() as passes:
        CountVectorizer(min_df=2).fit(bag)
    same = got["dml"][2].vocabulary_ == got["scikit-learn"][2].vocabulary_
    add("CountVectorizer.fit", "scikit-learn", got["scikit-learn"][0], None, got["scikit-learn"][1])
    add(
        "CountVectorizer.fit",
        "dml",
        got["dml"][0],
        {"passes": passes.passes, "same_vocabulary": same},
        got["dml"][1],
    )


def _click_case(client, add, results, n, chunks, repeat):
    import dask.array as da
    from sklearn.feature_extraction import FeatureHasher as SkFeatureHasher

    from dml.datasets import make_click_log
    from dml.feature_extraction import FeatureHasher

    _, X_cat, y = make_click_log(n, chunks=-(-n // chunks), random_state=0)
    X_cat, y = client.persist([X_cat, y])
    da.compute(y.sum())
    local = X_cat.compute()
    rate = float(y.mean().compute())
    print(f"click log: {n:,} rows x 26 categorical fields, click rate {rate:.4f}", flush=True)
    sk = SkFeatureHasher(n_features=2**20, input_type="string")
    got = _warm_interleaved(
        {
            "scikit-learn": lambda: sk.transform(local),
            "dml": lambda: _persisted(
                client, FeatureHasher(n_features=2**20, input_type="string").transform(X_cat)
            ),
        },
        repeat=repeat,
    )
    out = FeatureHasher(n_features=2**20, input_type="string").transform(X_cat).compute()
    equal = bool((out != got["scikit-learn"][2]).nnz == 0)
    add("FeatureHasher(click log)", "scikit-learn", got["scikit-learn"][0], None, got["scikit-learn"][1])
    add("FeatureHasher(click log)", "dml", got["dml"][0], {"equal_to_sklearn": equal}, got["dml"][1])
    results["click_log"] = {"n_samples": n, "click_rate": rate, "nnz_per_row": out.nnz / n}


def main(argv=None):
    p = parser(__doc__.splitlines()[0], n_samples=1_000_000, n_features=0)
    p.set_defaults(chunks=16)
    p.add_argument("--name", default="sparse", help="results go to benchmarks/results/<name>.json")
    p.add_argument("--click-samples", type=int, default=500_000, help="rows of the click-log case")
    args = p.parse_args(argv)
    import dask.bag as db

    n = args.n_samples
    results = {"n_samples": n, "chunks": args.chunks, "repeat": args.repeat, "entries": []}
    results["load_average"] = {"start": os.getloadavg()}  # the machine is shared
    add = entry_recorder(results, 26, 36)
    docs = make_documents(n)
    print(f"documents: {n:,}, {sum(map(len, docs)) / n:.1f} characters each on average", flush=True)
    with local_cluster() as client:
        size = -(-n // args.chunks)
        parts = client.scatter([docs[i : i + size] for i in range(0, n, size)])
        bag = db.from_delayed(parts)
        if "HashingVectorizer" not in args.skip:
            _hashing_case(client, add, results, docs, bag, args.repeat)
        if "CountVectorizer" not in args.skip:
            _count_case(client, add, results, docs, bag, args.repeat)
        if "FeatureHasher" not in args.skip:
            _click_case(client, add, results, args.click_samples, args.chunks, args.repeat)
    results["ratios"] = ratio_rows(results["entries"], ours=lambda lib: lib == "dml")
    print(table(results["ratios"], RATIO_COLUMNS))
    results["load_average"]["end"] = os.getloadavg()
    print("wrote", write_json(args.name, results))


if __name__ == "__main__":
    main()

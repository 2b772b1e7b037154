"""Text vectorizers and FeatureHasher against scikit-learn's, on the same documents."""

import dask.array as da
import dask.bag as db
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction import FeatureHasher as SkFeatureHasher
from sklearn.feature_extraction import text as sktext

from dml._engine.mapreduce import count_passes
from dml.feature_extraction import FeatureHasher
from dml.feature_extraction.text import CountVectorizer, HashingVectorizer, TfidfTransformer, TfidfVectorizer

WORDS = "the a cat dog sat ran on mat log big small red Blue green éclair naïve UPPER x y zz".split()


def _docs(n=240, seed=0):
    rng = np.random.default_rng(seed)
    # Zipf-like word use, documents of 0 to 12 words (some empty: CSR rows of unequal nnz)
    p = 1.0 / np.arange(1, len(WORDS) + 1)
    p /= p.sum()
    return [" ".join(rng.choice(WORDS, size=rng.integers(0, 13), p=p)) for _ in range(n)]


DOCS = _docs()


def _same(a, b):
    a = a.compute() if hasattr(a, "compute") else a
    assert a.shape == b.shape and a.dtype == b.dtype
    assert (a != b).nnz == 0
    # stored structure as scikit-learn's transform stores it (sorted column indices;
    # its fit_transform may leave them unsorted after re-ordering the vocabulary)
    b = b.copy()
    b.sort_indices()
    assert a.has_sorted_indices
    assert np.array_equal(a.indices, b.indices) and np.array_equal(a.indptr, b.indptr)


def _inputs(docs, npartitions=4):
    """The same documents as each accepted input kind."""
    arr = np.array(docs, dtype=object)
    return {
        "list": docs,
        "bag": db.from_sequence(docs, npartitions=npartitions),
        "series": dd.from_pandas(pd.Series(docs), npartitions=npartitions),
        "array": da.from_array(arr, chunks=len(docs) // npartitions + 1),
    }


PARAMS = [
    {},
    {"analyzer": "char", "ngram_range": (2, 3)},
    {"analyzer": "char_wb", "ngram_range": (1, 4)},
    {"ngram_range": (1, 2), "binary": True},
    {"lowercase": False},
    {"stop_words": "english"},
    {"stop_words": ["the", "a", "on"]},
    {"token_pattern": r"(?u)\b\w+\b"},
    {"strip_accents": "unicode"},
]
COUNT_PARAMS = [
    {"min_df": 3},
    {"min_df": 0.05, "max_df": 0.5},
    {"max_df": 20},
    {"max_features": 7},
    {"max_features": 5, "binary": True, "ngram_range": (1, 2)},
    {"vocabulary": ["cat", "dog", "mat", "nothere"]},
    {"vocabulary": {"dog": 1, "cat": 0}},
    {"dtype": np.float32, "analyzer": "char", "max_features": 30},
]


@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize("kind", ["list", "bag", "series", "array"])
def test_hashing_vectorizer_equals_scikit_learn(params, kind):
    X = _inputs(DOCS)[kind]
    params = dict(params, n_features=2**12)
    out = HashingVectorizer(**params).fit_transform(X)
    expected = sktext.HashingVectorizer(**params).fit_transform(DOCS)
    if kind != "list":
        assert isinstance(out, da.Array) and isinstance(out._meta, sp.csr_matrix)
        assert out.shape[1] == 2**12 and len(out.chunks[1]) == 1
    _same(out, expected)


@pytest.mark.parametrize("params", PARAMS + COUNT_PARAMS)
@pytest.mark.parametrize("kind", ["list", "bag", "series", "array"])
def test_count_vectorizer_equals_scikit_learn(params, kind):
    X = _inputs(DOCS)[kind]
    cv = CountVectorizer(**params).fit(X)
    sk = sktext.CountVectorizer(**params)
    expected = sk.fit_transform(DOCS)
    assert cv.vocabulary_ == sk.vocabulary_
    assert cv.fixed_vocabulary_ == sk.fixed_vocabulary_
    assert np.array_equal(cv.get_feature_names_out(), sk.get_feature_names_out())
    _same(cv.transform(X), expected)


def test_max_features_ties_fall_as_scikit_learn():
    # many terms with equal totals: the choice among them must be scikit-learn's
    docs = [" ".join(f"w{i:03d}" for i in range(j, j + 40)) for j in range(0, 400, 40)]
    docs += ["w001 w002 w003"]
    for k in (1, 5, 50, 99):
        cv = CountVectorizer(max_features=k).fit(db.from_sequence(docs, npartitions=3))
        assert cv.vocabulary_ == sktext.CountVectorizer(max_features=k).fit(docs).vocabulary_


@pytest.mark.parametrize(
    "params", [{}, {"sublinear_tf": True, "norm": "l1"}, {"smooth_idf": False}, {"use_idf": False}]
)
@pytest.mark.parametrize(
    "more", [{}, {"max_features": 6, "min_df": 2}, {"vocabulary": ["cat", "dog", "red"]}]
)
def test_tfidf_vectorizer_equals_scikit_learn(params, more):
    X = _inputs(DOCS)["bag"]
    tv = TfidfVectorizer(**params, **more).fit(X)
    sk = sktext.TfidfVectorizer(**params, **more)
    expected = sk.fit_transform(DOCS)
    assert tv.vocabulary_ == sk.vocabulary_
    if sk.use_idf:
        np.testing.assert_array_equal(tv.idf_, sk.idf_)
    else:
        assert not hasattr(tv, "idf_")
    out = tv.transform(X).compute()
    assert out.dtype == expected.dtype and (abs(out - expected) > 1e-15).nnz == 0
    np.testing.assert_allclose(out.toarray(), expected.toarray(), rtol=0, atol=1e-15)


@pytest.mark.parametrize("params", [{}, {"smooth_idf": False, "sublinear_tf": True}, {"norm": None}])
def test_tfidf_transformer_on_csr_chunks(params):
    counts = sktext.CountVectorizer().fit_transform(DOCS)
    X = da.from_array(counts, chunks=(37, counts.shape[1]), asarray=False)
    with count_passes() as passes:
        tf = TfidfTransformer(**params).fit(X)
    assert passes.passes == 1
    sk = sktext.TfidfTransformer(**params).fit(counts)
    np.testing.assert_array_equal(tf.idf_, sk.idf_)
    assert tf.n_features_in_ == sk.n_features_in_
    out = tf.transform(X)
    assert isinstance(out._meta, sp.csr_matrix) and out.chunks == X.chunks
    expected = sk.transform(counts)
    np.testing.assert_allclose(out.compute().toarray(), expected.toarray(), rtol=0, atol=1e-15)
    # in-memory: scikit-learn's own
    np.testing.assert_array_equal(TfidfTransformer(**params).fit(counts).idf_, sk.idf_)


def test_one_pass_fit_and_lazy_transform():
    X = _inputs(DOCS)["series"]
    with count_passes() as passes:
        cv = CountVectorizer(min_df=2).fit(X)
        tv = TfidfVectorizer().fit(X)
    assert passes.passes == 2
    with count_passes() as passes:
        HashingVectorizer().fit(X)
        CountVectorizer(vocabulary=["cat"]).fit(X)
    assert passes.passes == 0

    calls = []

    def spy(s):
        calls.append(1)
        return s

    Xs = X.map_partitions(spy, meta=X._meta)
    calls.clear()
    outs = [cv.transform(Xs), tv.transform(Xs), HashingVectorizer().transform(Xs)]
    assert calls == [] and all(isinstance(o, da.Array) for o in outs)


def test_unknown_and_known_partition_lengths():
    s = dd.from_pandas(pd.Series(DOCS), npartitions=5)
    out = CountVectorizer().fit(s).transform(s)
    assert all(np.isnan(c) for c in out.chunks[0]) and out.chunks[1] == (out.shape[1],)
    out = out.compute_chunk_sizes()
    assert sum(out.chunks[0]) == len(DOCS)
    arr = da.from_array(np.array(DOCS, dtype=object), chunks=50)
    out = HashingVectorizer().transform(arr)
    assert out.chunks[0] == arr.chunks[0]
    assert [b.compute().shape[0] for b in out.blocks] == list(arr.chunks[0])


def test_chunking_invariance_and_unequal_nnz():
    outs, vocabs = [], []
    for n in (1, 3, 7, 24):
        X = db.from_sequence(DOCS, npartitions=n)
        cv = CountVectorizer(max_features=9, ngram_range=(1, 2)).fit(X)
        vocabs.append(cv.vocabulary_)
        outs.append(cv.transform(X).compute())
    assert all(v == vocabs[0] for v in vocabs)
    assert all((o != outs[0]).nnz == 0 for o in outs)
    blocks = CountVectorizer().fit_transform(db.from_sequence(DOCS, npartitions=6)).blocks
    nnz = {blocks[i].compute().nnz for i in range(6)}
    assert len(nnz) > 1


def test_empty_partitions():
    s = dd.from_pandas(pd.Series(DOCS[:10]), npartitions=2)
    s = s[s.str.len() > 1000]  # every partition empty
    s2 = dd.concat([dd.from_pandas(pd.Series(DOCS), npartitions=2), s])
    out = HashingVectorizer(n_features=64).transform(s2).compute()
    _same(out, sktext.HashingVectorizer(n_features=64).transform(DOCS))
    cv = CountVectorizer().fit(s2)
    assert cv.vocabulary_ == sktext.CountVectorizer().fit(DOCS).vocabulary_
    _same(cv.transform(s2), sktext.CountVectorizer().fit_transform(DOCS))


def test_under_each_scheduler(scheduler):
    X = db.from_sequence(DOCS, npartitions=4)
    cv = CountVectorizer(min_df=2).fit(X)
    assert cv.vocabulary_ == sktext.CountVectorizer(min_df=2).fit(DOCS).vocabulary_
    _same(cv.transform(X), sktext.CountVectorizer(min_df=2).fit_transform(DOCS))
    _same(HashingVectorizer().transform(X), sktext.HashingVectorizer().transform(DOCS))


def test_feature_hasher_equals_scikit_learn():
    rng = np.random.default_rng(1)
    dicts = [
        {f"f{rng.integers(30)}": float(rng.integers(1, 4)) for _ in range(rng.integers(1, 6))}
        for _ in range(200)
    ]
    sk = SkFeatureHasher(n_features=256)
    _same(
        FeatureHasher(n_features=256).transform(db.from_sequence(dicts, npartitions=3)), sk.transform(dicts)
    )
    _same(FeatureHasher(n_features=256).transform(dicts), sk.transform(dicts))
    pairs = [list(d.items()) for d in dicts]
    sk = SkFeatureHasher(n_features=64, input_type="pair", alternate_sign=False)
    got = FeatureHasher(n_features=64, input_type="pair", alternate_sign=False).transform(
        db.from_sequence(pairs, npartitions=4)
    )
    _same(got, sk.transform(pairs))
    strings = np.array([[f"c{j}={rng.integers(50)}" for j in range(5)] for _ in range(200)], dtype=object)
    X = da.from_array(strings, chunks=(64, 2))
    sk = SkFeatureHasher(n_features=2**10, input_type="string", dtype=np.float32)
    out = FeatureHasher(n_features=2**10, input_type="string", dtype=np.float32).transform(X)
    assert out.chunks[0] == X.chunks[0] and out.dtype == np.float32
    _same(out, sk.transform(strings))


def test_errors_as_scikit_learn():
    X = db.from_sequence(DOCS, npartitions=3)
    with pytest.raises(ValueError, match="max_df corresponds to < documents than min_df"):
        CountVectorizer(max_df=2, min_df=5).fit(X)
    with pytest.raises(ValueError, match="empty vocabulary; perhaps the documents only contain stop words"):
        CountVectorizer().fit(db.from_sequence(["a", "b", ""], npartitions=2))
    with pytest.raises(ValueError, match="After pruning, no terms remain"):
        sktext.CountVectorizer(min_df=239).fit(DOCS)
    with pytest.raises(ValueError, match="After pruning, no terms remain"):
        CountVectorizer(min_df=239).fit(X)
    with pytest.raises(ValueError, match="lower boundary larger than the upper boundary"):
        CountVectorizer(ngram_range=(2, 1)).fit(X)
    with pytest.raises(ValueError, match="lower boundary larger than the upper boundary"):
        HashingVectorizer(ngram_range=(2, 1)).transform(X)
    for est in (CountVectorizer(), HashingVectorizer(), TfidfVectorizer()):
        with pytest.raises(ValueError, match="Iterable over raw text documents expected"):
            est.fit_transform("one string")
    with pytest.raises(ValueError, match="The 'min_df' parameter"):
        CountVectorizer(min_df=-1).fit(X)
    with pytest.raises(ValueError, match="The 'norm' parameter"):
        HashingVectorizer(norm="l3").transform(X)
    with pytest.raises(ValueError, match="Vocabulary contains repeated indices"):
        CountVectorizer(vocabulary={"a": 0, "b": 0}).fit(X)
    with pytest.raises(ValueError, match="select its text column"):
        CountVectorizer().fit(dd.from_pandas(pd.DataFrame({"t": DOCS}), npartitions=2))
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        CountVectorizer().transform(X)
    with pytest.warns(UserWarning, match="Upper case characters found"):
        CountVectorizer(vocabulary=["Cat"]).fit(X)


def test_graph_shares_a_large_vocabulary():
    X = db.from_sequence(DOCS, npartitions=8)
    vocabulary = [f"term{i}" for i in range(150_000)] + ["cat", "dog"]
    out = CountVectorizer(vocabulary=vocabulary).fit(X).transform(X)
    graph = dict(out.__dask_graph__())
    # the fitted vectorizer (over 1 MiB pickled) is one key, not copied into every task
    assert sum(1 for v in graph.values() if "CountVectorizer" in repr(v)) == 1
    expected = sktext.CountVectorizer(vocabulary=vocabulary).fit_transform(DOCS)
    _same(out, expected)
    # a small one travels inside the tasks: the same graph less that key
    small = dict(CountVectorizer().fit(X).transform(X).__dask_graph__())
    assert len(small) == len(graph) - 1


@pytest.mark.parametrize("make", [HashingVectorizer, lambda: CountVectorizer().fit(DOCS)])
def test_output_chunks_are_the_partition_tasks(make):
    """One task per partition, whose key is the output chunk's: no ``from_delayed`` /
    ``concatenate`` aliases, which an unoptimised graph (as dml persists its inputs)
    would run as tasks of their own."""
    X = db.from_sequence(DOCS, npartitions=8)
    out = make().transform(X)
    graph = dict(out.__dask_graph__())
    assert len(graph) == len(dict(X.__dask_graph__())) + 8
    chunks = [k for (k,) in out.__dask_keys__()]
    assert all(k in graph and "transform_kernel" in repr(graph[k]) for k in chunks)
    expected = (sktext.HashingVectorizer() if make is HashingVectorizer else make()).transform(DOCS)
    _same(out, expected)

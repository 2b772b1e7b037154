"""Partition kernels of the text vectorizers and FeatureHasher.

Each kernel runs scikit-learn's own public vectorizer on one partition of documents, so
its output is scikit-learn's, column for column. Unlike the numeric kernels, these import
scikit-learn on the worker (when they first run; nothing at module import): the
tokenizers, analyzers and MurmurHash are scikit-learn's and are not re-implemented.
"""

from __future__ import annotations

import numpy as np

_EMPTY = "empty vocabulary; perhaps the documents only contain stop words"


def transform_kernel(docs, state):
    """``state["steps"]`` (fitted or stateless scikit-learn transformers) applied in turn
    to one partition: a CSR matrix of ``state["meta"]``'s class. An empty partition gives
    0 rows (scikit-learn's hashers refuse an empty sequence; a Dask partition may be
    empty)."""
    docs = _as_docs(docs)
    meta = state["meta"]
    if _n_rows(docs) == 0:
        return meta.copy()
    out = docs
    for step in state["steps"]:
        out = step.transform(out)
    if type(out) is not type(meta):
        out = type(meta)(out)
    return out


def fixed_vocabulary_frequency_kernel(docs, vectorizer, n):
    """Document frequencies (:func:`document_frequency_kernel`) of one partition's
    counts under a fixed vocabulary of ``n`` terms."""
    docs = _as_docs(docs)
    if len(docs) == 0:
        return {"df": np.zeros(n, np.int64), "n_samples": np.int64(0)}
    return document_frequency_kernel(vectorizer.transform(docs))


def _n_rows(docs):
    shape = getattr(docs, "shape", None)
    return shape[0] if shape is not None else len(docs)


def _as_docs(docs):
    # a partition of a Dask Series is a pandas Series, of a Bag a list, of an array an
    # ndarray: scikit-learn's vectorizers iterate any of them; iterators become lists
    return docs if hasattr(docs, "__len__") else list(docs)


def vocabulary_counts_kernel(docs, params):
    """Per-partition term statistics: ``{"terms", "df", "tf", "n_docs"}``: the sorted
    terms of the partition, their document frequencies and total counts (int64), and
    the number of documents. ``params`` are a CountVectorizer's analysis parameters."""
    from sklearn.feature_extraction.text import CountVectorizer

    docs = _as_docs(docs)
    n_docs = len(docs)
    counter = CountVectorizer(**params, min_df=1, max_df=1.0, max_features=None, vocabulary=None)
    try:
        X = counter.fit_transform(docs)
    except ValueError as e:
        if _EMPTY not in str(e):
            raise
        return _empty_counts(n_docs)
    terms = np.empty(len(counter.vocabulary_), dtype=object)
    for term, j in counter.vocabulary_.items():
        terms[j] = term
    df = np.bincount(X.indices, minlength=X.shape[1]).astype(np.int64)
    tf = np.asarray(X.sum(axis=0), dtype=np.int64).ravel()
    return {"terms": terms, "df": df, "tf": tf, "n_docs": n_docs}


def _empty_counts(n_docs):
    return {
        "terms": np.empty(0, dtype=object),
        "df": np.zeros(0, np.int64),
        "tf": np.zeros(0, np.int64),
        "n_docs": n_docs,
    }


def combine_vocabulary_counts(parts):
    """Union of per-partition term statistics: terms sorted (Python's string order, as
    scikit-learn sorts its vocabulary), document frequencies and counts added."""
    parts = list(parts)
    n_docs = sum(p["n_docs"] for p in parts)
    terms = np.concatenate([p["terms"] for p in parts])
    if terms.size == 0:
        return _empty_counts(n_docs)
    unique, inverse = np.unique(terms, return_inverse=True)
    df = np.bincount(inverse, weights=np.concatenate([p["df"] for p in parts]), minlength=unique.size)
    tf = np.bincount(inverse, weights=np.concatenate([p["tf"] for p in parts]), minlength=unique.size)
    return {"terms": unique, "df": df.astype(np.int64), "tf": tf.astype(np.int64), "n_docs": n_docs}


def document_frequency_kernel(X):
    """``{"df", "n_samples"}`` of one chunk of a count matrix (CSR / other sparse, or
    dense): non-zero entries per column, as scikit-learn's ``_document_frequency``."""
    if getattr(X, "format", None) == "csr":  # stored entries, as scikit-learn counts them
        df = np.bincount(X.indices, minlength=X.shape[1])
    elif hasattr(X, "tocsc"):
        df = np.diff(X.tocsc().indptr)
    else:
        df = np.count_nonzero(np.asarray(X), axis=0)
    return {"df": df.astype(np.int64), "n_samples": np.int64(X.shape[0])}


def combine_document_frequencies(parts):
    """Sum of :func:`document_frequency_kernel` partials."""
    parts = list(parts)
    return {
        "df": np.sum([p["df"] for p in parts], axis=0),
        "n_samples": np.int64(sum(int(p["n_samples"]) for p in parts)),
    }


class NoCopyTfidf:
    """A fitted scikit-learn TfidfTransformer as a step working on the counts in place
    (``copy=False``, as scikit-learn's TfidfVectorizer.transform)."""

    def __init__(self, tfidf):
        self.tfidf = tfidf

    def transform(self, X):
        """``tfidf.transform(X, copy=False)``."""
        return self.tfidf.transform(X, copy=False)

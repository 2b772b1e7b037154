"""Text vectorizers over partitions of documents (scikit-learn's output, column for column).

Every partition is vectorized by scikit-learn's own public vectorizer (see
:mod:`dml.feature_extraction._text_kernels`); what dml adds is the distribution: a
CountVectorizer's vocabulary is the tree-reduced union of per-partition term counts (one
pass), scikit-learn's ``min_df`` / ``max_df`` / ``max_features`` rules are applied to the
merged counts, and transforms are lazy blockwise maps giving Dask arrays of CSR chunks.
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral
from operator import itemgetter

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer as _SkCountVectorizer
from sklearn.feature_extraction.text import HashingVectorizer as _SkHashingVectorizer
from sklearn.feature_extraction.text import TfidfTransformer as _SkTfidfTransformer
from sklearn.utils.validation import check_is_fitted

from dml._base import check_params
from dml._compat.sklearn import HasMethods, Interval, RealNotInt, StrOptions
from dml._engine.inputs import validate_blockwise_data, validate_predict_data
from dml._engine.namespace import is_dask_collection
from dml.feature_extraction._docs import as_partitions, csr_blocks, reduce_partitions
from dml.feature_extraction._text_kernels import (
    NoCopyTfidf,
    combine_document_frequencies,
    combine_vocabulary_counts,
    document_frequency_kernel,
    fixed_vocabulary_frequency_kernel,
    transform_kernel,
    vocabulary_counts_kernel,
)

_STRING_INPUT = "Iterable over raw text documents expected, string object received."

_ANALYSIS = {
    "input": [StrOptions({"filename", "file", "content"})],
    "encoding": [str],
    "decode_error": [StrOptions({"strict", "ignore", "replace"})],
    "strip_accents": [StrOptions({"ascii", "unicode"}), None, callable],
    "lowercase": ["boolean"],
    "preprocessor": [callable, None],
    "tokenizer": [callable, None],
    "stop_words": [StrOptions({"english"}), list, None],
    "token_pattern": [str, None],
    "ngram_range": [tuple],
    "analyzer": [StrOptions({"word", "char", "char_wb"}), callable],
}
_ANALYSIS_NAMES = tuple(_ANALYSIS)
_TFIDF = {
    "norm": [StrOptions({"l1", "l2"}), None],
    "use_idf": ["boolean"],
    "smooth_idf": ["boolean"],
    "sublinear_tf": ["boolean"],
}


def _sparse_meta(n_features, dtype):
    """An empty CSR matrix of scikit-learn's sparse interface (``sparse_interface``)."""
    import sklearn

    cls = sp.csr_array if sklearn.get_config().get("sparse_interface") == "sparray" else sp.csr_matrix
    return cls((0, n_features), dtype=dtype)


def _check_documents(X):
    if isinstance(X, str):
        raise ValueError(_STRING_INPUT)


def _check_ngram_range(ngram_range):
    low, high = ngram_range
    if low > high:
        raise ValueError(
            f"Invalid value for ngram_range={ngram_range} lower boundary larger than the upper boundary."
        )


def _vectorize(steps, X, n_features, dtype):
    """Blockwise ``steps`` over the documents X: Dask in, lazy Dask array of CSR chunks
    out; in-memory in, scikit-learn's own result."""
    docs = as_partitions(X)
    if not docs.lazy:
        out = X
        for step in steps:
            out = step.transform(out)
        return out
    meta = _sparse_meta(n_features, dtype)
    return csr_blocks(
        transform_kernel, docs, {"steps": list(steps), "meta": meta}, n_features=n_features, meta=meta
    )


class HashingVectorizer(TransformerMixin, BaseEstimator):
    """Convert a collection of text documents to a matrix of token occurrences (hashed).

    scikit-learn's :class:`sklearn.feature_extraction.text.HashingVectorizer` over
    partitions of documents: stateless, every partition hashed where it lives by
    scikit-learn's own vectorizer, so the output equals scikit-learn's column for column.

    Parameters
    ----------
    input : {'filename', 'file', 'content'}, default='content'
    encoding : str, default='utf-8'
    decode_error : {'strict', 'ignore', 'replace'}, default='strict'
    strip_accents : {'ascii', 'unicode'} or callable, default=None
    lowercase : bool, default=True
    preprocessor : callable, default=None
    tokenizer : callable, default=None
    stop_words : {'english'}, list, default=None
    token_pattern : str or None, default=r"(?u)\\b\\w\\w+\\b"
    ngram_range : tuple (min_n, max_n), default=(1, 1)
    analyzer : {'word', 'char', 'char_wb'} or callable, default='word'
    n_features : int, default=2**20
        Number of columns of the output.
    binary : bool, default=False
    norm : {'l1', 'l2'}, default='l2'
    alternate_sign : bool, default=True
    dtype : type, default=np.float64
        All as scikit-learn's.

    Attributes
    ----------
    None : the vectorizer is stateless (``fit`` validates the parameters only).

    Notes
    -----
    Computation: ``fit`` reads nothing. ``transform`` of a Dask Series, Bag or 1-D Dask
    array of objects is lazy: one task per partition hashes it (a task holds one
    partition and its CSR output, and is itself the output chunk: no alias tasks),
    giving a Dask array of CSR chunks of ``n_features`` columns, one column block, with the input's row chunks (``nan`` lengths for Series
    and Bags, whose partition lengths Dask does not know: ``compute_chunk_sizes()``
    reads them). In-memory documents give scikit-learn's in-memory CSR matrix. The
    tasks import scikit-learn (its tokenizers and hash function are used, not copied).

    Examples
    --------
    >>> import dask.bag as db
    >>> from dml.feature_extraction.text import HashingVectorizer
    >>> docs = db.from_sequence(["the cat sat", "the dog ran", "a cat ran"], npartitions=2)
    >>> X = HashingVectorizer(n_features=16).transform(docs)
    >>> X.shape[1], type(X._meta).__name__
    (16, 'csr_matrix')
    >>> X.compute().shape
    (3, 16)
    """

    _parameter_constraints = {
        **_ANALYSIS,
        "n_features": [Interval(Integral, 1, np.iinfo(np.int32).max, closed="left")],
        "binary": ["boolean"],
        "norm": [StrOptions({"l1", "l2"}), None],
        "alternate_sign": ["boolean"],
        "dtype": "no_validation",
    }

    def __init__(
        self,
        *,
        input="content",
        encoding="utf-8",
        decode_error="strict",
        strip_accents=None,
        lowercase=True,
        preprocessor=None,
        tokenizer=None,
        stop_words=None,
        token_pattern=r"(?u)\b\w\w+\b",
        ngram_range=(1, 1),
        analyzer="word",
        n_features=(2**20),
        binary=False,
        norm="l2",
        alternate_sign=True,
        dtype=np.float64,
    ):
        self.input = input
        self.encoding = encoding
        self.decode_error = decode_error
        self.strip_accents = strip_accents
        self.preprocessor = preprocessor
        self.tokenizer = tokenizer
        self.analyzer = analyzer
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.stop_words = stop_words
        self.n_features = n_features
        self.ngram_range = ngram_range
        self.binary = binary
        self.norm = norm
        self.alternate_sign = alternate_sign
        self.dtype = dtype

    def _scikit_learn(self):
        check_params(self)
        sk = _SkHashingVectorizer(**self.get_params())
        sk.fit([])  # scikit-learn's checks and warnings; reads no document
        return sk

    def fit(self, X, y=None):
        """Validate the parameters (the vectorizer is stateless).

        Parameters
        ----------
        X : Dask Series / Bag / array of str, or iterable of str
            Not read.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        _check_documents(X)
        self._scikit_learn()
        return self

    def partial_fit(self, X, y=None):
        """Validate the parameters (stateless: nothing to learn).

        Parameters
        ----------
        X : Dask Series / Bag / array of str, or iterable of str
            Not read.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        return self.fit(X, y)

    def transform(self, X):
        """Hash the documents X into a matrix of token occurrences.

        Parameters
        ----------
        X : Dask Series / Bag / 1-D Dask array of str, or iterable of str

        Returns
        -------
        X : Dask array of CSR chunks, or scipy.sparse matrix, shape (n_samples, n_features)
            Lazy for Dask input (nothing computed).
        """
        _check_documents(X)
        sk = self._scikit_learn()
        return _vectorize([sk], X, self.n_features, self.dtype)

    def fit_transform(self, X, y=None):
        """``fit(X).transform(X)``.

        Parameters
        ----------
        X : Dask Series / Bag / 1-D Dask array of str, or iterable of str
        y : None
            Ignored.

        Returns
        -------
        X : Dask array of CSR chunks, or scipy.sparse matrix
        """
        return self.fit(X, y).transform(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags


class CountVectorizer(TransformerMixin, BaseEstimator):
    """Convert a collection of text documents to a matrix of token counts.

    scikit-learn's :class:`sklearn.feature_extraction.text.CountVectorizer` over
    partitions of documents. ``fit`` counts, in one pass, every partition's terms with
    their document frequencies and totals (scikit-learn's own analyzer on each
    partition); the counts are merged in a tree on the workers into the sorted
    vocabulary, and ``min_df``, ``max_df`` and ``max_features`` are applied to the merged
    counts by scikit-learn's rules (ties of ``max_features`` broken as scikit-learn
    breaks them). ``vocabulary_`` and the transformed matrices equal scikit-learn's.

    Parameters
    ----------
    input : {'filename', 'file', 'content'}, default='content'
    encoding : str, default='utf-8'
    decode_error : {'strict', 'ignore', 'replace'}, default='strict'
    strip_accents : {'ascii', 'unicode'} or callable, default=None
    lowercase : bool, default=True
    preprocessor : callable, default=None
    tokenizer : callable, default=None
    stop_words : {'english'}, list, default=None
    token_pattern : str or None, default=r"(?u)\\b\\w\\w+\\b"
    ngram_range : tuple (min_n, max_n), default=(1, 1)
    analyzer : {'word', 'char', 'char_wb'} or callable, default='word'
    max_df : float in [0.0, 1.0] or int, default=1.0
    min_df : float in [0.0, 1.0] or int, default=1
    max_features : int, default=None
    vocabulary : Mapping or iterable, default=None
        A fixed vocabulary: ``fit`` then reads no document.
    binary : bool, default=False
    dtype : dtype, default=np.int64
        All as scikit-learn's.

    Attributes
    ----------
    vocabulary_ : dict
        Terms to column indices.
    fixed_vocabulary_ : bool
        True when ``vocabulary`` was given.

    Notes
    -----
    Computation: ``fit`` makes one pass over the documents (none with a fixed
    ``vocabulary``): a task per partition returns its distinct terms with two int64
    counts each, merged in a tree of ``split_every``; memory per task is one partition
    and its terms (the merges hold the union of their inputs' terms; the vocabulary comes
    back to the caller). ``transform`` is lazy for Dask input: a task per partition
    counts it against the vocabulary (one key of the graph, shared by the tasks), giving
    a Dask array of CSR chunks with ``len(vocabulary_)`` columns (row lengths ``nan``
    for Series and Bags). ``fit_transform`` is ``fit`` then a lazy ``transform`` (so
    computing its result reads the documents a second time). Tasks import scikit-learn.

    Examples
    --------
    >>> import dask.bag as db
    >>> from dml.feature_extraction.text import CountVectorizer
    >>> docs = db.from_sequence(["the cat sat", "the dog ran", "a cat ran"], npartitions=2)
    >>> cv = CountVectorizer().fit(docs)
    >>> cv.get_feature_names_out().tolist()
    ['cat', 'dog', 'ran', 'sat', 'the']
    >>> cv.transform(docs).compute().toarray()
    array([[1, 0, 0, 1, 1],
           [0, 1, 1, 0, 1],
           [1, 0, 1, 0, 0]])
    """

    _parameter_constraints = {
        **_ANALYSIS,
        "max_df": [Interval(RealNotInt, 0, 1, closed="both"), Interval(Integral, 1, None, closed="left")],
        "min_df": [Interval(RealNotInt, 0, 1, closed="both"), Interval(Integral, 1, None, closed="left")],
        "max_features": [Interval(Integral, 1, None, closed="left"), None],
        "vocabulary": [Mapping, HasMethods("__iter__"), None],
        "binary": ["boolean"],
        "dtype": "no_validation",
    }

    def __init__(
        self,
        *,
        input="content",
        encoding="utf-8",
        decode_error="strict",
        strip_accents=None,
        lowercase=True,
        preprocessor=None,
        tokenizer=None,
        stop_words=None,
        token_pattern=r"(?u)\b\w\w+\b",
        ngram_range=(1, 1),
        analyzer="word",
        max_df=1.0,
        min_df=1,
        max_features=None,
        vocabulary=None,
        binary=False,
        dtype=np.int64,
    ):
        self.input = input
        self.encoding = encoding
        self.decode_error = decode_error
        self.strip_accents = strip_accents
        self.preprocessor = preprocessor
        self.tokenizer = tokenizer
        self.analyzer = analyzer
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.stop_words = stop_words
        self.max_df = max_df
        self.min_df = min_df
        self.max_features = max_features
        self.ngram_range = ngram_range
        self.vocabulary = vocabulary
        self.binary = binary
        self.dtype = dtype

    def _count_params(self):
        """The parameters of the scikit-learn CountVectorizer a partition is counted by."""
        names = (*_ANALYSIS_NAMES, "binary", "dtype")
        return {k: getattr(self, k) for k in names}

    def _fit_vocabulary(self, X):
        """Fit ``vocabulary_``; returns the merged counts (``None`` for a fixed vocabulary)."""
        check_params(self)
        _check_documents(X)
        docs = as_partitions(X)
        if self.vocabulary is not None:
            sk = _SkCountVectorizer(**self._count_params(), vocabulary=self.vocabulary)
            sk.fit([])  # scikit-learn's vocabulary checks and warnings, no document read
            self.vocabulary_ = sk.vocabulary_
            self.fixed_vocabulary_ = True
            return docs, None
        _check_ngram_range(self.ngram_range)
        params = {k: v for k, v in self._count_params().items() if k != "binary"}
        counts = reduce_partitions(vocabulary_counts_kernel, combine_vocabulary_counts, docs, params)
        if counts["terms"].size == 0:
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        n_doc = counts["n_docs"]
        max_doc_count = self.max_df if isinstance(self.max_df, Integral) else self.max_df * n_doc
        min_doc_count = self.min_df if isinstance(self.min_df, Integral) else self.min_df * n_doc
        if max_doc_count < min_doc_count:
            raise ValueError("max_df corresponds to < documents than min_df")
        kept = self._limit_terms(counts, max_doc_count, min_doc_count)
        self.vocabulary_ = {counts["terms"][j]: i for i, j in enumerate(kept)}
        self.fixed_vocabulary_ = False
        counts["kept"] = kept
        return docs, counts

    def _limit_terms(self, counts, high, low):
        """Indices of the sorted terms kept: scikit-learn's ``_limit_features`` on the
        merged document frequencies and totals (the same arrays in the same order, so
        ``max_features`` ties fall the same way)."""
        dfs = counts["df"]
        # totals as scikit-learn sums its count matrix: X.sum(axis=0) in its dtype
        sum_dtype = sp.csr_matrix((1, 1), dtype=self.dtype).sum(axis=0).dtype
        tfs = (dfs if self.binary else counts["tf"]).astype(sum_dtype)
        mask = np.ones(len(dfs), dtype=bool)
        mask &= dfs <= high
        mask &= dfs >= low
        limit = self.max_features
        if limit is not None and mask.sum() > limit:
            mask_inds = (-tfs[mask]).argsort()[:limit]
            new_mask = np.zeros(len(dfs), dtype=bool)
            new_mask[np.where(mask)[0][mask_inds]] = True
            mask = new_mask
        kept = np.where(mask)[0]
        if len(kept) == 0:
            raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
        return kept

    def _counter(self):
        """scikit-learn's CountVectorizer with the fitted vocabulary (counts one partition)."""
        return _SkCountVectorizer(**self._count_params(), vocabulary=self.vocabulary_)

    def fit(self, X, y=None):
        """Learn the vocabulary of the documents X (one pass).

        Parameters
        ----------
        X : Dask Series / Bag / 1-D Dask array of str, or iterable of str
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self._fit_vocabulary(X)
        return self

    def transform(self, X):
        """Count the vocabulary's terms in the documents X.

        Parameters
        ----------
        X : Dask Series / Bag / 1-D Dask array of str, or iterable of str

        Returns
        -------
        X : Dask array of CSR chunks, or scipy.sparse matrix, shape (n_samples, n_terms)
            Lazy for Dask input (nothing computed).
        """
        _check_documents(X)
        check_is_fitted(self, "vocabulary_")
        return _vectorize([self._counter()], X, len(self.vocabulary_), self.dtype)

    def fit_transform(self, X, y=None):
        """``fit(X).transform(X)``: one pass for the vocabulary, a lazy transform.

        Parameters
        ----------
        X : Dask Series / Bag / 1-D Dask array of str, or iterable of str
        y : None
            Ignored.

        Returns
        -------
        X : Dask array of CSR chunks, or scipy.sparse matrix
        """
        return self.fit(X, y).transform(X)

    def inverse_transform(self, X):
        """The terms with non-zero entries in each row of X (in-memory X).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)

        Returns
        -------
        X_original : list of arrays of shape (n_samples,)
        """
        check_is_fitted(self, "vocabulary_")
        if is_dask_collection(X):
            X = X.compute()
        return self._counter().inverse_transform(X)

    def get_feature_names_out(self, input_features=None):
        """The vocabulary's terms in column order.

        Parameters
        ----------
        input_features : array-like of str or None
            Ignored (as scikit-learn's).

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "vocabulary_")
        return np.asarray([t for t, i in sorted(self.vocabulary_.items(), key=itemgetter(1))], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags


def _idf(df, n_samples, dtype, smooth_idf):
    """scikit-learn's ``TfidfTransformer.fit`` arithmetic, on merged frequencies."""
    df = df.astype(dtype, copy=False)
    df += float(smooth_idf)
    n_samples += int(smooth_idf)
    idf = np.full_like(df, fill_value=n_samples, dtype=dtype)
    idf /= df
    np.log(idf, out=idf)
    idf += 1.0
    return idf


def _fitted_tfidf(params, idf, n_features):
    """scikit-learn's TfidfTransformer holding dml's ``idf_`` (transforms partitions)."""
    sk = _SkTfidfTransformer(**params)
    if idf is not None:
        sk.idf_ = idf
    sk.n_features_in_ = n_features
    return sk


class TfidfTransformer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Transform a count matrix to a normalized tf or tf-idf representation.

    scikit-learn's :class:`sklearn.feature_extraction.text.TfidfTransformer` on a Dask
    array of (CSR or dense) chunks: document frequencies in one pass, ``idf_`` by
    scikit-learn's formula (``smooth_idf``), and a lazy blockwise transform
    (``sublinear_tf``, ``norm``) by scikit-learn's own transformer per chunk.

    Parameters
    ----------
    norm : {'l1', 'l2'} or None, default='l2'
    use_idf : bool, default=True
    smooth_idf : bool, default=True
    sublinear_tf : bool, default=False
        All as scikit-learn's.

    Attributes
    ----------
    idf_ : ndarray of shape (n_features,)
        Inverse document frequencies (when ``use_idf``).
    n_features_in_ : int

    Notes
    -----
    Computation: ``fit`` on a Dask array makes one pass (a task per row chunk returns its
    per-column document frequencies, O(n_features), summed in a tree); in-memory input
    is fitted by scikit-learn directly. ``transform`` of a Dask array is lazy: a task per
    chunk, CSR chunks out (row chunks as the input's). Tasks import scikit-learn.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from dml.feature_extraction.text import TfidfTransformer
    >>> counts = np.array([[3, 0, 1], [2, 0, 0], [3, 0, 0], [4, 0, 0]])
    >>> X = da.from_array(sp.csr_matrix(counts), chunks=(2, 3), asarray=False)
    >>> tf = TfidfTransformer().fit(X)
    >>> tf.idf_.round(3).tolist()
    [1.0, 2.609, 1.916]
    >>> tf.transform(X).compute().shape
    (4, 3)
    """

    _parameter_constraints = dict(_TFIDF)

    def __init__(self, *, norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=False):
        self.norm = norm
        self.use_idf = use_idf
        self.smooth_idf = smooth_idf
        self.sublinear_tf = sublinear_tf

    def fit(self, X, y=None):
        """Learn the idf vector (one pass over Dask X).

        Parameters
        ----------
        X : Dask array (CSR or dense chunks) or array-like / sparse matrix, shape (n_samples, n_features)
            Term counts.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        check_params(self)
        if not is_dask_collection(X):
            sk = _SkTfidfTransformer(**self.get_params()).fit(X)
            self.n_features_in_ = sk.n_features_in_
            if self.use_idf:
                self.idf_ = sk.idf_
            return self
        # the engine's metadata-only checks (shape, dtype, feature names; a Dask
        # DataFrame becomes its Dask array of row chunks)
        X = validate_blockwise_data(self, X, reset=True, accept_sparse="csr")
        if self.use_idf:
            dtype = X.dtype if X.dtype in (np.float64, np.float32) else np.float64
            freq = reduce_partitions(
                document_frequency_kernel, combine_document_frequencies, as_partitions(X, two_d=True)
            )
            self.idf_ = _idf(freq["df"], int(freq["n_samples"]), dtype, self.smooth_idf)
        return self

    def transform(self, X, copy=True):
        """Transform a count matrix to tf or tf-idf.

        Parameters
        ----------
        X : Dask array (CSR or dense chunks) or sparse matrix, shape (n_samples, n_features)
        copy : bool, default=True
            As scikit-learn's (Dask chunks are never modified in place).

        Returns
        -------
        X : Dask array of CSR chunks, or scipy.sparse matrix
        """
        check_is_fitted(self, "n_features_in_")
        sk = _fitted_tfidf(self.get_params(), getattr(self, "idf_", None), self.n_features_in_)
        if not is_dask_collection(X):
            return sk.transform(X, copy=copy)
        X = validate_predict_data(self, X, accept_sparse="csr")
        if len(X.chunks[1]) > 1:
            X = X.rechunk({1: -1})
        dtype = X.dtype if X.dtype in (np.float64, np.float32) else np.float64
        meta = _sparse_meta(self.n_features_in_, dtype)
        state = {"steps": [sk], "meta": meta}
        return X.map_blocks(transform_kernel, state, dtype=dtype, meta=meta, chunks=X.chunks)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class TfidfVectorizer(CountVectorizer):
    """Convert a collection of raw documents to a matrix of TF-IDF features.

    scikit-learn's :class:`sklearn.feature_extraction.text.TfidfVectorizer` over
    partitions of documents: :class:`CountVectorizer`'s one-pass vocabulary, whose merged
    document frequencies give ``idf_`` in the same pass, then a lazy blockwise transform
    (counts then tf-idf by scikit-learn's own vectorizers per partition).

    Parameters
    ----------
    input, encoding, decode_error, strip_accents, lowercase, preprocessor, tokenizer, \
analyzer, stop_words, token_pattern, ngram_range, max_df, min_df, max_features, \
vocabulary, binary
        As :class:`CountVectorizer`.
    dtype : dtype, default=np.float64
    norm : {'l1', 'l2'} or None, default='l2'
    use_idf : bool, default=True
    smooth_idf : bool, default=True
    sublinear_tf : bool, default=False
        All as scikit-learn's.

    Attributes
    ----------
    vocabulary_ : dict
    fixed_vocabulary_ : bool
    idf_ : ndarray of shape (n_features,)
        When ``use_idf``.

    Notes
    -----
    Computation: ``fit`` makes one pass (the vocabulary's; with a fixed ``vocabulary``,
    one pass counting document frequencies, none when ``use_idf=False``); ``transform``
    is lazy for Dask input, a task per partition, CSR chunks out. Tasks import
    scikit-learn.

    Examples
    --------
    >>> import dask.bag as db
    >>> from dml.feature_extraction.text import TfidfVectorizer
    >>> docs = db.from_sequence(["the cat sat", "the dog ran", "a cat ran"], npartitions=2)
    >>> tv = TfidfVectorizer().fit(docs)
    >>> tv.idf_.round(3).tolist()
    [1.288, 1.693, 1.288, 1.693, 1.288]
    >>> tv.transform(docs).compute().shape
    (3, 5)
    """

    _parameter_constraints = {**CountVectorizer._parameter_constraints, **_TFIDF}

    def __init__(
        self,
        *,
        input="content",
        encoding="utf-8",
        decode_error="strict",
        strip_accents=None,
        lowercase=True,
        preprocessor=None,
        tokenizer=None,
        analyzer="word",
        stop_words=None,
        token_pattern=r"(?u)\b\w\w+\b",
        ngram_range=(1, 1),
        max_df=1.0,
        min_df=1,
        max_features=None,
        vocabulary=None,
        binary=False,
        dtype=np.float64,
        norm="l2",
        use_idf=True,
        smooth_idf=True,
        sublinear_tf=False,
    ):
        super().__init__(
            input=input,
            encoding=encoding,
            decode_error=decode_error,
            strip_accents=strip_accents,
            lowercase=lowercase,
            preprocessor=preprocessor,
            tokenizer=tokenizer,
            analyzer=analyzer,
            stop_words=stop_words,
            token_pattern=token_pattern,
            ngram_range=ngram_range,
            max_df=max_df,
            min_df=min_df,
            max_features=max_features,
            vocabulary=vocabulary,
            binary=binary,
            dtype=dtype,
        )
        self.norm = norm
        self.use_idf = use_idf
        self.smooth_idf = smooth_idf
        self.sublinear_tf = sublinear_tf

    def _tfidf_params(self):
        return {k: getattr(self, k) for k in _TFIDF}

    def _float_dtype(self):
        dtype = np.dtype(self.dtype)
        if dtype not in (np.float64, np.float32, np.float16):
            import warnings

            warnings.warn(
                f"Only (<class 'numpy.float64'>, <class 'numpy.float32'>, <class 'numpy.float16'>) "
                f"'dtype' should be used. {self.dtype} 'dtype' will be converted to np.float64.",
                UserWarning,
            )
            return np.dtype(np.float64)
        return dtype if dtype in (np.float64, np.float32) else np.dtype(np.float64)

    def fit(self, X, y=None):
        """Learn the vocabulary and idf of the documents X (one pass).

        Parameters
        ----------
        X : Dask Series / Bag / 1-D Dask array of str, or iterable of str
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        dtype = self._float_dtype()
        docs, counts = self._fit_vocabulary(X)
        n = len(self.vocabulary_)
        if hasattr(self, "idf_"):
            del self.idf_
        if not self.use_idf:
            return self
        if counts is not None:
            df, n_samples = counts["df"][counts["kept"]], counts["n_docs"]
        else:
            freq = reduce_partitions(
                fixed_vocabulary_frequency_kernel, combine_document_frequencies, docs, self._counter(), n
            )
            df, n_samples = freq["df"], int(freq["n_samples"])
        self.idf_ = _idf(np.asarray(df), n_samples, dtype, self.smooth_idf)
        return self

    def transform(self, X):
        """Tf-idf of the documents X.

        Parameters
        ----------
        X : Dask Series / Bag / 1-D Dask array of str, or iterable of str

        Returns
        -------
        X : Dask array of CSR chunks, or scipy.sparse matrix, shape (n_samples, n_terms)
            Lazy for Dask input (nothing computed).
        """
        _check_documents(X)
        check_is_fitted(self, "vocabulary_", msg="The TF-IDF vectorizer is not fitted")
        n = len(self.vocabulary_)
        tfidf = _fitted_tfidf(self._tfidf_params(), getattr(self, "idf_", None), n)
        return _vectorize([self._counter(), NoCopyTfidf(tfidf)], X, n, self._float_dtype())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags._skip_test = True
        return tags

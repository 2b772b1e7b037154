"""Tasks of the adaptive searches: hold-out split of each block, train-and-score steps.

Pure functions (they never mutate their inputs on the cluster), so ``distributed`` can
recompute any of them from its lineage when a worker is lost.
"""

from __future__ import annotations

import copy
import time

import numpy as np


def _take(a, idx):
    if hasattr(a, "iloc"):
        return a.iloc[idx]
    return a[idx]


def _concat(parts):
    if hasattr(parts[0], "iloc"):
        import pandas as pd  # DataFrame blocks only: a worker with NumPy blocks skips it

        return pd.concat(parts)
    return np.concatenate(parts)


def split_block(X, y, seed, test_size):
    """Split one block into train / test rows (a seeded random ``test_size`` fraction)."""
    n = X.shape[0]
    rng = np.random.default_rng(seed)
    n_test = int(round(test_size * n))
    perm = rng.permutation(n)
    test, train = np.sort(perm[:n_test]), np.sort(perm[n_test:])
    return {
        "X_train": _take(X, train),
        "y_train": None if y is None else _take(y, train),
        "X_test": _take(X, test),
        "y_test": None if y is None else _take(y, test),
    }


def concat_test(*splits):
    """The hold-out set: the test rows of every block, concatenated."""
    X = _concat([s["X_test"] for s in splits])
    y = None if splits[0]["y_test"] is None else _concat([s["y_test"] for s in splits])
    return X, y


def _train_data(blocks):
    X = _concat([b["X_train"] for b in blocks])
    y = None if blocks[0]["y_train"] is None else _concat([b["y_train"] for b in blocks])
    return X, y


def _one_call(model, k, blocks, n_blocks, fit_params, warm_start):
    """Call number ``k`` (1-based) on ``model``: one partial_fit, or one warm-started fit."""
    if warm_start is None:
        b = blocks[(k - 1) % n_blocks]
        if b["y_train"] is None:
            model.partial_fit(b["X_train"], **fit_params)
        else:
            model.partial_fit(b["X_train"], b["y_train"], **fit_params)
        return
    param, step, cumulative = warm_start
    model.set_params(**{param: step * k if cumulative else step})
    X, y = _train_data([blocks[i] for i in sorted(blocks)])
    if y is None:
        model.fit(X, **fit_params)
    else:
        model.fit(X, y, **fit_params)


def train_and_score(
    model,
    calls_done,
    target_calls,
    test,
    blocks,
    n_blocks,
    *,
    fit_params,
    warm_start,
    scorer,
    patience,
    tol,
    scores_so_far,
    copy_model,
):
    """Advance ``model`` from ``calls_done`` to ``target_calls`` calls, then score it.

    ``blocks`` maps block index to its train / test split (only the blocks these calls
    read); call ``k`` reads block ``(k - 1) % n_blocks``.

    With ``patience``, the model is scored after every call and stops early when its
    score has not improved by more than ``tol`` over the last ``patience`` calls.

    Returns ``(model, info)`` with ``info`` a dict: ``calls``, ``score``,
    ``partial_fit_time``, ``score_time``, ``stopped`` and ``scores`` (per-call scores when
    patience is on).
    """
    if copy_model:
        model = copy.deepcopy(model)
    X_test, y_test = test
    fit_time = score_time = 0.0
    scores = list(scores_so_far)
    stopped = False
    k = calls_done
    score = scores[-1] if scores else None

    def do_score():
        t = time.perf_counter()
        s = scorer(model, X_test) if y_test is None else scorer(model, X_test, y_test)
        return float(s), time.perf_counter() - t

    while k < target_calls:
        k += 1
        t = time.perf_counter()
        _one_call(model, k, blocks, n_blocks, fit_params, warm_start)
        fit_time += time.perf_counter() - t
        if patience:
            score, dt = do_score()
            score_time += dt
            scores.append(score)
            if tol is not None and len(scores) > patience:  # tol=None: never a plateau
                before = max(scores[:-patience])
                if max(scores[-patience:]) <= before + tol:
                    stopped = True
                    break
    if not patience or k == calls_done:
        score, score_time = do_score()
        if not patience:
            scores = []
    info = {
        "calls": k,
        "score": score,
        "partial_fit_time": fit_time,
        "score_time": score_time,
        "stopped": stopped,
        "scores": scores,
    }
    return model, info

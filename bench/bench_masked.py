"""Benchmark: rating prediction on MovieLens-100k's predefined splits u1..u5.

RMSE on each split's test set, the mean, and the mean fit time, for
- the baselines: the global mean, regularised user and movie biases;
- scikit-learn's NMF on the zero-filled matrix (the naive approach);
- the masked NMF of nmf_helpers (non-negative factors fitted to the observed
  ratings only, with biases around them), coordinate descent;
- Surprise's NMF, SVD and SVD++ with their defaults, run in the same process
  when scikit-surprise is installed (pip install scikit-surprise).

    python bench/bench_masked.py [--splits u1 u2 u3 u4 u5] [--no-peers]
"""

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning

from nmf_helpers import (
    bias_predictions,
    global_mean_predictions,
    load_movielens,
    load_split,
    non_negative_masked,
    rmse,
    sparse_rating_matrix,
)


def _masked(n_components):
    def fit_predict(train, test, users, movies):
        X, _, _ = sparse_rating_matrix(train, users=users, movies=movies)
        start = time.perf_counter()
        model = non_negative_masked(X, n_components, biases=True, random_state=0)
        seconds = time.perf_counter() - start
        rows, cols = (
            pd.Index(users).get_indexer(test["user id"]),
            pd.Index(movies).get_indexer(test["movie id"]),
        )
        return np.clip(model.predict(rows, cols), 1, 5), seconds

    return fit_predict


def _sklearn_zero_filled(train, test, users, movies):
    X, _, _ = sparse_rating_matrix(train, users=users, movies=movies)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = NMF(20, init="random", solver="mu", max_iter=1000, tol=0, random_state=0)
        W = model.fit_transform(X)
    seconds = time.perf_counter() - start
    rows, cols = pd.Index(users).get_indexer(test["user id"]), pd.Index(movies).get_indexer(test["movie id"])
    return np.einsum("ij,ji->i", W[rows], model.components_[:, cols]), seconds


def _timed(predict):
    def fit_predict(train, test, users, movies):
        start = time.perf_counter()
        return predict(train, test), time.perf_counter() - start

    return fit_predict


def _surprise(algorithm):
    def fit_predict(train, test, users, movies):
        from surprise import Dataset, Reader

        reader = Reader(rating_scale=(1, 5))
        data = Dataset.load_from_df(train[["user id", "movie id", "rating"]], reader).build_full_trainset()
        model = (
            algorithm(random_state=0)
            if "random_state" in algorithm.__init__.__code__.co_varnames
            else algorithm()
        )
        start = time.perf_counter()
        model.fit(data)
        seconds = time.perf_counter() - start
        return np.array(
            [model.predict(u, i).est for u, i in zip(test["user id"], test["movie id"], strict=False)]
        ), seconds

    return fit_predict


def methods(with_peers):
    table = {
        "global mean": _timed(global_mean_predictions),
        "user + movie biases": _timed(bias_predictions),
        "scikit-learn NMF, zero-filled, M=20": _sklearn_zero_filled,
        "masked NMF + biases, M=40 (nmf_helpers)": _masked(40),
        "masked NMF + biases, M=50 (nmf_helpers)": _masked(50),
    }
    if with_peers:
        try:
            from surprise import NMF as SurpriseNMF
            from surprise import SVD, SVDpp
        except ImportError:
            print("(scikit-surprise is not installed: no peers; pip install scikit-surprise)")
        else:
            table.update(
                {
                    "Surprise NMF": _surprise(SurpriseNMF),
                    "Surprise SVD": _surprise(SVD),
                    "Surprise SVD++": _surprise(SVDpp),
                }
            )
    return table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", nargs="+", default=["u1", "u2", "u3", "u4", "u5"])
    parser.add_argument("--no-peers", action="store_true")
    args = parser.parse_args(argv)
    data = load_movielens()
    if data.synthetic:
        print("(the synthetic stand-in: these figures say nothing about MovieLens)")
    users, movies = data.users["user id"].to_numpy(), data.movies["movie id"].to_numpy()
    splits = {name: load_split(name, data.folder) for name in args.splits}
    rows = []
    for name, fit_predict in methods(not args.no_peers).items():
        errors, seconds = [], []
        for train, test in splits.values():
            predictions, fit_seconds = fit_predict(train, test, users, movies)
            errors.append(rmse(test["rating"], predictions))
            seconds.append(fit_seconds)
        rows.append(
            {
                "method": name,
                **dict(zip(args.splits, errors, strict=False)),
                "mean": np.mean(errors),
                "fit (s)": np.mean(seconds),
            }
        )
        print(
            f"{name:42s} "
            + " ".join(f"{e:.4f}" for e in errors)
            + f"  mean {np.mean(errors):.4f}  fit {np.mean(seconds):.2f} s",
            flush=True,
        )
    print()
    print(
        pd.DataFrame(rows).to_markdown(index=False, floatfmt=".3f")
        if _has_tabulate()
        else pd.DataFrame(rows).round(4).to_string(index=False)
    )


def _has_tabulate():
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()

"""Benchmark: the reference non_negative against scikit-learn's NMF, same run.

Both run 1000 multiplicative-update iterations from a random start (tol=0 for
scikit-learn, no tolerance for ours), each on its fastest input form (dense or
sparse, the faster of the two is taken for scikit-learn). Prints the median
of --repeats fits, the time ratio and both final squared losses.

    python bench/bench_nmf.py [--repeats 3]

MovieLens-100k comes from NMF_HELPERS_DATA or the cache (the synthetic
stand-in otherwise, said in one line, and then the figures are not comparable).
"""

import argparse
import statistics
import time
import warnings

import scipy.sparse as sp
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning

from nmf_helpers import load_digits, load_movielens, non_negative, sparse_rating_matrix, squared_loss

ITERATIONS = 1000


def _median_time(fit, repeats):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fit()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def ours(X, M, repeats):
    return _median_time(lambda: non_negative(X, M, num_iterations=ITERATIONS, random_state=0), repeats)


def sklearn(X, M, repeats):
    model = NMF(M, solver="mu", init="random", tol=0, max_iter=ITERATIONS, random_state=0)

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            W = model.fit_transform(X)
        return W, model.components_

    return _median_time(fit, repeats)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="fits per measurement (median taken)")
    args = parser.parse_args(argv)

    digits, _ = load_digits()
    movielens = load_movielens()
    ratings, _, _ = sparse_rating_matrix(movielens.ratings)
    cases = [
        ("digits", 10, digits, [("dense", digits), ("sparse", sp.csr_matrix(digits))]),
        ("digits", 36, digits, [("dense", digits), ("sparse", sp.csr_matrix(digits))]),
        ("MovieLens" + (" (SYNTHETIC)" if movielens.synthetic else "-100k"), 20, ratings,
         [("sparse", ratings), ("dense", ratings.toarray())]),
    ]  # fmt: skip
    header = f"{'data':24s} {'M':>3s} {'ours (s)':>9s} {'sklearn (s)':>12s} {'form':>6s} {'speed-up':>8s} {'our loss':>12s} {'sklearn loss':>12s} {'diff':>7s}"
    print(f"{ITERATIONS} iterations, median of {args.repeats}")
    print(header)
    print("-" * len(header))
    for name, M, ours_input, sklearn_inputs in cases:
        t_ours, (Z, H) = ours(ours_input, M, args.repeats)
        best = None
        for form, X in sklearn_inputs:
            t, (W, C) = sklearn(X, M, args.repeats)
            if best is None or t < best[0]:
                best = (t, form, W, C)
        t_sk, form, W, C = best
        loss_ours, loss_sk = squared_loss(ours_input, Z, H), squared_loss(ours_input, W, C)
        print(
            f"{name:24s} {M:3d} {t_ours:9.3f} {t_sk:12.3f} {form:>6s} {t_sk / t_ours:7.2f}x "
            f"{loss_ours:12.6g} {loss_sk:12.6g} {100 * (loss_ours - loss_sk) / loss_sk:+6.2f}%"
        )


if __name__ == "__main__":
    main()

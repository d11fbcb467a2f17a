"""Benchmark: the reference non_negative against scikit-learn's NMF(solver="mu"), fit by fit.

Each case runs ``--iterations`` multiplicative-update iterations on both sides from the
same start: scikit-learn's ``init="random"`` (``tol=0``, so it never stops early), and
ours from the factors that start draws (Z0 = W0, H0 = H0). Each side gets its fastest
input form: the CSR matrix for MovieLens (scikit-learn is slower on the dense one), the
dense array for digits. The fits are interleaved, one of ours, one of scikit-learn's (the
order alternating), so that both see the same load; the speed-up is scikit-learn's time
over ours within a pair, reported as the median over ``--pairs`` pairs with its range and
inter-quartile range. The final squared losses of both sides are reported with their
relative difference.

    python bench/bench_nmf.py [--pairs 7] [--iterations 1000] [--busy]

``--busy`` keeps the other core spinning: a separate Python process doing numpy work
(single-threaded matrix products) for the whole run, as when another user or agent shares
the machine.

MovieLens-100k comes from NMF_HELPERS_DATA or the cache (the synthetic stand-in
otherwise, said in one line, and then the figures are not comparable).
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np
import scipy
import sklearn
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info

from nmf_helpers import load_digits, load_movielens, non_negative, sparse_rating_matrix, squared_loss

SEED = 0

# The busy neighbour: single-threaded numpy work, forever (killed at the end).
_SPIN = """
import numpy as np
a = np.random.default_rng(0).random((300, 300))
while True:
    a = a @ a
    a /= a.max()
"""


def sklearn_random_start(X, n_components, random_state):
    """The (W0, H0) of scikit-learn's ``init="random"`` (``_initialize_nmf``, 1.x):
    ``|N(0, 1)|`` scaled by ``sqrt(X.mean() / n_components)``, H drawn first."""
    avg = np.sqrt(X.mean() / n_components)
    rng = np.random.RandomState(random_state)
    H = np.abs(avg * rng.standard_normal(size=(n_components, X.shape[1])))
    W = np.abs(avg * rng.standard_normal(size=(X.shape[0], n_components)))
    return W, H


def fit_ours(X, M, iterations, start):
    return non_negative(X, M, num_iterations=iterations, init=start)


def fit_sklearn(X, M, iterations):
    model = NMF(M, solver="mu", init="random", tol=0, max_iter=iterations, random_state=SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        W = model.fit_transform(X)
    return W, model.components_


def timed(fit):
    start = time.perf_counter()
    result = fit()
    return time.perf_counter() - start, result


def run_case(X, M, iterations, pairs):
    """Interleaved fits; returns the times of both sides and the last factors of each."""
    start = sklearn_random_start(X, M, SEED)
    ours_fit = lambda: fit_ours(X, M, iterations, start)  # noqa: E731
    sklearn_fit = lambda: fit_sklearn(X, M, iterations)  # noqa: E731
    ours_fit(), sklearn_fit()  # warm-up: imports, caches, first-touch of memory
    t_ours, t_sklearn = [], []
    for k in range(pairs):
        order = [(t_ours, ours_fit), (t_sklearn, sklearn_fit)]
        for times, fit in order if k % 2 == 0 else order[::-1]:
            seconds, result = timed(fit)
            times.append(seconds)
            if times is t_ours:
                ours = result
            else:
                theirs = result
    return t_ours, t_sklearn, ours, theirs


def quartiles(values):
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q3


def describe_machine():
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    blas = ", ".join(
        f"{pool['internal_api']} {pool.get('version') or ''} ({pool['num_threads']} threads)".replace(
            "  ", " "
        )
        for pool in threadpool_info()
        if pool["user_api"] == "blas"
    )
    return (
        f"{model}, {cores} cores; Python {platform.python_version()}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}, scikit-learn {sklearn.__version__}; BLAS: {blas}"
    )


def start_spinner():
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    spinner = subprocess.Popen([sys.executable, "-c", _SPIN], env=env)
    time.sleep(1.0)  # let it get going
    if spinner.poll() is not None:
        raise RuntimeError("the --busy spinner process died")
    return spinner


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=7, help="interleaved pairs of fits per case (>= 5)")
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--busy", action="store_true", help="keep the other core spinning meanwhile")
    args = parser.parse_args(argv)
    if args.pairs < 2:
        parser.error("--pairs must be at least 2")

    digits, _ = load_digits()
    digits = np.asarray(digits, dtype=np.float64)
    movielens = load_movielens()
    ratings, _, _ = sparse_rating_matrix(movielens.ratings)
    ratings = ratings.astype(np.float64).tocsr()
    ml_name = "MovieLens (SYNTHETIC)" if movielens.synthetic else "MovieLens-100k"
    cases = [
        (f"{ml_name} (sparse)", 20, ratings),
        ("digits (dense)", 10, digits),
        ("digits (dense)", 36, digits),
    ]

    print(describe_machine())
    spinner = start_spinner() if args.busy else None
    try:
        load_before = os.getloadavg()[0]
        print(
            f"{args.iterations} iterations from the same start; {args.pairs} interleaved pairs per case; "
            f"{'BUSY: the other core spins' if args.busy else 'no extra load'}; "
            f"load average {load_before:.2f} at the start"
        )
        header = (
            f"{'data':28s} {'M':>3s} {'ours (s)':>9s} {'sklearn (s)':>11s} {'speed-up':>8s} "
            f"{'range':>11s} {'IQR':>11s} {'our loss':>11s} {'sklearn loss':>12s} {'diff':>7s}"
        )
        print(header)
        print("-" * len(header))
        for name, M, X in cases:
            t_ours, t_sklearn, (Z, H), (W, C) = run_case(X, M, args.iterations, args.pairs)
            ratios = [theirs / ours for ours, theirs in zip(t_ours, t_sklearn, strict=True)]
            q1, q3 = quartiles(ratios)
            loss_ours, loss_sklearn = squared_loss(X, Z, H), squared_loss(X, W, C)
            print(
                f"{name:28s} {M:3d} {statistics.median(t_ours):9.3f} {statistics.median(t_sklearn):11.3f} "
                f"{statistics.median(ratios):7.2f}x {min(ratios):5.2f}-{max(ratios):4.2f}x "
                f"{q1:5.2f}-{q3:4.2f}x {loss_ours:11.6g} {loss_sklearn:12.6g} "
                f"{100 * (loss_ours - loss_sklearn) / loss_sklearn:+6.2f}%",
                flush=True,
            )
        print(f"load average {os.getloadavg()[0]:.2f} at the end")
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()


if __name__ == "__main__":
    main()

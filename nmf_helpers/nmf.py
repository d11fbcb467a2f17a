"""Reference non-negative matrix factorisation: Lee & Seung's multiplicative updates.

The assignment's rules, for data X (n x m) ~ Z (n x M) @ H (M x m)::

    H <- H * (Z.T @ X) / (Z.T @ Z @ H)
    Z <- Z * (X @ H.T) / (Z @ H @ H.T)      # with the new H

with the denominators clipped at a small positive value so that all-zero rows
or columns give zeros, not NaN. These are the assignment's answers: students
never get this module (the Kullback-Leibler and masked variants are in
:mod:`nmf_helpers.kl` and :mod:`nmf_helpers.masked`).

Dense arrays, DataFrames and scipy.sparse matrices are accepted; with sparse
input no product densifies X.

Reference: D. D. Lee and H. S. Seung, "Algorithms for non-negative matrix
factorization", NIPS 2001.
"""

import os
import threading

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from nmf_course._solver import (
    EPSILON,
    check_matrix,
    check_non_negative_number,
    converged,
    init_factors,
    prepare,
    report_progress,
    verbose_every,
    warn_not_converged,
)

__all__ = ["EPSILON", "non_negative", "squared_loss", "update_h", "update_z"]


def _transpose(x):
    """X.T in the form that multiplies fastest: CSR for sparse, C-ordered for
    dense (a copy: BLAS reads it about 25% faster than the transposed view)."""
    return x.T.tocsr() if sp.issparse(x) else np.ascontiguousarray(x.T)


# Below this many multiply-adds per product (stored entries x components),
# the barriers cost more than a second core saves (measured: digits with
# M = 10 is faster serially, with M = 36 and MovieLens with M = 20 in two).
_THREADED_MIN_WORK = 1_500_000


def _n_workers(x, num_components, n_threads, caller):
    """How many threads share the products with X (1 for small inputs)."""
    if n_threads is not None:
        if isinstance(n_threads, (bool, np.bool_)) or not isinstance(n_threads, int) or n_threads < 1:
            raise ValueError(
                f"n_threads passed to {caller} must be a positive integer or None, got {n_threads!r}."
            )
        return n_threads
    entries = x.nnz if sp.issparse(x) else x.size
    if entries * num_components < _THREADED_MIN_WORK:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, 4))


def _cuts(x, k):
    """Row boundaries that split x into k blocks of about equal work."""
    n = x.shape[0]
    if sp.issparse(x):
        cuts = np.searchsorted(x.indptr, np.linspace(0, x.nnz, k + 1))
    else:
        cuts = np.linspace(0, n, k + 1).round().astype(int)
    cuts = np.clip(cuts, 0, n)
    cuts[0], cuts[-1] = 0, n
    return np.maximum.accumulate(cuts)


# Subnormals build up slowly; clearing them every few iterations is enough.
_FLUSH_EVERY = 10


def _flush_tiny(factor):
    """Set entries below sqrt(smallest normal float) to zero, in place.

    Entries that the updates drive towards zero would otherwise become
    subnormal floats, which are many times slower to compute with (seen: the
    last 100 of 1000 MovieLens iterations 2.5x slower than the first). Such an
    entry contributes less than 1e-150 to any product; zero is where it goes.
    """
    np.putmask(factor, factor < np.sqrt(np.finfo(factor.dtype).tiny), 0)


def _sum_squares(x):
    values = x.data if sp.issparse(x) else x
    return float(np.dot(values.ravel(), values.ravel()))


def _frobenius_from_parts(norm_x2, cross, ztz, hht):
    """||X - ZH||^2 = ||X||^2 - 2 <Z, X H^T> + <Z^T Z, H H^T>, never densifying X.

    ``cross`` is <Z, X H^T>. Rounding can make the difference a hair below zero
    for an exact fit.
    """
    return max(norm_x2 - 2.0 * cross + float(np.vdot(ztz, hht)), 0.0)


# --------------------------------------------------------------------------- Frobenius
def update_h(data, Z, H, *, eps=EPSILON):
    """One multiplicative update of H: ``H * (Z^T X) / max(Z^T Z H, eps)``.

    Parameters
    ----------
    data : array-like of shape (n_samples, n_features)
        Non-negative data X; dense, DataFrame or scipy.sparse.
    Z : ndarray of shape (n_samples, n_components)
    H : ndarray of shape (n_components, n_features)
    eps : float, default=EPSILON
        Floor of the denominator.

    Returns
    -------
    H_new : ndarray of shape (n_components, n_features)
        A new array; ``H`` is left unchanged.
    """
    x = check_matrix(data, "data", "update_h")
    numer = np.asarray(_transpose(x) @ Z).T if sp.issparse(x) else Z.T @ x
    denom = np.maximum((Z.T @ Z) @ H, eps)
    return H * numer / denom


def update_z(data, Z, H, *, eps=EPSILON):
    """One multiplicative update of Z: ``Z * (X H^T) / max(Z H H^T, eps)``.

    Parameters
    ----------
    data : array-like of shape (n_samples, n_features)
    Z : ndarray of shape (n_samples, n_components)
    H : ndarray of shape (n_components, n_features)
        Pass the *new* H to follow the assignment's order (H first, then Z).
    eps : float, default=EPSILON

    Returns
    -------
    Z_new : ndarray of shape (n_samples, n_components)
    """
    x = check_matrix(data, "data", "update_z")
    numer = np.asarray(x @ H.T)
    denom = np.maximum(Z @ (H @ H.T), eps)
    return Z * numer / denom


def squared_loss(data, Z, H):
    """Squared Frobenius reconstruction error ``||X - Z H||^2`` (not halved).

    Parameters
    ----------
    data : array-like of shape (n_samples, n_features)
    Z : ndarray of shape (n_samples, n_components)
    H : ndarray of shape (n_components, n_features)

    Returns
    -------
    loss : float
    """
    x = check_matrix(data, "data", "squared_loss")
    if sp.issparse(x):
        cross = float(np.vdot(Z, np.asarray(x @ H.T)))
        return _frobenius_from_parts(_sum_squares(x), cross, Z.T @ Z, H @ H.T)
    residual = x - Z @ H
    return float(np.vdot(residual, residual))


def non_negative(
    data,
    num_components,
    *,
    num_iterations=1000,
    tol=None,
    init=None,
    random_state=None,
    eps=EPSILON,
    return_loss=False,
    verbose=False,
    n_threads=None,
):
    """Factorise non-negative data as ``Z @ H`` with Lee-Seung multiplicative updates.

    Each iteration updates H, then Z with the new H, which never increases the
    squared loss ``||X - Z H||^2``.

    Parameters
    ----------
    data : array-like of shape (n_samples, n_features)
        Non-negative data X: ndarray, DataFrame or scipy.sparse matrix. Sparse
        input stays sparse (no product densifies it). float32 input is computed
        in float32.
    num_components : int
        Number of components M.
    num_iterations : int, default=1000
        Maximum number of iterations (one H and one Z update each).
    tol : float, default=None
        Stop early when the loss improved by less than ``tol`` times the
        initial loss over the last 10 iterations. None runs all iterations.
        A :class:`~sklearn.exceptions.ConvergenceWarning` is raised when the
        iterations run out first.
    init : tuple (Z0, H0), default=None
        Starting factors. None draws ``|N(0, 1)|`` entries from ``random_state``.
    random_state : int, numpy Generator or None, default=None
        Seed for the random start.
    eps : float, default=EPSILON
        Floor of the update denominators.
    return_loss : bool, default=False
        Also return the loss before the first and after every iteration.
    verbose : bool or int, default=False
        Print the loss every ``verbose`` iterations (every 100 for True).
    n_threads : int, default=None
        Threads that share the work, each on a block of rows. None uses up to
        4 cores when the data is large enough for it to pay (stored entries
        times num_components of 1.5 million or more), else one thread with
        numpy's own BLAS threads. The result does not depend on it beyond
        rounding.

    Returns
    -------
    Z : ndarray of shape (n_samples, num_components)
    H : ndarray of shape (num_components, n_features)
    losses : ndarray of shape (n_iterations_run + 1,)
        Only when ``return_loss`` is True.

    Examples
    --------
    >>> import numpy as np
    >>> from nmf_helpers import non_negative
    >>> X = np.array([[1., 2.], [2., 4.], [3., 6.]])
    >>> Z, H = non_negative(X, 1, random_state=0)
    >>> bool(np.allclose(Z @ H, X))
    True
    """
    caller = "non_negative"
    x, m_comp, n_iter, tol = prepare(data, num_components, num_iterations, tol, caller)
    eps = check_non_negative_number(eps, "eps", caller)
    z, h = init_factors(x.shape, m_comp, init, random_state, x.dtype, caller)
    n_workers = _n_workers(x, m_comp, n_threads, caller)
    track = bool(return_loss or tol is not None or verbose)
    # Each worker's products are small; BLAS threads on top of the workers
    # would only compete with them for the cores.
    with threadpool_limits(1 if n_workers > 1 else None, user_api="blas"):
        z, h, losses, done = _multiplicative_frobenius(x, z, h, n_iter, tol, eps, track, verbose, n_workers)
    if tol is not None and done == n_iter > 0 and not converged(losses, tol, n_iter):
        warn_not_converged(caller, n_iter, tol)
    if return_loss:
        return z, h, losses
    return z, h


def _multiplicative_frobenius(x, z, h, n_iter, tol, eps, track, verbose, n_workers):
    """The Frobenius loop, data-parallel over row blocks.

    Worker k owns a block of the rows of Z and a block of the columns of H
    (kept transposed, ``ht``, so that everything is C-contiguous): the H
    update ``ht <- ht * (X^T Z) / (ht Z^T Z)`` and the Z update need only the
    worker's own rows of X^T or X, plus the small Gram matrices Z^T Z and
    H H^T, which are summed from the workers' parts at two barriers per
    iteration. scipy's sparse products and numpy's release the GIL, so the
    workers run on separate cores. With one worker this is the serial loop.

    Returns Z, H, the loss history (empty unless ``track``) and the number of
    iterations run.
    """
    xt = _transpose(x)
    ht = np.ascontiguousarray(h.T)
    row_cuts, col_cuts = _cuts(x, n_workers), _cuts(xt, n_workers)
    norm_x2 = _sum_squares(x) if track else 0.0
    every = verbose_every(verbose)
    barrier = threading.Barrier(n_workers)
    gram_z = [None] * n_workers  # parts of Z^T Z
    gram_h = [None] * n_workers  # parts of H H^T
    cross = [0.0] * n_workers  # parts of <Z, X H^T>, for the loss
    histories = [[] for _ in range(n_workers)]
    iterations = [0] * n_workers
    # Alone, a worker neither waits nor adds up parts (the serial loop stays lean).
    sync = barrier.wait if n_workers > 1 else (lambda: None)
    total = sum if n_workers > 1 else (lambda parts: parts[0])

    def loss(hht):
        return _frobenius_from_parts(norm_x2, total(cross), total(gram_z), hht)

    def work(k):
        rows = slice(row_cuts[k], row_cuts[k + 1])
        cols = slice(col_cuts[k], col_cuts[k + 1])
        x_k, xt_k = x[rows], xt[cols]
        z_k, ht_k = z[rows], ht[cols]  # views: the updates land in z and ht
        history = histories[k]
        gram_z[k], gram_h[k] = z_k.T @ z_k, ht_k.T @ ht_k
        if track:
            cross[k] = float(np.vdot(z_k, x_k @ ht))
        sync()
        if track:
            history.append(loss(total(gram_h)))
        for iteration in range(1, n_iter + 1):
            # H <- H * (Z^T X) / (Z^T Z H), on this worker's columns of H.
            ztz = total(gram_z)
            numer = np.asarray(xt_k @ z)
            denom = ht_k @ ztz
            np.maximum(denom, eps, out=denom)
            np.divide(numer, denom, out=numer)
            ht_k *= numer
            if iteration % _FLUSH_EVERY == 0:
                _flush_tiny(ht_k)
            gram_h[k] = ht_k.T @ ht_k
            sync()
            # Z <- Z * (X H^T) / (Z H H^T) with the new H, on this worker's rows.
            hht = total(gram_h)
            xht = np.asarray(x_k @ ht)
            denom = z_k @ hht
            np.maximum(denom, eps, out=denom)
            np.divide(xht, denom, out=denom)
            z_k *= denom
            if iteration % _FLUSH_EVERY == 0:
                _flush_tiny(z_k)
            gram_z[k] = z_k.T @ z_k
            if track:
                cross[k] = float(np.vdot(z_k, xht))
            sync()
            iterations[k] = iteration
            if track:
                # Every worker computes the same loss from the same parts, so
                # all agree on when to stop without a third barrier.
                history.append(loss(hht))
                if k == 0:
                    report_progress(every, "non_negative", iteration, history[-1])
                if converged(history, tol, iteration):
                    return

    _run_workers(work, n_workers, barrier)
    return z, np.ascontiguousarray(ht.T), np.array(histories[0]), iterations[0]


def _run_workers(work, n_workers, barrier):
    """Run work(0) here and work(1..n-1) in threads; re-raise the first error.

    A failing worker breaks the barrier, so the others stop instead of waiting.
    """
    errors = []

    def guarded(k):
        try:
            work(k)
        except threading.BrokenBarrierError:
            pass
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=guarded, args=(k,), daemon=True) for k in range(1, n_workers)]
    for thread in threads:
        thread.start()
    guarded(0)
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]

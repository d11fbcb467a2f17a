"""Reference non-negative matrix factorisation: Lee & Seung's multiplicative updates.

The assignment's rules, for data X (n x m) ~ Z (n x M) @ H (M x m)::

    H <- H * (Z.T @ X) / (Z.T @ Z @ H)
    Z <- Z * (X @ H.T) / (Z @ H @ H.T)      # with the new H

with the denominators clipped at a small positive value so that all-zero rows
or columns give zeros, not NaN. Three variants share the same shape of API:

- :func:`non_negative`: squared Frobenius loss ``||X - Z H||^2``;
- :func:`non_negative_kl`: generalised Kullback-Leibler divergence;
- :func:`non_negative_masked`: squared loss on the observed entries only, with
  count-scaled L2 regularisation and optional biases (for ratings).

Dense arrays, DataFrames and scipy.sparse matrices are accepted; with sparse
input no product densifies X.

Reference: D. D. Lee and H. S. Seung, "Algorithms for non-negative matrix
factorization", NIPS 2001.
"""

import os
import threading
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from ._validation import (
    check_components,
    check_factor,
    check_iterations,
    check_matrix,
    check_non_negative_number,
    check_random_state,
)

__all__ = [
    "EPSILON",
    "non_negative",
    "non_negative_kl",
    "non_negative_masked",
    "squared_loss",
    "kl_divergence",
    "update_h",
    "update_z",
    "MaskedNMF",
]

#: Floor for the denominators of the multiplicative updates.
EPSILON = 1e-10

# The tolerance test runs every this many iterations, as in scikit-learn.
_CHECK_EVERY = 10


# --------------------------------------------------------------------------- helpers
def _init_factors(shape, num_components, init, random_state, dtype, caller):
    """Starting factors: given ones (copied), or |N(0, 1)| entries."""
    n, m = shape
    if init is not None:
        try:
            z0, h0 = init
        except (TypeError, ValueError):
            raise TypeError(
                f"init passed to {caller} must be None or a pair (Z0, H0), got {type(init).__name__}."
            ) from None
        return (
            check_factor(z0, "init[0] (Z0)", (n, num_components), caller, dtype),
            check_factor(h0, "init[1] (H0)", (num_components, m), caller, dtype),
        )
    rng = check_random_state(random_state, caller)
    z = np.abs(rng.standard_normal((n, num_components))).astype(dtype, copy=False)
    h = np.abs(rng.standard_normal((num_components, m))).astype(dtype, copy=False)
    return z, h


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
            raise ValueError(f"n_threads passed to {caller} must be a positive integer or None, got {n_threads!r}.")
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


def _converged(losses, tol, iteration):
    """scikit-learn's rule: relative improvement over the last check below tol."""
    if tol is None or iteration % _CHECK_EVERY or len(losses) <= _CHECK_EVERY:
        return False
    previous, current = losses[-1 - _CHECK_EVERY], losses[-1]
    return (previous - current) / max(losses[0], np.finfo(float).tiny) < tol


def _warn_not_converged(caller, num_iterations, tol):
    warnings.warn(
        f"{caller} stopped after num_iterations={num_iterations} before the relative "
        f"improvement fell below tol={tol:g}; increase num_iterations or tol.",
        ConvergenceWarning,
        stacklevel=3,
    )


def _report(verbose, caller, iteration, loss):
    if verbose and (iteration % verbose == 0):
        print(f"{caller}: iteration {iteration:5d}, loss {loss:.6g}", flush=True)


def _prepare(data, num_components, num_iterations, tol, caller):
    x = check_matrix(data, "data", caller)
    m_comp = check_components(num_components, caller)
    n_iter = check_iterations(num_iterations, caller)
    if tol is not None:
        tol = check_non_negative_number(tol, "tol", caller)
    return x, m_comp, n_iter, tol


def _verbose_every(verbose):
    if verbose is True:
        return 100
    return int(verbose) if verbose else 0


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
    x, m_comp, n_iter, tol = _prepare(data, num_components, num_iterations, tol, caller)
    eps = check_non_negative_number(eps, "eps", caller)
    z, h = _init_factors(x.shape, m_comp, init, random_state, x.dtype, caller)
    n_workers = _n_workers(x, m_comp, n_threads, caller)
    track = bool(return_loss or tol is not None or verbose)
    # Each worker's products are small; BLAS threads on top of the workers
    # would only compete with them for the cores.
    with threadpool_limits(1 if n_workers > 1 else None, user_api="blas"):
        z, h, losses, done = _multiplicative_frobenius(
            x, z, h, n_iter, tol, eps, track, verbose, n_workers
        )
    if tol is not None and done == n_iter > 0 and not _converged(losses, tol, n_iter):
        _warn_not_converged(caller, n_iter, tol)
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
    every = _verbose_every(verbose)
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
                    _report(every, "non_negative", iteration, history[-1])
                if _converged(history, tol, iteration):
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


# --------------------------------------------------------------------------- Kullback-Leibler
def _kl_ratio(x, z, h, eps):
    """X / (Z H), only where X is non-zero when X is sparse."""
    if sp.issparse(x):
        coo = x.tocoo()
        pred = np.einsum("ij,ij->i", z[coo.row], h.T[coo.col])
        return sp.csr_matrix((coo.data / np.maximum(pred, eps), (coo.row, coo.col)), shape=x.shape)
    return x / np.maximum(z @ h, eps)


def kl_divergence(data, Z, H, *, eps=EPSILON):
    """Generalised Kullback-Leibler divergence ``sum(X log(X / ZH) - X + ZH)``.

    Parameters
    ----------
    data : array-like of shape (n_samples, n_features)
    Z : ndarray of shape (n_samples, n_components)
    H : ndarray of shape (n_components, n_features)
    eps : float, default=EPSILON
        Floor of ZH inside the logarithm.

    Returns
    -------
    divergence : float
    """
    x = check_matrix(data, "data", "kl_divergence")
    return _kl_loss(x, Z, H, eps)


def _kl_loss(x, z, h, eps):
    total_pred = float(z.sum(axis=0) @ h.sum(axis=1))
    if sp.issparse(x):
        coo = x.tocoo()
        obs = coo.data
        pred = np.maximum(np.einsum("ij,ij->i", z[coo.row], h.T[coo.col]), eps)
    else:
        obs = x.ravel()
        pred = np.maximum((z @ h).ravel(), eps)
    nz = obs > 0
    return float(np.sum(obs[nz] * np.log(obs[nz] / pred[nz])) - obs.sum() + total_pred)


def non_negative_kl(
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
):
    """Factorise ``X ~ Z H`` minimising the generalised Kullback-Leibler divergence.

    Lee & Seung's updates ``H <- H * Z^T (X / ZH) / Z^T 1`` and
    ``Z <- Z * (X / ZH) H^T / 1 H^T``, which never increase the divergence.

    Parameters and returns are those of :func:`non_negative`; the losses are
    values of :func:`kl_divergence`.
    """
    caller = "non_negative_kl"
    x, m_comp, n_iter, tol = _prepare(data, num_components, num_iterations, tol, caller)
    eps = check_non_negative_number(eps, "eps", caller)
    z, h = _init_factors(x.shape, m_comp, init, random_state, x.dtype, caller)
    track = return_loss or tol is not None or verbose
    every = _verbose_every(verbose)
    losses = [_kl_loss(x, z, h, eps)] if track else []
    for iteration in range(1, n_iter + 1):
        ratio = _kl_ratio(x, z, h, eps)
        numer = np.asarray(_transpose(ratio) @ z).T if sp.issparse(ratio) else z.T @ ratio
        h *= numer / np.maximum(z.sum(axis=0)[:, None], eps)
        ratio = _kl_ratio(x, z, h, eps)
        z *= np.asarray(ratio @ h.T) / np.maximum(h.sum(axis=1)[None, :], eps)
        if track:
            losses.append(_kl_loss(x, z, h, eps))
            _report(every, caller, iteration, losses[-1])
            if _converged(losses, tol, iteration):
                break
    else:
        if tol is not None and n_iter > 0:
            _warn_not_converged(caller, n_iter, tol)
    if return_loss:
        return z, h, np.array(losses)
    return z, h


# --------------------------------------------------------------------------- masked
class MaskedNMF:
    """A fitted masked factorisation: ``prediction = mean + b_row + b_col + Z H``.

    Attributes
    ----------
    Z : ndarray of shape (n_rows, n_components), non-negative
    H : ndarray of shape (n_components, n_columns), non-negative
    mean : float
        The offset (0 when biases are off).
    row_bias, col_bias : ndarray of shape (n_rows,) and (n_columns,)
        Zeros when biases are off.
    losses : ndarray
        Regularised training loss before the first and after every iteration.
    l2, bias_l2 : float
        The penalties it was fitted with (used by :meth:`fold_in`).
    """

    def __init__(self, Z, H, mean, row_bias, col_bias, losses, l2=0.0, bias_l2=0.0):
        self.Z, self.H = Z, H
        self.mean, self.row_bias, self.col_bias = float(mean), row_bias, col_bias
        self.losses = losses
        self.l2, self.bias_l2 = float(l2), float(bias_l2)

    @property
    def has_biases(self):
        return bool(self.mean or np.any(self.row_bias) or np.any(self.col_bias))

    def predict(self, rows=None, cols=None):
        """Predictions for the pairs (rows[k], cols[k]), or the full matrix."""
        if rows is None and cols is None:
            return self.mean + self.row_bias[:, None] + self.col_bias[None, :] + self.Z @ self.H
        rows, cols = np.asarray(rows), np.asarray(cols)
        inner = np.einsum("ij,ij->i", self.Z[rows], self.H.T[cols])
        return self.mean + self.row_bias[rows] + self.col_bias[cols] + inner

    def fold_in(self, cols, values, *, n_sweeps=20):
        """A new row from a few observed entries, with H and the column biases fixed.

        Minimises the model's objective for one new row: ``sum_k (values_k - mean
        - b - col_bias[cols_k] - z . H[:, cols_k])^2 + l2 n ||z||^2 + bias_l2 b^2``
        over z >= 0 and the row bias b (kept 0 for a model without biases).

        Returns
        -------
        z : ndarray of shape (n_components,)
        bias : float
        """
        cols = np.asarray(cols, dtype=np.intp)
        values = np.asarray(values, dtype=float)
        if cols.shape != values.shape or cols.ndim != 1 or cols.size == 0:
            raise ValueError("cols and values passed to fold_in must be equally long, non-empty 1-d arrays.")
        if cols.min() < 0 or cols.max() >= self.H.shape[1]:
            raise IndexError(f"cols passed to fold_in must be column positions in 0..{self.H.shape[1] - 1}.")
        from scipy.optimize import nnls

        k = self.H.shape[0]
        design = np.vstack([self.H[:, cols].T, np.sqrt(self.l2 * cols.size) * np.eye(k)])
        target = values - self.mean - self.col_bias[cols]
        bias, z = 0.0, np.zeros(k)
        for _ in range(n_sweeps if self.has_biases else 1):
            z, _ = nnls(design, np.concatenate([target - bias, np.zeros(k)]))
            if self.has_biases:
                bias = float(np.sum(target - self.H[:, cols].T @ z) / (cols.size + self.bias_l2))
        return z, bias

    def save(self, path, **extra):
        """Save to an ``.npz`` file (no pickle); ``extra`` arrays (e.g. ids) are kept beside."""
        arrays = {f"extra_{name}": np.asarray(value) for name, value in extra.items()}
        np.savez_compressed(
            path, Z=self.Z, H=self.H, mean=self.mean, row_bias=self.row_bias, col_bias=self.col_bias,
            losses=self.losses, l2=self.l2, bias_l2=self.bias_l2, **arrays,
        )  # fmt: skip

    @classmethod
    def load(cls, path):
        """Load a model saved with :meth:`save`; returns ``(model, extra)``."""
        with np.load(path, allow_pickle=False) as data:
            model = cls(
                data["Z"], data["H"], float(data["mean"]), data["row_bias"], data["col_bias"],
                data["losses"], float(data["l2"]), float(data["bias_l2"]),
            )  # fmt: skip
            extra = {name[len("extra_"):]: data[name] for name in data.files if name.startswith("extra_")}
        return model, extra

    def __repr__(self):
        return (
            f"MaskedNMF(n_rows={self.Z.shape[0]}, n_columns={self.H.shape[1]}, "
            f"n_components={self.Z.shape[1]}, biases={self.has_biases})"
        )


def _observed_entries(data, mask, caller):
    """(rows, cols, values, shape) of the entries that count.

    Sparse data: the stored entries. Dense data: the non-NaN entries, or those
    where ``mask`` is true.
    """
    x = check_matrix(data, "data", caller, allow_nan=True, allow_negative=True)
    if mask is not None:
        if hasattr(mask, "to_numpy"):
            mask = mask.to_numpy()
        mask = sp.csr_matrix(mask) if sp.issparse(mask) else np.asarray(mask, dtype=bool)
        if mask.shape != x.shape:
            raise ValueError(f"mask passed to {caller} has shape {mask.shape}, data has {x.shape}.")
        mask = mask.toarray().astype(bool) if sp.issparse(mask) else mask
        dense = x.toarray() if sp.issparse(x) else x
        rows, cols = np.nonzero(mask)
        values = dense[rows, cols]
    elif sp.issparse(x):
        coo = x.tocoo()
        rows, cols, values = coo.row, coo.col, coo.data
    else:
        rows, cols = np.nonzero(~np.isnan(x))
        values = x[rows, cols]
    if np.isnan(values).any():
        raise ValueError(f"mask passed to {caller} marks NaN entries of data as observed.")
    if values.size == 0:
        raise ValueError(f"data passed to {caller} has no observed entries.")
    return rows.astype(np.intp), cols.astype(np.intp), values.astype(np.float64), x.shape


def _fit_biases(rows, cols, values, shape, reg, n_sweeps=10):
    """Regularised user and item biases by alternating least squares."""
    n, m = shape
    mean = values.mean()
    row_bias, col_bias = np.zeros(n), np.zeros(m)
    row_count = np.bincount(rows, minlength=n)
    col_count = np.bincount(cols, minlength=m)
    for _ in range(n_sweeps):
        col_bias = np.bincount(cols, values - mean - row_bias[rows], minlength=m) / (col_count + reg)
        row_bias = np.bincount(rows, values - mean - col_bias[cols], minlength=n) / (row_count + reg)
    return mean, row_bias, col_bias


def non_negative_masked(
    data,
    num_components,
    *,
    mask=None,
    l2=0.08,
    biases=False,
    bias_l2=1.0,
    solver="cd",
    num_iterations=None,
    tol=None,
    init=None,
    random_state=None,
    eps=EPSILON,
    verbose=False,
):
    """Fit non-negative factors to the observed entries only.

    Minimises ``sum_{observed (i,j)} (X_ij - b_ij - (Z H)_ij)^2 + l2 * (sum_i n_i ||z_i||^2
    + sum_j m_j ||h_j||^2) + bias_l2 * (||row_bias||^2 + ||col_bias||^2)``, where ``n_i`` and
    ``m_j`` count the observed entries of row i and column j (so that busy rows and columns
    are not regularised less than quiet ones) and ``b_ij`` is zero or, with
    ``biases=True``, ``mean + row_bias_i + col_bias_j``. Missing entries are never taken
    as zeros. Z and H stay non-negative; the biases may be negative.

    Parameters
    ----------
    data : array-like of shape (n_rows, n_columns)
        Dense data with NaN for missing entries, a DataFrame, or a
        scipy.sparse matrix whose stored entries are the observed ones.
    num_components : int
    mask : array-like of bool of shape (n_rows, n_columns), default=None
        Which entries are observed; overrides the NaN / sparsity convention.
    l2 : float, default=0.08
        Count-scaled L2 penalty on the factors.
    biases : bool, default=False
        Fit a global mean and row and column biases around the factors.
    bias_l2 : float, default=1.0
        Ridge penalty of the biases.
    solver : {'cd', 'mu'}, default='cd'
        'cd': exact coordinate descent, one component (a column of Z, then the
        same row of H) at a time, with the biases refitted every sweep; each
        step minimises the objective exactly, so the loss never increases, and
        it converges in tens of sweeps. 'mu': Lee-Seung style multiplicative
        updates restricted to the observed entries (biases fitted once, first);
        slow to converge, shown in the course for comparison.
    num_iterations : int, default=None
        Sweeps (cd) or iterations (mu); None means 20 for cd and 200 for mu.
    tol, init, random_state, eps, verbose
        As in :func:`non_negative`. The random start is uniform, scaled to the
        data (small when biases carry the mean).

    Returns
    -------
    model : MaskedNMF
        The factors, the biases and the loss history; ``model.predict(rows,
        cols)`` predicts entries.

    Examples
    --------
    >>> import numpy as np
    >>> from nmf_helpers import non_negative_masked
    >>> X = np.array([[5., 4., np.nan], [4., np.nan, 1.], [np.nan, 1., 1.]])
    >>> model = non_negative_masked(X, 2, l2=0.0, random_state=0, num_iterations=500)
    >>> bool(np.allclose(model.predict([0, 1, 2], [0, 2, 1]), [5, 1, 1], atol=0.05))
    True
    """
    caller = "non_negative_masked"
    rows, cols, values, shape = _observed_entries(data, mask, caller)
    m_comp = check_components(num_components, caller)
    if solver not in ("cd", "mu"):
        raise ValueError(f"solver passed to {caller} must be 'cd' or 'mu', got {solver!r}.")
    n_iter = check_iterations({"cd": 20, "mu": 200}[solver] if num_iterations is None else num_iterations, caller)
    l2 = check_non_negative_number(l2, "l2", caller)
    bias_l2 = check_non_negative_number(bias_l2, "bias_l2", caller)
    eps = check_non_negative_number(eps, "eps", caller)
    if tol is not None:
        tol = check_non_negative_number(tol, "tol", caller)
    if not biases and (values < 0).any():
        raise ValueError(f"Negative values in data passed to {caller}: use biases=True, or shift the data.")
    n, m = shape
    if init is None:
        rng = check_random_state(random_state, caller)
        scale = 0.1 if biases else 2.0 * np.sqrt(max(values.mean(), eps) / m_comp)
        z = rng.uniform(0.0, scale, (n, m_comp))
        h = rng.uniform(0.0, scale, (m_comp, m))
    else:
        z, h = _init_factors(shape, m_comp, init, None, np.float64, caller)
    fit = _masked_cd if solver == "cd" else _masked_mu
    model, done = fit(rows, cols, values, shape, z, h, l2, biases, bias_l2, n_iter, tol, eps, _verbose_every(verbose))
    if tol is not None and done == n_iter > 0 and not _converged(model.losses, tol, n_iter):
        _warn_not_converged(caller, n_iter, tol)
    return model


def _masked_cd(rows, cols, values, shape, z, h, l2, biases, bias_l2, n_iter, tol, eps, every):
    """Coordinate descent on the observed entries (see non_negative_masked).

    The residuals e of the observed entries live in one array, in row-major
    order, shared by a CSR matrix E (and its transpose, a CSC view of the same
    arrays): ``E @ h_k`` and ``E.T @ z_k`` give the sums that the closed-form
    update of one component needs, without gathering into temporaries.
    """
    n, m = shape
    order = np.lexsort((cols, rows))
    rows, cols, values = rows[order], cols[order], values[order]
    row_count = np.bincount(rows, minlength=n).astype(float)
    col_count = np.bincount(cols, minlength=m).astype(float)
    indptr = np.concatenate([[0], np.cumsum(row_count)]).astype(np.int64)
    zt, ht = np.ascontiguousarray(z.T), np.ascontiguousarray(h)  # one component per row
    mean = float(values.mean()) if biases else 0.0
    row_bias, col_bias = np.zeros(n), np.zeros(m)
    residual = values - mean - np.einsum("ki,ki->i", zt[:, rows], ht[:, cols])
    E = sp.csr_matrix((residual, cols, indptr), shape=shape, copy=False)
    pattern = sp.csr_matrix((np.ones_like(residual), cols, indptr), shape=shape)
    reg_rows, reg_cols = l2 * row_count, l2 * col_count

    def loss():
        penalty = l2 * (float(row_count @ np.sum(zt * zt, axis=0)) + float(col_count @ np.sum(ht * ht, axis=0)))
        return float(residual @ residual) + penalty + bias_l2 * float(row_bias @ row_bias + col_bias @ col_bias)

    losses = [loss()]
    done = 0
    for sweep in range(1, n_iter + 1):
        if biases:  # exact ridge updates, each given everything else
            residual += row_bias[rows]
            row_bias = np.bincount(rows, residual, n) / (row_count + bias_l2)
            residual -= row_bias[rows]
            residual += col_bias[cols]
            col_bias = np.bincount(cols, residual, m) / (col_count + bias_l2)
            residual -= col_bias[cols]
        for z_k, h_k in zip(zt, ht):
            # z_k <- max(0, sum_j h_jk (e_ij + z_ik h_jk) / (sum_j h_jk^2 + l2 n_i))
            squares = pattern @ (h_k * h_k)
            new = np.maximum((E @ h_k + z_k * squares) / np.maximum(squares + reg_rows, eps), 0.0)
            residual -= (new - z_k)[rows] * h_k[cols]
            z_k[...] = new
            squares = pattern.T @ (z_k * z_k)
            new = np.maximum((E.T @ z_k + h_k * squares) / np.maximum(squares + reg_cols, eps), 0.0)
            residual -= (new - h_k)[cols] * z_k[rows]
            h_k[...] = new
        losses.append(loss())
        done = sweep
        _report(every, "non_negative_masked", sweep, losses[-1])
        if _converged(losses, tol, sweep):
            break
    model = MaskedNMF(np.ascontiguousarray(zt.T), ht, mean, row_bias, col_bias, np.array(losses), l2, bias_l2)
    return model, done


def _masked_mu(rows, cols, values, shape, z, h, l2, biases, bias_l2, n_iter, tol, eps, every):
    """Multiplicative updates on the observed entries (see non_negative_masked).

    The residual that the biases leave can be negative: Z H >= 0 fits its
    positive part, and the negative part enters the denominators.
    """
    n, m = shape
    if biases:
        mean, row_bias, col_bias = _fit_biases(rows, cols, values, shape, bias_l2)
        target = values - mean - row_bias[rows] - col_bias[cols]
    else:
        mean, row_bias, col_bias = 0.0, np.zeros(n), np.zeros(m)
        target = values
    row_count = np.bincount(rows, minlength=n).astype(float)[:, None]
    col_count = np.bincount(cols, minlength=m).astype(float)[None, :]

    def sampled(weights):
        matrix = sp.csr_matrix((weights, (rows, cols)), shape=shape)
        return matrix, matrix.T.tocsr()

    x_pos, x_pos_t = sampled(np.maximum(target, 0.0))
    x_neg, x_neg_t = sampled(np.maximum(-target, 0.0))

    def loss():
        fit = target - np.einsum("ij,ij->i", z[rows], h.T[cols])
        return float(fit @ fit) + l2 * float(np.sum(row_count * z * z) + np.sum(col_count * h * h))

    losses = [loss()]
    done = 0
    for iteration in range(1, n_iter + 1):
        _, pred_t = sampled(np.einsum("ij,ij->i", z[rows], h.T[cols]))
        denom = np.asarray(pred_t @ z).T + np.asarray(x_neg_t @ z).T + l2 * col_count * h
        h *= np.asarray(x_pos_t @ z).T / np.maximum(denom, eps)
        pred, _ = sampled(np.einsum("ij,ij->i", z[rows], h.T[cols]))
        denom = np.asarray(pred @ h.T) + np.asarray(x_neg @ h.T) + l2 * row_count * z
        z *= np.asarray(x_pos @ h.T) / np.maximum(denom, eps)
        losses.append(loss())
        done = iteration
        _report(every, "non_negative_masked", iteration, losses[-1])
        if _converged(losses, tol, iteration):
            break
    return MaskedNMF(z, h, mean, row_bias, col_bias, np.array(losses), l2, bias_l2), done

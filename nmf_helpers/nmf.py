"""Reference non-negative matrix factorisation: Lee & Seung's multiplicative updates.

The assignment's rules, for data X (n x m) ~ Z (n x M) @ H (M x m)::

    H <- H * (Z.T @ X) / (Z.T @ Z @ H)
    Z <- Z * (X @ H.T) / (Z @ H @ H.T)      # with the new H

with the denominators clipped at a small positive value so that all-zero rows
or columns give zeros, not NaN. These are the assignment's answers: students
never get this module (the Kullback-Leibler and masked variants are in
:mod:`nmf_helpers.kl` and :mod:`nmf_helpers.masked`).

Both rules are one rule: for a factor F of A ~ F @ G.T,
``F <- F * (A @ G) / (F @ G.T @ G)``; with (A, F, G) = (X, Z, H.T) it updates
Z, with (X.T, H.T, Z) it updates H, transposed. :func:`_multiplicative_update`
is that rule, written once; :func:`update_h`, :func:`update_z` and the loop of
:func:`non_negative` call it.

Dense arrays, DataFrames and scipy.sparse matrices are accepted; with sparse
input no product densifies X. The structure follows scikit-learn's
``sklearn/decomposition/_nmf.py`` (``_fit_multiplicative_update``).

Reference: D. D. Lee and H. S. Seung, "Algorithms for non-negative matrix
factorization", NIPS 2001.
"""

import numpy as np
import scipy.sparse as sp

from nmf_course._solver import (
    EPSILON,
    check_matrix,
    check_non_negative_number,
    converged,
    flush_tiny,
    init_factors,
    one_blas_thread,
    prepare,
    report_progress,
    verbose_every,
    warn_not_converged,
)

__all__ = ["EPSILON", "non_negative", "squared_loss", "update_h", "update_z"]

# Subnormals build up slowly; clearing them every few iterations is enough.
_FLUSH_EVERY = 10


def update_h(data, Z, H, *, eps=EPSILON):
    """One multiplicative update of H: ``H * (Z^T X) / max(Z^T Z H, eps)``.

    Parameters
    ----------
    data : array-like of shape (n_samples, n_features)
        Non-negative data X; dense, DataFrame or scipy.sparse.
    Z : array-like of shape (n_samples, n_components)
    H : array-like of shape (n_components, n_features)
    eps : float, default=EPSILON
        Floor of the denominator.

    Returns
    -------
    H_new : ndarray of shape (n_components, n_features)
        A new array; ``H`` is left unchanged.
    """
    x = check_matrix(data, "data", "update_h")
    z, h = _as_factors(x, Z, H)
    ht = h.T.copy()
    _multiplicative_update(x.T, ht, z, eps=eps)
    return np.ascontiguousarray(ht.T)


def update_z(data, Z, H, *, eps=EPSILON):
    """One multiplicative update of Z: ``Z * (X H^T) / max(Z H H^T, eps)``.

    Parameters
    ----------
    data : array-like of shape (n_samples, n_features)
    Z : array-like of shape (n_samples, n_components)
    H : array-like of shape (n_components, n_features)
        Pass the *new* H to follow the assignment's order (H first, then Z).
    eps : float, default=EPSILON

    Returns
    -------
    Z_new : ndarray of shape (n_samples, n_components)
        A new array; ``Z`` is left unchanged.
    """
    x = check_matrix(data, "data", "update_z")
    z, h = _as_factors(x, Z, H)
    z = z.copy()
    _multiplicative_update(x, z, h.T, eps=eps)
    return z


def squared_loss(data, Z, H):
    """Squared Frobenius reconstruction error ``||X - Z H||^2`` (not halved).

    Parameters
    ----------
    data : array-like of shape (n_samples, n_features)
    Z : array-like of shape (n_samples, n_components)
    H : array-like of shape (n_components, n_features)

    Returns
    -------
    loss : float
    """
    x = check_matrix(data, "data", "squared_loss")
    z, h = _as_factors(x, Z, H)
    if sp.issparse(x):
        return _squared_loss_from_parts(_squared_norm(x), z, _product(x, h.T), h @ h.T)
    residual = x - z @ h
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
        Starting factors. None draws ``|N(0, 1)|`` entries from
        ``np.random.default_rng(random_state)``, Z0 first, then H0.
    random_state : int, numpy Generator or None, default=None
        Seed for the random start.
    eps : float, default=EPSILON
        Floor of the update denominators.
    return_loss : bool, default=False
        Also return the loss before the first and after every iteration.
    verbose : bool or int, default=False
        Print the loss every ``verbose`` iterations (every 100 for True).

    Returns
    -------
    Z : ndarray of shape (n_samples, num_components)
    H : ndarray of shape (num_components, n_features)
    losses : ndarray of shape (n_iterations_run + 1,)
        Only when ``return_loss`` is True.

    Notes
    -----
    The loop runs on one core, with BLAS limited to one thread: its products
    are many and short, and BLAS threads (or threads over row blocks) cost
    more than they saved on the course's data, idle or on a shared machine
    (``bench/bench_nmf.py``, README "Performance").

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
    X, n_components, max_iter, tol = prepare(data, num_components, num_iterations, tol, caller)
    eps = check_non_negative_number(eps, "eps", caller)
    Z, H = init_factors(X.shape, n_components, init, random_state, X.dtype, caller)
    Z, H, n_iter, losses = _fit_multiplicative_update(
        X,
        Z,
        H,
        max_iter=max_iter,
        tol=tol,
        eps=eps,
        compute_loss=bool(return_loss or tol is not None or verbose),
        verbose=verbose_every(verbose),
    )
    if tol is not None and n_iter > 0 and not converged(losses, tol, n_iter):
        warn_not_converged(caller, n_iter, tol)
    if return_loss:
        return Z, H, losses
    return Z, H


def _fit_multiplicative_update(X, Z, H, *, max_iter, tol, eps, compute_loss, verbose):
    """The loop: H, then Z with the new H, until ``max_iter`` or the ``tol`` rule.

    H is kept transposed, so that both updates are one rule on the same kind of
    operands, and the factors are laid out for their products: C order for
    sparse X (scipy's sparse products want it), Fortran order for dense X
    (BLAS writes the long, thin products fastest that way). Every iteration
    runs in the same preallocated buffers.

    Returns
    -------
    Z, H : ndarray, C-ordered
    n_iter : int
        Iterations run.
    losses : ndarray of shape (n_iter + 1,)
        The loss before the first and after every iteration; empty unless
        ``compute_loss``.
    """
    sparse = sp.issparse(X)
    order = "C" if sparse else "F"
    Xt = X.T.tocsr() if sparse else X.T
    Z = np.array(Z, order=order)
    Ht = np.array(H.T, order=order)
    buffers_z = np.empty_like(Z), np.empty_like(Z)
    buffers_h = np.empty_like(Ht), np.empty_like(Ht)
    losses = []
    if compute_loss:
        norm_x = _squared_norm(X)
        losses.append(_squared_loss_from_parts(norm_x, Z, _product(X, Ht, buffers_z[0]), Ht.T @ Ht))
    n_iter = 0
    with one_blas_thread():
        for n_iter in range(1, max_iter + 1):
            _multiplicative_update(Xt, Ht, Z, eps=eps, out=buffers_h)
            XHt, HHt = _multiplicative_update(X, Z, Ht, eps=eps, out=buffers_z)
            if n_iter % _FLUSH_EVERY == 0:
                flush_tiny(Z)
                flush_tiny(Ht)
            if compute_loss:
                losses.append(_squared_loss_from_parts(norm_x, Z, XHt, HHt))
                report_progress(verbose, "non_negative", n_iter, losses[-1])
                if converged(losses, tol, n_iter):
                    break
    return np.ascontiguousarray(Z), np.ascontiguousarray(Ht.T), n_iter, np.array(losses)


def _multiplicative_update(A, F, G, *, eps, out=None):
    """Lee & Seung's rule for the factor F of A ~ F @ G.T, in place::

        F <- F * (A @ G) / max(F @ (G.T @ G), eps)

    (X, Z, H.T) updates Z; (X.T, H.T, Z) updates H, transposed.

    Parameters
    ----------
    A : ndarray or sparse matrix of shape (n, m)
    F : ndarray of shape (n, M)
        Updated in place.
    G : ndarray of shape (m, M)
    eps : float
    out : tuple of two ndarrays shaped and ordered like F, default=None
        Buffers for the numerator and the denominator.

    Returns
    -------
    AG : ndarray of shape (n, M)
        The numerator ``A @ G``, which the loss reuses.
    GtG : ndarray of shape (M, M)
    """
    numer, denom = out if out is not None else (None, None)
    GtG = G.T @ G
    AG = _product(A, G, numer)
    denom = np.matmul(F, GtG, out=denom)
    np.maximum(denom, eps, out=denom)
    np.divide(AG, denom, out=denom)
    F *= denom
    return AG, GtG


def _product(A, B, out=None):
    """``A @ B`` for a dense or sparse A and a dense B, into ``out`` when A is dense."""
    if sp.issparse(A):
        return np.asarray(A @ B)
    return np.matmul(A, B, out=out)


def _squared_norm(X):
    values = X.data if sp.issparse(X) else X
    values = values.ravel(order="K")
    return float(np.dot(values, values))


def _squared_loss_from_parts(norm_x, Z, XHt, HHt):
    """``||X - Z H||^2 = ||X||^2 - 2 <Z, X H^T> + <Z^T Z, H H^T>``, never densifying X.

    ``Z`` and ``XHt`` have the same memory layout. Rounding can take the
    difference a hair below zero for an exact fit.
    """
    cross = float(np.dot(Z.ravel(order="K"), XHt.ravel(order="K")))
    return max(norm_x - 2.0 * cross + float(np.vdot(Z.T @ Z, HHt)), 0.0)


def _as_factors(x, Z, H):
    """Z and H as C-ordered float arrays of the data's precision (or wider)."""
    dtype = np.result_type(x.dtype, np.asarray(Z).dtype, np.asarray(H).dtype, np.float32)
    return np.ascontiguousarray(Z, dtype=dtype), np.ascontiguousarray(H, dtype=dtype)

"""Reference NMF for the generalised Kullback-Leibler divergence (Lee & Seung's updates).

For data X ~ Z @ H, with ``/`` elementwise and the denominators clipped at eps::

    H <- H * (Z.T @ (X / ZH)) / (column sums of Z)
    Z <- Z * ((X / ZH) @ H.T) / (row sums of H)      # with the new H

As in :mod:`nmf_helpers.nmf`, both are one rule on a factor F of A ~ F @ G.T,
written once in :func:`_multiplicative_update_kl`, and the loop has the same
shape. With sparse X the ratio X / ZH is formed only where X stores entries.
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

from .nmf import _FLUSH_EVERY, _as_factors, _product

__all__ = ["kl_divergence", "non_negative_kl"]


def kl_divergence(data, Z, H, *, eps=EPSILON):
    """Generalised Kullback-Leibler divergence ``sum(X log(X / ZH) - X + ZH)``.

    Parameters
    ----------
    data : array-like of shape (n_samples, n_features)
    Z : array-like of shape (n_samples, n_components)
    H : array-like of shape (n_components, n_features)
    eps : float, default=EPSILON
        Floor of ZH inside the logarithm.

    Returns
    -------
    divergence : float
    """
    x = check_matrix(data, "data", "kl_divergence")
    z, h = _as_factors(x, Z, H)
    return _kl_divergence(x, z, h.T, eps)


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

    Parameters and returns are those of :func:`~nmf_helpers.non_negative`; the
    losses are values of :func:`kl_divergence`.

    Examples
    --------
    >>> import numpy as np
    >>> from nmf_helpers import non_negative_kl
    >>> X = np.array([[1., 2.], [2., 4.], [3., 6.]])
    >>> Z, H = non_negative_kl(X, 1, random_state=0)
    >>> bool(np.allclose(Z @ H, X))
    True
    """
    caller = "non_negative_kl"
    X, n_components, max_iter, tol = prepare(data, num_components, num_iterations, tol, caller)
    eps = check_non_negative_number(eps, "eps", caller)
    Z, H = init_factors(X.shape, n_components, init, random_state, X.dtype, caller)
    Z, H, n_iter, losses = _fit_multiplicative_update_kl(
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


def _fit_multiplicative_update_kl(X, Z, H, *, max_iter, tol, eps, compute_loss, verbose):
    """The loop of :func:`non_negative_kl`; returns ``(Z, H, n_iter, losses)``.

    Same shape as :func:`nmf_helpers.nmf._fit_multiplicative_update`.
    """
    Xt = X.T.tocsr() if sp.issparse(X) else X.T
    Z = np.array(Z, order="C")
    Ht = np.array(H.T, order="C")
    losses = [_kl_divergence(X, Z, Ht, eps)] if compute_loss else []
    n_iter = 0
    with one_blas_thread():
        for n_iter in range(1, max_iter + 1):
            _multiplicative_update_kl(Xt, Ht, Z, eps=eps)
            _multiplicative_update_kl(X, Z, Ht, eps=eps)
            if n_iter % _FLUSH_EVERY == 0:
                flush_tiny(Z)
                flush_tiny(Ht)
            if compute_loss:
                losses.append(_kl_divergence(X, Z, Ht, eps))
                report_progress(verbose, "non_negative_kl", n_iter, losses[-1])
                if converged(losses, tol, n_iter):
                    break
    return Z, np.ascontiguousarray(Ht.T), n_iter, np.array(losses)


def _multiplicative_update_kl(A, F, G, *, eps):
    """Lee & Seung's KL rule for the factor F of A ~ F @ G.T, in place::

        F <- F * ((A / max(F @ G.T, eps)) @ G) / max(column sums of G, eps)

    (X, Z, H.T) updates Z; (X.T, H.T, Z) updates H, transposed.
    """
    numer = _product(_divide_by_product(A, F, G, eps), G)
    numer /= np.maximum(G.sum(axis=0), eps)
    F *= numer


def _divide_by_product(A, F, G, eps):
    """``A / max(F @ G.T, eps)``; for sparse A only where A stores entries (elsewhere it is 0)."""
    if sp.issparse(A):
        A = A.tocsr()
        rows, cols = _stored_positions(A)
        predicted = np.einsum("ij,ij->i", F[rows], G[cols])
        return sp.csr_matrix((A.data / np.maximum(predicted, eps), A.indices, A.indptr), shape=A.shape)
    return A / np.maximum(F @ G.T, eps)


def _stored_positions(A):
    """(rows, cols) of the stored entries of a CSR matrix, in storage order."""
    return np.repeat(np.arange(A.shape[0]), np.diff(A.indptr)), A.indices


def _kl_divergence(X, Z, Ht, eps):
    """The divergence of ``Z @ Ht.T`` from X (see :func:`kl_divergence`)."""
    total_predicted = float(Z.sum(axis=0) @ Ht.sum(axis=0))
    if sp.issparse(X):
        rows, cols = _stored_positions(X)
        observed = X.data
        predicted = np.einsum("ij,ij->i", Z[rows], Ht[cols])
    else:
        observed = X.ravel()
        predicted = (Z @ Ht.T).ravel()
    np.maximum(predicted, eps, out=predicted)
    positive = observed > 0
    observed_positive = observed[positive]
    return float(
        np.sum(observed_positive * np.log(observed_positive / predicted[positive]))
        - observed.sum()
        + total_predicted
    )

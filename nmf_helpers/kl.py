"""Reference NMF for the generalised Kullback-Leibler divergence (Lee & Seung's updates)."""

import numpy as np
import scipy.sparse as sp

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

__all__ = ["kl_divergence", "non_negative_kl"]


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
    x, m_comp, n_iter, tol = prepare(data, num_components, num_iterations, tol, caller)
    eps = check_non_negative_number(eps, "eps", caller)
    z, h = init_factors(x.shape, m_comp, init, random_state, x.dtype, caller)
    track = return_loss or tol is not None or verbose
    every = verbose_every(verbose)
    losses = [_kl_loss(x, z, h, eps)] if track else []
    for iteration in range(1, n_iter + 1):
        ratio = _kl_ratio(x, z, h, eps)
        numer = np.asarray(ratio.T.tocsr() @ z).T if sp.issparse(ratio) else z.T @ ratio
        h *= numer / np.maximum(z.sum(axis=0)[:, None], eps)
        ratio = _kl_ratio(x, z, h, eps)
        z *= np.asarray(ratio @ h.T) / np.maximum(h.sum(axis=1)[None, :], eps)
        if track:
            losses.append(_kl_loss(x, z, h, eps))
            report_progress(every, caller, iteration, losses[-1])
            if converged(losses, tol, iteration):
                break
    else:
        if tol is not None and n_iter > 0:
            warn_not_converged(caller, n_iter, tol)
    if return_loss:
        return z, h, np.array(losses)
    return z, h

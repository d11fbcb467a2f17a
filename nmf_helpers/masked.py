"""Masked multiplicative updates: the reference for the optional extension of ``non_negative``.

Lecture 02 writes out how the students' own ``non_negative`` extends to observed entries
only (weighted NMF with 0/1 weights). This is the instructors' reference of that
extension; the course library ships the faster, exact coordinate descent instead
(:func:`nmf_course.non_negative_masked`).
"""

import numpy as np
import scipy.sparse as sp

from nmf_course._solver import (
    EPSILON,
    check_components,
    check_iterations,
    check_non_negative_number,
    check_random_state,
    converged,
    init_factors,
    report_progress,
    verbose_every,
    warn_not_converged,
)
from nmf_course.evaluate import fit_biases
from nmf_course.masked import MaskedNMF, observed_entries

__all__ = ["non_negative_masked_mu"]


def non_negative_masked_mu(
    data,
    num_components,
    *,
    mask=None,
    l2=0.0,
    biases=False,
    bias_l2=1.0,
    num_iterations=200,
    tol=None,
    init=None,
    random_state=None,
    eps=EPSILON,
    verbose=False,
):
    """Fit non-negative factors to the observed entries with multiplicative updates.

    The objective is that of :func:`nmf_course.non_negative_masked`; the biases, when
    asked for, are fitted once first. Slow to converge: shown in the course for
    comparison with coordinate descent.

    Returns
    -------
    model : MaskedNMF
    """
    caller = "non_negative_masked_mu"
    rows, cols, values, shape = observed_entries(data, mask, caller)
    m_comp = check_components(num_components, caller)
    n_iter = check_iterations(num_iterations, caller)
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
        z, h = init_factors(shape, m_comp, init, None, np.float64, caller)
    model, done = _masked_mu(
        rows, cols, values, shape, z, h, l2, biases, bias_l2, n_iter, tol, eps, verbose_every(verbose)
    )
    if tol is not None and done == n_iter > 0 and not converged(model.losses, tol, n_iter):
        warn_not_converged(caller, n_iter, tol)
    return model


def _masked_mu(rows, cols, values, shape, z, h, l2, biases, bias_l2, n_iter, tol, eps, every):
    """Multiplicative updates on the observed entries (see non_negative_masked).

    The residual that the biases leave can be negative: Z H >= 0 fits its
    positive part, and the negative part enters the denominators.
    """
    n, m = shape
    if biases:
        mean, row_bias, col_bias = fit_biases(rows, cols, values, shape, bias_l2)
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
        report_progress(every, "non_negative_masked_mu", iteration, losses[-1])
        if converged(losses, tol, iteration):
            break
    return MaskedNMF(z, h, mean, row_bias, col_bias, np.array(losses), l2, bias_l2), done

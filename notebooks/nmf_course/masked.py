"""Masked NMF: non-negative factors fitted to the observed entries of a matrix only.

For ratings, where most entries are missing rather than zero: the loss counts the
observed ratings alone, the factors are regularised in proportion to how many ratings
back them, and optional biases (a mean, a bias per row and per column) carry what the
factors need not explain. The solver is exact coordinate descent, so the loss never
increases.
"""

import numpy as np
import scipy.sparse as sp

from ._solver import (
    EPSILON,
    check_components,
    check_iterations,
    check_matrix,
    check_non_negative_number,
    check_random_state,
    converged,
    init_factors,
    report_progress,
    verbose_every,
    warn_not_converged,
)

__all__ = ["MaskedNMF", "non_negative_masked", "observed_entries"]


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
            extra = {name[len("extra_") :]: data[name] for name in data.files if name.startswith("extra_")}
        return model, extra

    def __repr__(self):
        return (
            f"MaskedNMF(n_rows={self.Z.shape[0]}, n_columns={self.H.shape[1]}, "
            f"n_components={self.Z.shape[1]}, biases={self.has_biases})"
        )


def observed_entries(data, mask, caller):
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


def non_negative_masked(
    data,
    num_components,
    *,
    mask=None,
    l2=0.08,
    biases=False,
    bias_l2=1.0,
    num_iterations=20,
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
    num_iterations : int, default=20
        Sweeps of coordinate descent: one component (a column of Z, then the
        same row of H) at a time, with the biases refitted every sweep. Each
        step minimises the objective exactly, so the loss never increases.
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
    >>> from nmf_course import non_negative_masked
    >>> X = np.array([[5., 4., np.nan], [4., np.nan, 1.], [np.nan, 1., 1.]])
    >>> model = non_negative_masked(X, 2, l2=0.0, random_state=0, num_iterations=500)
    >>> bool(np.allclose(model.predict([0, 1, 2], [0, 2, 1]), [5, 1, 1], atol=0.05))
    True
    """
    caller = "non_negative_masked"
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
    model, done = _masked_cd(
        rows, cols, values, shape, z, h, l2, biases, bias_l2, n_iter, tol, eps, verbose_every(verbose)
    )
    if tol is not None and done == n_iter > 0 and not converged(model.losses, tol, n_iter):
        warn_not_converged(caller, n_iter, tol)
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
        penalty = l2 * (
            float(row_count @ np.sum(zt * zt, axis=0)) + float(col_count @ np.sum(ht * ht, axis=0))
        )
        return (
            float(residual @ residual) + penalty + bias_l2 * float(row_bias @ row_bias + col_bias @ col_bias)
        )

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
        for z_k, h_k in zip(zt, ht, strict=False):
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
        report_progress(every, "non_negative_masked", sweep, losses[-1])
        if converged(losses, tol, sweep):
            break
    model = MaskedNMF(np.ascontiguousarray(zt.T), ht, mean, row_bias, col_bias, np.array(losses), l2, bias_l2)
    return model, done

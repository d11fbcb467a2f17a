"""Masked NMF: non-negative factors fitted to the observed entries of a matrix only.

For ratings, where most entries are missing rather than zero: the loss counts the
observed ratings alone, the factors are regularised in proportion to how many ratings
back them, and optional biases (a mean, a bias per row and per column) carry what the
factors need not explain. The solver is exact coordinate descent, so the loss of a fit
never increases. With biases, the default averages a few short fits from different
random starts (the average of non-negative factorisations is one, with the factors
side by side): chosen on validation ratings carved from MovieLens-100k's training
splits, see ``bench/bench_masked.py``.
"""

import numbers

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

# The defaults with biases, chosen on validation ratings carved from MovieLens-100k's
# training splits, never on their test files (bench/bench_masked.py): a few short fits,
# averaged. Stopping after a few sweeps regularises; averaging fits from different
# random starts removes much of the variance of any one of them.
TUNED_SWEEPS = 8
TUNED_FITS = 4
# Without biases: one fit, run to (near) convergence, as the lectures show it.
PLAIN_SWEEPS = 20


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
    losses : ndarray of shape (n_sweeps + 1,)
        Regularised training loss before the first and after every sweep (the
        mean over the fits for an averaged model).
    l2, bias_l2 : float
        The penalties it was fitted with (used by :meth:`fold_in`).
    n_fits : int
        How many fits were averaged: ``Z`` holds their factors side by side, each
        scaled by ``1 / sqrt(n_fits)``, so ``Z H`` is the mean of their products.
    """

    def __init__(self, Z, H, mean, row_bias, col_bias, losses, l2=0.0, bias_l2=0.0, n_fits=1):
        self.Z, self.H = Z, H
        self.mean, self.row_bias, self.col_bias = float(mean), row_bias, col_bias
        self.losses = losses
        self.l2, self.bias_l2 = float(l2), float(bias_l2)
        self.n_fits = int(n_fits)

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

    def fold_in(self, cols, values):
        """A new row from a few observed entries, with H and the column biases fixed.

        Minimises the model's objective for one new row exactly (one non-negative
        least-squares problem): ``sum_k (values_k - mean - b - col_bias[cols_k] -
        z . H[:, cols_k])^2 + l2 n ||z||^2 + bias_l2 b^2`` over z >= 0 and the row
        bias b (kept 0 for a model without biases), where n is the number of entries.

        Parameters
        ----------
        cols : array-like of int of shape (n_entries,)
            Column positions of the observed entries.
        values : array-like of shape (n_entries,)

        Returns
        -------
        z : ndarray of shape (n_components,)
        bias : float
        """
        from scipy.optimize import nnls

        cols = np.asarray(cols)
        values = np.asarray(values, dtype=float)
        if cols.shape != values.shape or cols.ndim != 1 or cols.size == 0:
            raise ValueError("cols and values passed to fold_in must be equally long, non-empty 1-d arrays.")
        if not np.issubdtype(cols.dtype, np.integer):
            raise TypeError(f"cols passed to fold_in must hold integer column positions, got {cols.dtype}.")
        if cols.min() < 0 or cols.max() >= self.H.shape[1]:
            raise IndexError(f"cols passed to fold_in must be column positions in 0..{self.H.shape[1] - 1}.")
        if not np.all(np.isfinite(values)):
            raise ValueError("values passed to fold_in must be finite.")
        k = self.H.shape[0]
        blocks = [self.H[:, cols].T, np.sqrt(self.l2 * cols.size) * np.eye(k)]
        if self.has_biases:
            # b = b_plus - b_minus with both >= 0: at the optimum one of them is 0 (else
            # lowering both keeps the fit and lowers the penalty), so this is exact.
            ones = np.ones((cols.size, 1))
            blocks = [
                np.hstack([blocks[0], ones, -ones]),
                np.hstack([blocks[1], np.zeros((k, 2))]),
                np.hstack([np.zeros((2, k)), np.sqrt(self.bias_l2) * np.eye(2)]),
            ]
        design = np.vstack(blocks)
        target = np.concatenate(
            [values - self.mean - self.col_bias[cols], np.zeros(design.shape[0] - cols.size)]
        )
        solution, _ = nnls(design, target, maxiter=50 * design.shape[1])
        bias = float(solution[k] - solution[k + 1]) if self.has_biases else 0.0
        return solution[:k], bias

    def save(self, path, **extra):
        """Save to an ``.npz`` file (no pickle); ``extra`` arrays (e.g. ids) are kept beside."""
        arrays = {f"extra_{name}": np.asarray(value) for name, value in extra.items()}
        np.savez_compressed(
            path, Z=self.Z, H=self.H, mean=self.mean, row_bias=self.row_bias, col_bias=self.col_bias,
            losses=self.losses, l2=self.l2, bias_l2=self.bias_l2, n_fits=self.n_fits, **arrays,
        )  # fmt: skip

    @classmethod
    def load(cls, path):
        """Load a model saved with :meth:`save`; returns ``(model, extra)``."""
        with np.load(path, allow_pickle=False) as data:
            model = cls(
                data["Z"], data["H"], float(data["mean"]), data["row_bias"], data["col_bias"],
                data["losses"], float(data["l2"]), float(data["bias_l2"]),
                int(data["n_fits"]) if "n_fits" in data.files else 1,
            )  # fmt: skip
            extra = {name[len("extra_") :]: data[name] for name in data.files if name.startswith("extra_")}
        return model, extra

    def __repr__(self):
        averaged = f", n_fits={self.n_fits}" if self.n_fits > 1 else ""
        return (
            f"MaskedNMF(n_rows={self.Z.shape[0]}, n_columns={self.H.shape[1]}, "
            f"n_components={self.Z.shape[1]}, biases={self.has_biases}{averaged})"
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
    l2=0.07,
    biases=False,
    bias_l2=2.5,
    num_iterations=None,
    n_fits=None,
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

    With biases the defaults are the ones chosen on validation ratings of
    MovieLens-100k (``bench/bench_masked.py``), for tens of components: 4 fits of 8
    sweeps each from different random starts, averaged. The average is again a
    non-negative factorisation, with ``n_fits * num_components`` components. For a
    single, converged factorisation (e.g. to read its components) pass ``n_fits=1`` and
    more sweeps (``num_iterations=50``).

    Parameters
    ----------
    data : array-like of shape (n_rows, n_columns)
        Dense data with NaN for missing entries, a DataFrame, or a
        scipy.sparse matrix whose stored entries are the observed ones.
    num_components : int
        Components of each fit.
    mask : array-like of bool of shape (n_rows, n_columns), default=None
        Which entries are observed; overrides the NaN / sparsity convention.
    l2 : float, default=0.07
        Count-scaled L2 penalty on the factors.
    biases : bool, default=False
        Fit a global mean and row and column biases around the factors.
    bias_l2 : float, default=2.5
        Ridge penalty of the biases.
    num_iterations : int, default=None
        Sweeps of coordinate descent per fit: one component (a column of Z, then
        the same row of H) at a time, with the biases refitted every sweep. Each
        step minimises the objective exactly, so the loss never increases. None
        means 8 with biases (stopping early regularises) and 20 without.
    n_fits : int, default=None
        Fits from different random starts to average. None means 4 with biases
        and a random start, else 1.
    tol, init, random_state, eps, verbose
        As in :func:`non_negative`. ``init`` is one pair (Z0, H0), so it allows
        ``n_fits=1`` only. The random start is uniform, scaled so that ``Z H``
        starts near the data's mean (without biases) or its standard deviation
        (with biases).

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
    if num_iterations is None:
        num_iterations = TUNED_SWEEPS if biases else PLAIN_SWEEPS
    n_iter = check_iterations(num_iterations, caller)
    n_fits = _check_fits(n_fits, biases, init, caller)
    l2 = check_non_negative_number(l2, "l2", caller)
    bias_l2 = check_non_negative_number(bias_l2, "bias_l2", caller)
    eps = check_non_negative_number(eps, "eps", caller)
    if tol is not None:
        tol = check_non_negative_number(tol, "tol", caller)
    if not biases and (values < 0).any():
        raise ValueError(f"Negative values in data passed to {caller}: use biases=True, or shift the data.")
    problem = _Observed(rows, cols, values, shape)
    rng = check_random_state(random_state, caller) if init is None else None
    every = verbose_every(verbose)
    fits, unconverged = [], False
    for fit in range(n_fits):
        if init is None:
            z, h = _random_start(rng, shape, m_comp, values, biases, eps)
        else:
            z, h = init_factors(shape, m_comp, init, None, np.float64, caller)
        label = caller if n_fits == 1 else f"{caller} (fit {fit + 1} of {n_fits})"
        model, done = _masked_cd(problem, z, h, l2, biases, bias_l2, n_iter, tol, eps, every, label)
        unconverged |= tol is not None and done == n_iter > 0 and not converged(model.losses, tol, n_iter)
        fits.append(model)
    if unconverged:  # once, however many fits ran out of sweeps
        warn_not_converged(caller, n_iter, tol)
    return fits[0] if n_fits == 1 else _average(fits)


def _check_fits(n_fits, biases, init, caller):
    if n_fits is None:
        return TUNED_FITS if biases and init is None else 1
    if isinstance(n_fits, (bool, np.bool_)) or not isinstance(n_fits, numbers.Integral) or n_fits < 1:
        raise ValueError(f"n_fits passed to {caller} must be a positive integer, got {n_fits!r}.")
    if init is not None and n_fits > 1:
        raise ValueError(
            f"n_fits passed to {caller} must be 1 when init is given (one start, one fit), got {n_fits}."
        )
    return int(n_fits)


def _random_start(rng, shape, num_components, values, biases, eps):
    """Uniform Z and H (Z first, then H) whose product starts near the data's level.

    Each entry of Z H is a sum of num_components products with mean scale^2 / 4. Without
    biases that level is the data's mean; with biases, which carry the mean, it is
    the data's spread (the standard deviation): chosen on validation ratings.
    """
    n, m = shape
    level = values.std() if biases else values.mean()
    scale = 2.0 * np.sqrt(max(level, eps) / num_components)
    z = rng.uniform(0.0, scale, (n, num_components))
    h = rng.uniform(0.0, scale, (num_components, m))
    return z, h


class _Observed:
    """The observed entries in row-major order, with the counts and sparse patterns
    that every fit of the same data shares."""

    def __init__(self, rows, cols, values, shape):
        n, m = shape
        order = np.lexsort((cols, rows))
        self.rows, self.cols, self.values = rows[order], cols[order], values[order]
        self.shape = shape
        self.row_runs = np.bincount(self.rows, minlength=n)  # x[rows] == np.repeat(x, row_runs), faster
        self.row_count = self.row_runs.astype(float)
        self.col_count = np.bincount(self.cols, minlength=m).astype(float)
        self.indptr = np.concatenate([[0], np.cumsum(self.row_runs)]).astype(np.int64)
        self.pattern = sp.csr_matrix((np.ones_like(self.values), self.cols, self.indptr), shape=shape)


def _masked_cd(problem, z, h, l2, biases, bias_l2, n_iter, tol, eps, every, label):
    """Coordinate descent on the observed entries (see non_negative_masked).

    The residuals e of the observed entries live in one array, in row-major
    order, shared by a CSR matrix E (and its transpose, a CSC view of the same
    arrays): ``E @ h_k`` and ``E.T @ z_k`` give the sums that the closed-form
    update of one component needs, without gathering into temporaries.
    """
    n, m = problem.shape
    rows, cols, values = problem.rows, problem.cols, problem.values
    row_count, col_count, pattern = problem.row_count, problem.col_count, problem.pattern
    runs = problem.row_runs
    zt, ht = np.ascontiguousarray(z.T), np.ascontiguousarray(h)  # one component per row
    mean = float(values.mean()) if biases else 0.0
    row_bias, col_bias = np.zeros(n), np.zeros(m)
    residual = values - mean - np.einsum("ki,ki->i", zt[:, rows], ht[:, cols])
    E = sp.csr_matrix((residual, cols, problem.indptr), shape=problem.shape, copy=False)
    E_t, pattern_t = E.T, pattern.T  # CSC views of the same arrays, made once (each .T is a new object)
    reg_rows, reg_cols = l2 * row_count, l2 * col_count
    change = np.empty_like(residual)  # reused: no page faults

    def loss():
        # Sums, not BLAS dot products: a BLAS call may wait for a thread that a busy machine
        # has descheduled, which costs more than the product.
        penalty = l2 * (float(np.sum(row_count * zt * zt)) + float(np.sum(col_count * ht * ht)))
        biases_penalty = bias_l2 * float(np.sum(row_bias * row_bias) + np.sum(col_bias * col_bias))
        return float(np.sum(residual * residual)) + penalty + biases_penalty

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
        # sum_j h_jk^2 over each row's entries, for every k at once: h_k changes only
        # after z_k has used it.
        row_squares = np.ascontiguousarray((pattern @ (ht * ht).T).T)
        for z_k, h_k, squares in zip(zt, ht, row_squares, strict=True):
            # z_k <- max(0, sum_j h_jk (e_ij + z_ik h_jk) / (sum_j h_jk^2 + l2 n_i))
            new = np.maximum((E @ h_k + z_k * squares) / np.maximum(squares + reg_rows, eps), 0.0)
            np.multiply(np.repeat(new - z_k, runs), h_k[cols], out=change)
            residual -= change
            z_k[...] = new
            squares = pattern_t @ (z_k * z_k)
            new = np.maximum((E_t @ z_k + h_k * squares) / np.maximum(squares + reg_cols, eps), 0.0)
            np.multiply((new - h_k)[cols], np.repeat(z_k, runs), out=change)
            residual -= change
            h_k[...] = new
        losses.append(loss())
        done = sweep
        report_progress(every, label, sweep, losses[-1])
        if converged(losses, tol, sweep):
            break
    model = MaskedNMF(np.ascontiguousarray(zt.T), ht, mean, row_bias, col_bias, np.array(losses), l2, bias_l2)
    return model, done


def _average(fits):
    """One MaskedNMF whose predictions are the mean of the fits' predictions.

    The mean of the products Z_f H_f is [Z_1 ... Z_K] [H_1; ...; H_K] / K: the
    factors side by side, each scaled by 1/sqrt(K), still non-negative.
    """
    scale = 1.0 / np.sqrt(len(fits))
    length = max(len(fit.losses) for fit in fits)  # a fit that stopped on tol keeps its last loss
    losses = np.mean([np.pad(fit.losses, (0, length - len(fit.losses)), mode="edge") for fit in fits], axis=0)
    return MaskedNMF(
        np.hstack([fit.Z for fit in fits]) * scale,
        np.vstack([fit.H for fit in fits]) * scale,
        fits[0].mean,
        np.mean([fit.row_bias for fit in fits], axis=0),
        np.mean([fit.col_bias for fit in fits], axis=0),
        losses,
        fits[0].l2,
        fits[0].bias_l2,
        n_fits=len(fits),
    )

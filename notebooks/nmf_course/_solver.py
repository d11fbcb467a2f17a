"""Pieces shared by the course's NMF solvers: input checks and the shape of an iteration loop.

The checks are scikit-learn's (:func:`~sklearn.utils.check_array`,
:func:`~sklearn.utils.check_scalar`, :func:`~sklearn.utils.validation.check_non_negative`),
with messages that name the argument and the function it was passed to, e.g.
``num_iterations passed to non_negative_masked must be a non-negative integer``.
"""

import inspect
import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array, check_scalar
from sklearn.utils.validation import check_non_negative
from threadpoolctl import threadpool_limits

#: Floor for the denominators of the multiplicative updates.
EPSILON = 1e-10

# The tolerance test runs every this many iterations, as in scikit-learn.
CHECK_EVERY = 10

# Let NaN and inf through check_array, to be refused with our own messages. (scikit-learn 1.6
# renamed force_all_finite to ensure_all_finite; 1.8 removed the old name.)
_KEEP_NON_FINITE = {
    "ensure_all_finite" if "ensure_all_finite" in inspect.signature(check_array).parameters
    else "force_all_finite": False
}  # fmt: skip

# Entries below this are flushed to zero (see flush_tiny).
_TINY = {np.dtype(t): np.sqrt(np.finfo(t).tiny) for t in (np.float32, np.float64)}


def check_matrix(data, name, caller, *, allow_nan=False, allow_negative=False):
    """Return ``data`` as a float ndarray or a CSR matrix, after checking it.

    Parameters
    ----------
    data : array-like or sparse matrix of shape (n_rows, n_columns)
        ndarray, list of lists, DataFrame or any scipy.sparse matrix.
    name, caller : str
        The argument's name and the function it was passed to, for the messages.
    allow_nan : bool, default=False
        Let NaN through (missing entries).
    allow_negative : bool, default=False
        Let negative values through.

    Returns
    -------
    x : ndarray or scipy.sparse CSR matrix of shape (n_rows, n_columns)
        float32 input stays float32 (half the memory, and what the caller
        chose); integers and booleans become float64. Sparse input stays
        sparse (never densified), with duplicate entries summed.
    """
    try:
        x = check_array(
            data, accept_sparse="csr", dtype=None, ensure_2d=False, allow_nd=True,
            ensure_min_samples=0, ensure_min_features=0, **_KEEP_NON_FINITE,
        )  # fmt: skip
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} passed to {caller} must be array-like (ndarray, DataFrame or "
            f"scipy.sparse matrix) of numbers; {exc}"
        ) from exc
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{name} passed to {caller} must hold numbers, got dtype {x.dtype}.")
    if x.ndim != 2:
        raise ValueError(
            f"{name} passed to {caller} must be 2-dimensional (rows x columns), "
            f"got {x.ndim} dimension(s) with shape {x.shape}; "
            "reshape it, e.g. data.reshape(1, -1) for a single row."
        )
    if 0 in x.shape:
        raise ValueError(f"{name} passed to {caller} is empty (shape {x.shape}).")
    x = check_array(x, accept_sparse="csr", dtype=(np.float64, np.float32), **_KEEP_NON_FINITE)
    if sp.issparse(x) and not x.has_canonical_format:
        x = x.copy()  # the caller's matrix is never changed
        x.sum_duplicates()
    values = x.data if sp.issparse(x) else x
    if not allow_nan and np.isnan(values).any():
        raise ValueError(
            f"NaN values in {name} passed to {caller}: fill the missing entries first "
            "(see nmf_helpers.rating_matrix) or use non_negative_masked, which ignores them."
        )
    if np.isinf(values).any():
        raise ValueError(f"Infinite values in {name} passed to {caller}.")
    if not allow_negative:
        try:
            check_non_negative(x, caller)
        except ValueError as exc:
            raise ValueError(
                f"{exc} NMF needs a non-negative matrix (the smallest entry is {np.nanmin(values):g})."
            ) from None
    return x


def check_components(num_components, caller):
    """Check that ``num_components`` is a positive integer and return it as int."""
    _check_scalar(num_components, "num_components", caller, numbers.Integral, 1, "a positive integer")
    return int(num_components)


def check_iterations(num_iterations, caller):
    """Check that ``num_iterations`` is an integer >= 0 and return it as int."""
    _check_scalar(
        num_iterations,
        "num_iterations",
        caller,
        numbers.Integral,
        0,
        "a non-negative integer",
        error=ValueError,
    )
    return int(num_iterations)


def check_non_negative_number(value, name, caller):
    """Check that ``value`` is a finite real number >= 0 and return it as float."""
    _check_scalar(value, name, caller, numbers.Real, 0, "a finite number >= 0", error=ValueError)
    return float(value)


def _check_scalar(value, name, caller, target_type, min_val, requirement, *, error=None):
    """scikit-learn's ``check_scalar``, plus finiteness, with a message naming the function.

    Booleans are refused (Python counts them as integers). ``error`` raises one
    exception class for every failure; by default a wrong type is a TypeError
    and a wrong value a ValueError.
    """
    try:
        if isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} is a bool")
        check_scalar(value, name, target_type, min_val=min_val)
        if not np.isfinite(value):
            raise ValueError(f"{name} is not finite")
    except (TypeError, ValueError) as exc:
        raise (error or type(exc))(
            f"{name} passed to {caller} must be {requirement}, got {value!r} of type {type(value).__name__}."
        ) from None


def check_factor(factor, name, shape, caller, dtype):
    """A given starting factor as a new array of ``dtype``: right shape, finite and non-negative."""
    try:
        factor = check_array(
            factor, dtype=dtype, copy=True, ensure_2d=False, allow_nd=True, ensure_min_samples=0,
            ensure_min_features=0, **_KEEP_NON_FINITE,
        )  # fmt: skip
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} passed to {caller} must be an array of numbers; {exc}") from exc
    if factor.shape != shape:
        raise ValueError(
            f"{name} passed to {caller} has shape {factor.shape}, expected {shape} "
            "to match data and num_components."
        )
    if not np.all(np.isfinite(factor)) or (factor < 0).any():
        raise ValueError(f"{name} passed to {caller} must be finite and non-negative.")
    return factor


def check_random_state(random_state, caller):
    """Turn None, an int or a Generator into a numpy Generator.

    (scikit-learn's ``check_random_state`` gives a legacy ``RandomState``; the
    course's random start is drawn with ``np.random.default_rng``.)
    """
    if random_state is None or isinstance(random_state, (numbers.Integral, np.random.SeedSequence)):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**31))
    raise TypeError(
        f"random_state passed to {caller} must be None, an int or a numpy Generator, "
        f"got {type(random_state).__name__}."
    )


def init_factors(shape, num_components, init, random_state, dtype, caller):
    """Starting factors: given ones (copied), or |N(0, 1)| entries, Z first, then H."""
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


def prepare(data, num_components, num_iterations, tol, caller):
    """The checks every solver starts with: ``(x, num_components, num_iterations, tol)``."""
    x = check_matrix(data, "data", caller)
    m_comp = check_components(num_components, caller)
    n_iter = check_iterations(num_iterations, caller)
    if tol is not None:
        tol = check_non_negative_number(tol, "tol", caller)
    return x, m_comp, n_iter, tol


def converged(losses, tol, iteration):
    """scikit-learn's rule: relative improvement over the last check below tol.

    Checked every :data:`CHECK_EVERY` iterations; ``losses`` holds the loss
    before the first and after every iteration.
    """
    if tol is None or iteration % CHECK_EVERY or len(losses) <= CHECK_EVERY:
        return False
    previous, current = losses[-1 - CHECK_EVERY], losses[-1]
    return (previous - current) / max(losses[0], np.finfo(float).tiny) < tol


def warn_not_converged(caller, num_iterations, tol):
    warnings.warn(
        f"{caller} stopped after num_iterations={num_iterations} before the relative "
        f"improvement fell below tol={tol:g}; increase num_iterations or tol.",
        ConvergenceWarning,
        stacklevel=3,
    )


def verbose_every(verbose):
    """How often to print the loss: every 100 iterations for True, never for False."""
    if verbose is True:
        return 100
    return int(verbose) if verbose else 0


def report_progress(verbose, caller, iteration, loss):
    if verbose and (iteration % verbose == 0):
        print(f"{caller}: iteration {iteration:5d}, loss {loss:.6g}", flush=True)


def flush_tiny(factor):
    """Set entries below sqrt(smallest normal float) to zero, in place.

    Entries that multiplicative updates drive towards zero would otherwise
    become subnormal floats, which are many times slower to compute with
    (measured: without this, the last 100 of 1000 MovieLens iterations ran
    2.1x slower than the first 100). Such an entry contributes less than
    1e-150 to any product; zero is where it is going.
    """
    np.putmask(factor, factor < _TINY[factor.dtype], 0)


def one_blas_thread():
    """A context in which BLAS runs on one thread.

    The loops' products are many and short: BLAS threads that wait for each
    other, or for a core another process holds, cost more than they save
    (see bench/bench_nmf.py and the README's performance section).
    """
    return threadpool_limits(1, user_api="blas")

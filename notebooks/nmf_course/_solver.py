"""Pieces shared by the course's NMF solvers: input checks and the shape of an iteration loop.

Every check names the argument it rejects and the function it was passed to, in the
style of scikit-learn's ``check_non_negative``.
"""

import numbers
import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

#: Floor for the denominators of the multiplicative updates.
EPSILON = 1e-10

# The tolerance test runs every this many iterations, as in scikit-learn.
CHECK_EVERY = 10


def check_matrix(data, name, caller, *, allow_nan=False, allow_negative=False):
    """Return ``data`` as a float ndarray or a CSR matrix, after checking it.

    DataFrames become their ``.to_numpy()``; integer and boolean inputs become
    float64; float32 stays float32 (half the memory, and what the caller chose).
    """
    if isinstance(data, pd.DataFrame):
        data = data.to_numpy()
    if sp.issparse(data):
        data = sp.csr_matrix(data)
        values = data.data
    else:
        try:
            data = np.asarray(data)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"{name} passed to {caller} must be array-like (ndarray, DataFrame or "
                f"scipy.sparse matrix), got {type(data).__name__}."
            ) from exc
        if data.dtype == object or not (np.issubdtype(data.dtype, np.number) or data.dtype == bool):
            raise TypeError(f"{name} passed to {caller} must hold numbers, got dtype {data.dtype}.")
        values = data
    if data.ndim != 2:
        raise ValueError(
            f"{name} passed to {caller} must be 2-dimensional (rows x columns), "
            f"got {data.ndim} dimension(s) with shape {data.shape}; "
            "reshape it, e.g. data.reshape(1, -1) for a single row."
        )
    if 0 in data.shape:
        raise ValueError(f"{name} passed to {caller} is empty (shape {data.shape}).")
    dtype = data.dtype if data.dtype in (np.float32, np.float64) else np.float64
    data = data.astype(dtype, copy=False)
    values = data.data if sp.issparse(data) else data
    if not allow_nan and np.isnan(values).any():
        raise ValueError(
            f"NaN values in {name} passed to {caller}: fill the missing entries first "
            "(see nmf_helpers.rating_matrix) or use non_negative_masked, which ignores them."
        )
    if np.isinf(values).any():
        raise ValueError(f"Infinite values in {name} passed to {caller}.")
    if not allow_negative and (values < 0).any():
        raise ValueError(
            f"Negative values in {name} passed to {caller}: NMF needs a non-negative "
            f"matrix (the smallest entry is {np.nanmin(values):g})."
        )
    return data


def check_components(num_components, caller):
    """Check that ``num_components`` is a positive integer and return it as int."""
    if isinstance(num_components, (bool, np.bool_)) or not isinstance(num_components, numbers.Integral):
        raise TypeError(
            f"num_components passed to {caller} must be a positive integer, "
            f"got {num_components!r} of type {type(num_components).__name__}."
        )
    if num_components < 1:
        raise ValueError(
            f"num_components passed to {caller} must be a positive integer, got {num_components}."
        )
    return int(num_components)


def check_iterations(num_iterations, caller):
    if (
        isinstance(num_iterations, (bool, np.bool_))
        or not isinstance(num_iterations, numbers.Integral)
        or num_iterations < 0
    ):
        raise ValueError(
            f"num_iterations passed to {caller} must be a non-negative integer, got {num_iterations!r}."
        )
    return int(num_iterations)


def check_factor(factor, name, shape, caller, dtype):
    """Check a given starting factor: right shape, finite and non-negative."""
    if isinstance(factor, pd.DataFrame):
        factor = factor.to_numpy()
    factor = np.array(factor, dtype=dtype, copy=True)
    if factor.shape != shape:
        raise ValueError(
            f"{name} passed to {caller} has shape {factor.shape}, expected {shape} "
            "to match data and num_components."
        )
    if not np.all(np.isfinite(factor)) or (factor < 0).any():
        raise ValueError(f"{name} passed to {caller} must be finite and non-negative.")
    return factor


def check_random_state(random_state, caller):
    """Turn None, an int or a Generator into a numpy Generator."""
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


def check_non_negative_number(value, name, caller):
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Real)
        or not (value >= 0 and np.isfinite(value))
    ):
        raise ValueError(f"{name} passed to {caller} must be a finite number >= 0, got {value!r}.")
    return float(value)


def init_factors(shape, num_components, init, random_state, dtype, caller):
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


def converged(losses, tol, iteration):
    """scikit-learn's rule: relative improvement over the last check below tol."""
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


def report_progress(verbose, caller, iteration, loss):
    if verbose and (iteration % verbose == 0):
        print(f"{caller}: iteration {iteration:5d}, loss {loss:.6g}", flush=True)


def prepare(data, num_components, num_iterations, tol, caller):
    x = check_matrix(data, "data", caller)
    m_comp = check_components(num_components, caller)
    n_iter = check_iterations(num_iterations, caller)
    if tol is not None:
        tol = check_non_negative_number(tol, "tol", caller)
    return x, m_comp, n_iter, tol


def verbose_every(verbose):
    if verbose is True:
        return 100
    return int(verbose) if verbose else 0

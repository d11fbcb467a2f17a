"""Input checks shared by the public functions.

Every check names the argument it rejects and says what to do, in the style of
scikit-learn's ``check_non_negative``.
"""

import numbers

import numpy as np
import pandas as pd
import scipy.sparse as sp


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
        if data.dtype == object or not (
            np.issubdtype(data.dtype, np.number) or data.dtype == bool
        ):
            raise TypeError(
                f"{name} passed to {caller} must hold numbers, got dtype {data.dtype}."
            )
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
    if isinstance(num_components, (bool, np.bool_)) or not isinstance(
        num_components, numbers.Integral
    ):
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
    if isinstance(num_iterations, (bool, np.bool_)) or not isinstance(
        num_iterations, numbers.Integral
    ) or num_iterations < 0:
        raise ValueError(
            f"num_iterations passed to {caller} must be a non-negative integer, "
            f"got {num_iterations!r}."
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
        raise ValueError(
            f"{name} passed to {caller} must be finite and non-negative."
        )
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
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not (
        value >= 0 and np.isfinite(value)
    ):
        raise ValueError(f"{name} passed to {caller} must be a finite number >= 0, got {value!r}.")
    return float(value)

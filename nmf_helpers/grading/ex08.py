"""The hidden checks of assignment ``ex08`` (NMF and a movie recommender).

Each check draws fresh inputs from its ``rng`` (seeded per hand-in by the grader,
so that a re-grade reproduces the verdict), asks the student's notebook for
calls through a :class:`~nmf_helpers.grading.student.Student`, and decides from
the plain data that comes back, comparing with the reference solutions in this
process. A failure raises :class:`~nmf_helpers.grading.student.CheckFailed`
with a message the student can act on; messages never quote expected numbers.

Correct variants pass (another random generator, Z updated before H,
``np.maximum`` instead of ``np.clip``, float32, a tolerance stop, fewer but
enough iterations, factors rescaled after each step); each class of bug is met
by the check aimed at it, every time.

Three rules hold for every check:

- no baseline comes from something the student's code chooses: expected values are
  the reference's, on inputs (and starts) the grader draws, of sizes drawn per
  hand-in, so that no size marks a check's input;
- every call's arguments come back after it and must be byte for byte what was
  sent (:func:`_run`): no function may change its inputs;
- optional outputs mean what the docstring says (the loss history is the squared
  loss after each iteration; ``rat_df``'s unrated cells hold ``fill_value``).
"""

import numpy as np
import pandas as pd

from .. import nmf as reference
from . import _wire
from .student import CheckFailed, _ResultOf, call, get, result_of

# --------------------------------------------------------------------------- calling the student

#: The parameter names of the assignment's functions, to name a changed argument.
_PARAMETERS = {
    "update_h": ("data", "Z", "H"),
    "update_z": ("data", "Z", "H"),
    "non_negative": ("data", "num_components"),
    "recommend_movies": ("reconstruction", "user_id", "movies", "ratings", "n"),
}


def _sent(value):
    """``value`` as the notebook received it: through the wire and back (labels, dtypes)."""
    encoder = _wire.Encoder()
    node = encoder.encode(value)
    return _wire.decode(node, {key: array.copy() for key, array in encoder.arrays.items()})


def _same(a, b):
    """Whether two plain values are identical, arrays byte for byte (NaN equals NaN)."""
    if isinstance(a, pd.DataFrame) or isinstance(b, pd.DataFrame):
        return (
            isinstance(a, pd.DataFrame)
            and isinstance(b, pd.DataFrame)
            and a.shape == b.shape
            and _same(a.columns, b.columns)
            and _same(a.index, b.index)
            and all(_same(a.iloc[:, k].to_numpy(), b.iloc[:, k].to_numpy()) for k in range(a.shape[1]))
        )
    if isinstance(a, pd.Series) or isinstance(b, pd.Series):
        return (
            isinstance(a, pd.Series)
            and isinstance(b, pd.Series)
            and _same(a.name, b.name)
            and _same(a.index, b.index)
            and _same(a.to_numpy(), b.to_numpy())
        )
    if isinstance(a, pd.Index) or isinstance(b, pd.Index):
        return (
            isinstance(a, pd.Index)
            and isinstance(b, pd.Index)
            and _same(a.name, b.name)
            and _same(a.to_numpy(), b.to_numpy())
        )
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)) or a.shape != b.shape:
            return False
        if a.dtype.kind == "O" or b.dtype.kind == "O":
            return all(_same(x, y) for x, y in zip(a.ravel().tolist(), b.ravel().tolist(), strict=True))
        return a.dtype == b.dtype and np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict)
            and isinstance(b, dict)
            and list(a) == list(b)
            and all(_same(a[k], b[k]) for k in a)
        )
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return type(a) is type(b) and a == b


def _ordinal(k):
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(k, f"{k}th")


def _run(student, calls):
    """The outcomes of ``calls``, after checking that no call changed the inputs it was given.

    Every call's arguments come back as they were once it returned and are compared,
    byte for byte, with what was sent (or, for an earlier call's result passed on,
    with what that call returned): the assignment's functions return new values and
    leave their inputs alone, as a caller who reuses them expects.
    """
    outcomes = student.run(calls)
    for c, outcome in zip(calls, outcomes, strict=True):
        if c.kind != "call" or not outcome.ok:
            continue
        if outcome.after is None or isinstance(outcome.after, str):
            raise CheckFailed(
                f"{c.name} left its arguments in a state the grader cannot read back "
                f"({outcome.after or 'none came back'}): do not modify the data a function is given."
            )
        args, kwargs = outcome.after
        names = _PARAMETERS.get(c.name, ())
        given = [(k, v, f"its {_ordinal(k + 1)} argument" + (f" ({names[k]})" if k < len(names) else ""))
                 for k, v in enumerate(c.args)]  # fmt: skip
        given += [(key, v, f"its argument {key}") for key, v in c.kwargs.items()]
        returned = [*args, *(kwargs.get(key) for key in c.kwargs)]
        if len(returned) != len(given):
            raise CheckFailed(f"the grader could not read back the arguments of {c.name}.")
        for (_, value, label), after in zip(given, returned, strict=True):
            before = _earlier(outcomes, value) if isinstance(value, _ResultOf) else _sent(value)
            if not _same(before, after):
                raise CheckFailed(
                    f"{c.name} changed {label} in place: a function must leave the data it is given "
                    "unchanged (work on a copy, e.g. .copy(), or build a new array or DataFrame)."
                )
    return outcomes


def _earlier(outcomes, ref):
    value = outcomes[ref.call].value
    return value[ref.item] if ref.item is not None else value


def _one(student, c):
    return _run(student, [c])[0]


# --------------------------------------------------------------------------- reading answers


def _matrix(value, what):
    """A returned matrix as a 2-d float64 array (arrays and DataFrames are accepted)."""
    if isinstance(value, pd.DataFrame):
        value = value.to_numpy()
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
        raise CheckFailed(f"{what} should be a numeric array; got {type(value).__name__}.")
    if value.ndim != 2:
        raise CheckFailed(f"{what} should be 2-dimensional; got shape {value.shape}.")
    return value.astype(np.float64)


def _factors(value, what):
    """(Z, H, dtype of Z) from what ``non_negative`` returned."""
    if not isinstance(value, (tuple, list)) or len(value) < 2:
        raise CheckFailed(f"{what} should return a tuple (Z, H); got {type(value).__name__}.")
    z, h = value[0], value[1]
    dtype = getattr(z, "dtype", np.dtype(float))
    return _matrix(z, f"Z returned by {what}"), _matrix(h, f"H returned by {what}"), dtype


def _finite(array):
    return bool(np.isfinite(array).all())


def _close(actual, expected, rtol):
    """Entry-wise agreement relative to the scale of ``expected`` (robust to tiny entries)."""
    scale = max(float(np.abs(expected).max()), np.finfo(float).tiny)
    return actual.shape == expected.shape and bool(np.all(np.abs(actual - expected) <= rtol * scale))


def _loss(X, Z, H):
    residual = X - Z @ H
    return float(np.vdot(residual, residual))


def _tolerance(dtype):
    """Relative agreement a correct implementation reaches in the dtype it computed in."""
    return 1e-3 if np.dtype(dtype) == np.float32 else 1e-6


# --------------------------------------------------------------------------- 1.1 update rules
def check_update_steps(student, rng, context):
    """update_h and update_z compute one multiplicative update, for arrays and DataFrames."""
    n, m, k = (int(v) for v in rng.integers((7, 5, 2), (14, 12, 5)))
    X = rng.uniform(0.0, 5.0, (n, m))
    Z = rng.uniform(0.1, 1.0, (n, k))
    H = rng.uniform(0.1, 1.0, (k, m))
    frame = pd.DataFrame(X, index=[f"r{i}" for i in range(n)], columns=[f"c{j}" for j in range(m)])
    cases = [
        ("update_h", "an array", X, reference.update_h(X, Z, H)),
        ("update_h", "a DataFrame", frame, reference.update_h(X, Z, H)),
        ("update_z", "an array", X, reference.update_z(X, Z, H)),
        ("update_z", "a DataFrame", frame, reference.update_z(X, Z, H)),
    ]
    outcomes = _run(student, [call(name, data, Z, H) for name, _, data, _ in cases])
    for (name, label, _, expected), outcome in zip(cases, outcomes, strict=True):
        got = _matrix(outcome.unwrap(f"{name}(data, Z, H) with data {label}"), f"{name} on {label}")
        if got.shape != expected.shape:
            raise CheckFailed(f"{name} on {label} returned shape {got.shape}, expected {expected.shape}.")
        if not _close(got, expected, 1e-4):
            raise CheckFailed(
                f"{name} on {label} does not compute one multiplicative update step as stated in the "
                "exercise (numerator, denominator or the factor it multiplies differ)."
            )


def _alternation(X, Z0, H0, steps, first):
    """Calls that alternate update_h and update_z on their own outputs, ``steps`` times
    (numbered from ``first`` in their batch)."""
    calls, z, h = [], Z0, H0
    for _ in range(steps):
        calls.append(call("update_h", X, z, h))
        h = result_of(first + len(calls) - 1)
        calls.append(call("update_z", X, z, h))
        z = result_of(first + len(calls) - 1)
    return calls


def _computed_in(values):
    """float32 if any of the returned arrays is float32 (its rounding then sets the tolerance)."""
    dtypes = [getattr(v, "dtype", None) for v in values]
    return np.dtype(np.float32) if np.dtype(np.float32) in dtypes else np.dtype(np.float64)


def check_monotone(student, rng, context):
    """Alternating the student's update_h and update_z never increases the squared loss."""
    n, m, k = (int(v) for v in rng.integers((15, 9, 3), (25, 16, 6)))
    X = rng.uniform(0.0, 4.0, (n, m))
    calls, chains = [], []
    # A long chain from random starts, and short ones part-way to convergence, where
    # a subtly wrong rule shows an increase the first steps hide.
    for age, steps in ((0, 25), (0, 25), (60, 3), (400, 3)):
        Z0, H0 = np.abs(rng.standard_normal((n, k))), np.abs(rng.standard_normal((k, m)))
        if age:
            Z0, H0 = reference.non_negative(X, k, num_iterations=age, init=(Z0, H0))
        chain = _alternation(X, Z0, H0, steps, first=len(calls))
        chains.append((age, Z0, H0, slice(len(calls), len(calls) + len(chain))))
        calls += chain
    outcomes = _run(student, calls)
    for age, Z0, H0, span in chains:
        where = "from a random start" if age == 0 else f"from factors {age} iterations into a fit"
        z, h, losses = Z0, H0, [_loss(X, Z0, H0)]
        for c, outcome in zip(calls[span], outcomes[span], strict=True):
            got = _matrix(outcome.unwrap(f"{c.name}(X, Z, H)"), f"what {c.name} returned")
            z, h = (z, got) if c.name == "update_h" else (got, h)
            if z.shape != Z0.shape or h.shape != H0.shape:
                raise CheckFailed("the updates changed the shapes of the factors.")
            losses.append(_loss(X, z, h))
        losses = np.array(losses)
        if not _finite(losses):
            raise CheckFailed(
                f"the loss became NaN or infinite when alternating update_h and update_z {where}."
            )
        slack = (1e-5 if _computed_in(o.value for o in outcomes[span]) == np.float32 else 1e-9) * losses[0]
        if age == 0 and losses[-1] > 0.7 * losses[0]:  # a correct rule has cut it to 40% or less by now
            raise CheckFailed(
                f"alternating update_h and update_z {len(losses) // 2} times {where} hardly lowered the "
                "squared loss: the updates must move the factors towards a fit, not leave them as they are."
            )
        rises = np.flatnonzero(np.diff(losses) > slack)
        if rises.size:
            raise CheckFailed(
                f"the squared loss increased at a step of {calls[span][int(rises[0])].name} when alternating "
                f"update_h and update_z {where}; the multiplicative updates never increase it."
            )


# --------------------------------------------------------------------------- 1.1 non_negative
def check_factor_shapes(student, rng, context):
    """non_negative returns non-negative finite (Z, H) of the right shapes, for arrays,
    DataFrames and float32 data."""
    seed = int(rng.integers(2**31))
    n, m, k = (int(v) for v in rng.integers((10, 6, 2), (20, 13, 5)))
    X = rng.uniform(0.0, 3.0, (n, m))
    cases = [
        ("an array", X, k),
        ("a DataFrame", pd.DataFrame(X, index=[f"u{i}" for i in range(n)]), k),
        ("float32 data", X.astype(np.float32), k),
        ("one component", X, 1),
    ]
    outcomes = _run(student, [call("non_negative", data, c, random_state=seed) for _, data, c in cases])
    for (label, _, c), outcome in zip(cases, outcomes, strict=True):
        what = f"non_negative(data, {c}) for {label}"
        Z, H, _ = _factors(outcome.unwrap(what), what)
        if Z.shape != (n, c):
            raise CheckFailed(f"for {label} of shape ({n}, {m}) and {c} components, Z has shape {Z.shape}, "
                              f"expected ({n}, {c}).")  # fmt: skip
        if H.shape != (c, m):
            raise CheckFailed(f"for {label} of shape ({n}, {m}) and {c} components, H has shape {H.shape}, "
                              f"expected ({c}, {m}).")  # fmt: skip
        if not (_finite(Z) and _finite(H)):
            raise CheckFailed(f"for {label}, the factors hold NaN or infinite values.")
        if (Z < 0).any() or (H < 0).any():
            raise CheckFailed(f"for {label}, the factors have negative entries.")
        if not (Z @ H).any():
            raise CheckFailed(
                f"for {label}, Z @ H is all zeros: start from positive random factors and update them."
            )


def check_zero_rows(student, rng, context):
    """Data with all-zero rows and columns gives finite factors that reconstruct them as zero."""
    seed = int(rng.integers(2**31))
    n, m = (int(v) for v in rng.integers((12, 8), (18, 13)))
    X = rng.uniform(0.0, 3.0, (n, m))
    rows, cols = rng.choice(n, 2, replace=False), rng.choice(m, 2, replace=False)
    X[rows, :] = 0.0
    X[:, cols] = 0.0
    what = "non_negative on data with all-zero rows and columns"
    Z, H, _ = _factors(_one(student, call("non_negative", X, 3, random_state=seed)).unwrap(what), what)
    if Z.shape != (n, 3) or H.shape != (3, m):
        raise CheckFailed(f"{what} returned factors of shapes {Z.shape} and {H.shape}.")
    if not (_finite(Z) and _finite(H)):
        raise CheckFailed(
            "with all-zero rows or columns in the data, the factors hold NaN: clip the denominators "
            "at a small positive value, as the exercise says."
        )
    product = Z @ H
    if np.abs(product[rows, :]).max() > 1e-3 * X.max() or np.abs(product[:, cols]).max() > 1e-3 * X.max():
        raise CheckFailed("all-zero rows and columns of the data should be reconstructed as (nearly) zero.")
    if not product.any():  # all zeros would pass the check above without fitting anything
        raise CheckFailed(f"{what}: Z @ H is all zeros: start from positive random factors and update them.")


def _one_iteration(X, Z, H, order):
    """The product Z H after one iteration from (Z, H): H then Z ('hz') or Z then H ('zh')."""
    if order == "hz":
        H = reference.update_h(X, Z, H)
        Z = reference.update_z(X, Z, H)
    else:
        Z = reference.update_z(X, Z, H)
        H = reference.update_h(X, Z, H)
    return Z @ H


def check_iterations(student, rng, context):
    """Each iteration of non_negative is one multiplicative update of both factors, so the
    loss never increases; the same random_state gives the same result."""
    seed = int(rng.integers(2**31))
    n, m, k = (int(v) for v in rng.integers((12, 8, 2), (18, 13, 4)))
    X = rng.uniform(0.0, 3.0, (n, m))
    last = 6
    calls = [call("non_negative", X, k, num_iterations=t, random_state=seed) for t in range(last + 1)]
    calls.append(call("non_negative", X, k, num_iterations=last, random_state=seed))
    outcomes = _run(student, calls)
    factors = []
    for t, outcome in enumerate(outcomes):
        what = f"non_negative(X, {k}, num_iterations={calls[t].kwargs['num_iterations']}, random_state=...)"
        Z, H, dtype = _factors(outcome.unwrap(what), what)
        if Z.shape != (n, k) or H.shape != (k, m):
            raise CheckFailed(f"{what} returned factors of shapes {Z.shape} and {H.shape}.")
        if not (_finite(Z) and _finite(H)):
            raise CheckFailed(f"{what} returned factors with NaN or infinite values.")
        factors.append((Z, H, dtype))
    products = [Z @ H for Z, H, _ in factors]
    rtol = _tolerance(factors[-1][2])
    if not _close(products[-1], products[last], rtol):
        raise CheckFailed(
            "two calls of non_negative with the same random_state gave different factors: draw the start "
            "from np.random.default_rng(random_state)."
        )
    if _close(products[1], products[last], rtol):
        raise CheckFailed(
            "non_negative returned the same factors for num_iterations=1 and num_iterations=6: run exactly "
            "num_iterations iterations."
        )
    order, stopped = None, False
    for t in range(last):
        Z, H, dtype = factors[t]
        if stopped or (t > 0 and _close(products[t + 1], products[t], rtol / 10)):
            # A tolerance stop: allowed once progress has become negligible, and final.
            step = _one_iteration(X, Z, H, order or "hz")
            gain = (_loss(X, Z, H) - float(np.vdot(X - step, X - step))) / max(_loss(X, Z, H), 1e-300)
            if not _close(products[t + 1], products[t], rtol) or (not stopped and gain > 1e-3):
                raise CheckFailed(
                    f"non_negative stopped changing the factors after {t} iterations while the loss was "
                    "still falling: run all num_iterations iterations (or stop only on a tiny improvement)."
                )
            stopped = True
            continue
        matches = [o for o in (order,) if o] or ["hz", "zh"]
        matches = [o for o in matches if _close(products[t + 1], _one_iteration(X, Z, H, o), rtol)]
        if not matches:
            if t == 0 and _close(products[1], products[0], rtol):
                raise CheckFailed(
                    "num_iterations=1 returned the starting factors: the loop never updates them."
                )
            raise CheckFailed(
                f"non_negative(..., num_iterations={t + 1}) is not one multiplicative update further than "
                f"num_iterations={t}: each iteration must update H (with the current Z) and then Z (with the "
                "new H), using update_h and update_z."
            )
        order = matches[0]
    _check_return_loss(student, rng, X, k, seed, factors)


def _check_return_loss(student, rng, X, k, seed, factors):
    """return_loss=True returns the same factors and, as losses[t], the squared loss of the
    factors after t iterations (those num_iterations=t returns), losses[0] at the start."""
    last, long = len(factors) - 2, int(rng.integers(15, 60))
    outcomes = _run(
        student,
        [
            call("non_negative", X, k, num_iterations=last, random_state=seed, return_loss=True),
            call("non_negative", X, k, num_iterations=long, random_state=seed),
            call("non_negative", X, k, num_iterations=long, random_state=seed, return_loss=True),
        ],
    )
    expected = np.array([_loss(X, Z, H) for Z, H, _ in factors[: last + 1]])
    what = f"non_negative(X, {k}, num_iterations={last}, random_state=..., return_loss=True)"
    Z, H, dtype, history = _loss_history(outcomes[0].unwrap(what), what)
    if not _close(Z @ H, factors[last][0] @ factors[last][1], _tolerance(dtype)):
        raise CheckFailed(
            f"{what} returned other factors than without return_loss: it must not change the fit."
        )
    _check_history(history, expected, _loss(X, Z, H), dtype, what)
    plain = f"non_negative(X, {k}, num_iterations={long}, random_state=...)"
    Zp, Hp, _ = _factors(outcomes[1].unwrap(plain), plain)
    what = f"non_negative(X, {k}, num_iterations={long}, random_state=..., return_loss=True)"
    Z, H, dtype, history = _loss_history(outcomes[2].unwrap(what), what)
    if Z.shape != Zp.shape or H.shape != Hp.shape or not _close(Z @ H, Zp @ Hp, _tolerance(dtype)):
        raise CheckFailed(
            f"{what} returned other factors than without return_loss: it must not change the fit."
        )
    if len(history) > long + 1:
        raise CheckFailed(f"{what} returned more losses than iterations were run (one per iteration and one "
                          "for the start).")  # fmt: skip
    _check_history(history, np.concatenate([expected, history[len(expected) :]]), _loss(X, Z, H), dtype, what)
    slack = (1e-5 if np.dtype(dtype) == np.float32 else 1e-9) * history[0]
    if (np.diff(history) > slack).any():
        raise CheckFailed(
            f"the losses returned by {what} increase: each must be the loss after that iteration."
        )


def _digits(rng):
    """Digits of a size drawn from ``rng`` (so that no size marks a check's input), with their
    always-blank pixels as the exercise's digits have them: an implementation that does not clip
    its denominators fails here on every seed, not on some."""
    from sklearn.datasets import load_digits

    X = load_digits().data
    return X[np.sort(rng.choice(len(X), int(rng.integers(200, 600)), replace=False))]


#: The default call must fit at least as well as this many correct iterations from the same start.
#: The exercise asks for 1000 (num_iterations' default) and says that scikit-learn's solver, with
#: its default tolerance, stops after about 300 on the digits: fewer is not converged by any rule
#: the exercise names. A default of 300 or more passes on every seed and fewer fails on every
#: seed, because the comparison is with the same start, not with another run's local optimum.
MIN_ITERATIONS = 300
_MAX_TRAJECTORY = 4000  # iterations simulated at most to find where a long default run ended


def _documented_starts(n, m, k, seed):
    """The starts a correct non_negative draws from ``random_state=seed``: the exercise's
    (np.random.default_rng, |N(0, 1)|, Z first) and the legacy RandomState's."""
    generator = np.random.default_rng(seed)
    Z = np.abs(generator.standard_normal((n, k)))
    starts = [(Z, np.abs(generator.standard_normal((k, m))))]
    legacy = np.random.RandomState(seed)
    Z = np.abs(legacy.randn(n, k))
    return [*starts, (Z, np.abs(legacy.randn(k, m)))]


def _trajectories(X, Z0, H0, target, rtol, at_least, limit=_MAX_TRAJECTORY):
    """The correct runs from (Z0, H0), H first ('hz') and Z first ('zh'): per order, the loss
    before the first and after every iteration, and the iterations whose product Z H is
    ``target`` (within ``rtol``; None: no target).

    Runs at least ``at_least`` iterations, then until no later iteration can match (the loss
    is clearly below the target's, or the run has moved away from a match), or ``limit``.
    """
    from nmf_course._solver import one_blas_thread

    goal = float(np.vdot(X - target, X - target)) if target is not None else -np.inf
    scale = max(float(np.abs(target).max()), np.finfo(float).tiny) if target is not None else 0.0
    norm = float(np.vdot(X, X))
    runs = {}
    with one_blas_thread():  # many short products: threads only wait for each other
        for order in ("hz", "zh"):
            Z, H = Z0.astype(np.float64), H0.astype(np.float64)
            losses, matches = [], []
            for t in range(limit + 1):
                if t:
                    if order == "zh":
                        Z = Z * (X @ H.T) / np.maximum(Z @ (H @ H.T), reference.EPSILON)
                    H = H * (Z.T @ X) / np.maximum((Z.T @ Z) @ H, reference.EPSILON)
                    if order == "hz":
                        Z = Z * (X @ H.T) / np.maximum(Z @ (H @ H.T), reference.EPSILON)
                # ||X - ZH||^2 without forming ZH; the product only where a match is possible
                loss = norm - 2 * float(np.vdot(Z.T @ X, H)) + float(np.vdot(Z.T @ Z, H @ H.T))
                losses.append(max(loss, 0.0))
                near = target is not None and abs(loss - goal) <= max(100 * rtol, 1e-3) * goal + 1e-9 * norm
                if near and np.abs(Z @ H - target).max() <= rtol * scale:
                    matches.append(t)
                if t >= at_least and (loss < goal * (1 - 10 * rtol) or (matches and t > matches[-1] + 50)):
                    break
            runs[order] = (np.array(losses), matches)
            if target is None:
                break
    return runs


def _history(value, what):
    """The loss history returned with return_loss=True, as a 1-d float array."""
    if isinstance(value, (list, tuple)):
        try:
            value = np.array(value, dtype=float)
        except (TypeError, ValueError):
            raise CheckFailed(f"the losses returned by {what} should be numbers.") from None
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "iuf" or value.ndim != 1:
        raise CheckFailed(f"the losses returned by {what} should be a 1-d array (or list) of numbers.")
    if not value.size:
        raise CheckFailed(f"{what} returned no losses.")
    return value.astype(np.float64)


def _loss_history(value, what):
    """(Z, H, dtype, losses) of a call with return_loss=True."""
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        raise CheckFailed(f"with return_loss=True, {what} should return a tuple (Z, H, losses).")
    Z, H, dtype = _factors(value[:2], what)
    return Z, H, dtype, _history(value[2], what)


def _same_loss(got, expected, dtype):
    """Whether a reported loss is the computed one (to the rounding of the dtype computed in)."""
    rtol = 1e-3 if np.dtype(dtype) == np.float32 else 1e-6
    return np.abs(got - expected) <= rtol * np.maximum(np.abs(expected), 1e-12)


def check_reconstruction(student, rng, context):
    """On digits, the default call of non_negative fits at least as well as MIN_ITERATIONS
    correct iterations from the same start, and return_loss=True reports its loss history."""
    seed = int(rng.integers(2**31))
    X = _digits(rng)
    n, m = X.shape
    k = int(rng.integers(5, 13))
    default, start, with_loss = _run(
        student,
        [
            call("non_negative", X, k, random_state=seed),
            call("non_negative", X, k, num_iterations=0, random_state=seed),
            call("non_negative", X, k, random_state=seed, return_loss=True),
        ],
    )
    what = f"non_negative(X, {k}, random_state=...) on {n} digits"
    Z, H, dtype = _factors(default.unwrap(what), what)
    if Z.shape != (n, k) or H.shape != (k, m):
        raise CheckFailed(f"{what} returned factors of the wrong shapes.")
    loss = _loss(X, Z, H)
    if not np.isfinite(loss):
        raise CheckFailed(f"{what}: the reconstruction error is NaN or infinite.")
    # The baseline is the correct run from a start the grader draws itself: the start the
    # exercise prescribes for this random_state. num_iterations=0 only tells which of the
    # documented starts the student draws; an undocumented one is used only when the default
    # call is the correct run from it and that start fits as well as the exercise's.
    candidates = _documented_starts(n, m, k, seed)
    chosen, own = candidates[0], False
    try:
        Z0, H0, _ = _factors(start.unwrap(what), what)
        if Z0.shape == (n, k) and H0.shape == (k, m) and _finite(Z0) and _finite(H0):
            same = [c for c in candidates if _close(Z0 @ H0, c[0] @ c[1], 1e-5)]
            chosen, own = (same[0], False) if same else ((Z0, H0), True)
    except CheckFailed:
        pass
    rtol = 2e-2 if np.dtype(dtype) == np.float32 else 1e-6
    runs = _trajectories(X, *chosen, Z @ H, rtol, MIN_ITERATIONS)
    matched = [order for order, (_, matches) in runs.items() if matches]
    if not matched:
        raise CheckFailed(
            f"{what} is not the multiplicative updates run from its own start (what num_iterations=0 "
            "returns with the same random_state): draw the start from np.random.default_rng(random_state) "
            "and run num_iterations iterations of update_h and update_z."
        )
    losses = runs[matched[0]][0]
    if own:
        documented = _trajectories(X, *candidates[0], None, 0.0, 1000, limit=1000)["hz"][0]
        if loss > 1.1 * documented[1000]:
            raise CheckFailed(
                f"{what} starts from factors that fit the digits far worse than the exercise's start: "
                "draw the start from np.random.default_rng(random_state) as the absolute values of "
                "standard normal numbers."
            )
    slack = 1e-4 if np.dtype(dtype) == np.float32 else 1e-6
    if loss > losses[MIN_ITERATIONS] * (1 + slack):
        raise CheckFailed(
            f"{what} with its default number of iterations fits worse than {MIN_ITERATIONS} correct "
            "iterations from the same start: the default must converge (the exercise asks for "
            "num_iterations=1000 by default)."
        )
    # return_loss=True: the same factors, and losses[t] the squared loss after t iterations.
    what = f"non_negative(X, {k}, random_state=..., return_loss=True) on {n} digits"
    Zl, Hl, dtype_l, history = _loss_history(with_loss.unwrap(what), what)
    if Zl.shape != Z.shape or Hl.shape != H.shape or not _close(Zl @ Hl, Z @ H, _tolerance(dtype)):
        raise CheckFailed(
            f"{what} returned other factors than without return_loss: it must not change the fit."
        )
    _check_history(history, losses, _loss(X, Zl, Hl), dtype_l, what)


def _check_history(history, expected, last, dtype, what):
    """``history`` is the squared loss before the first and after every iteration."""
    if len(history) > len(expected):
        raise CheckFailed(f"{what} returned more losses than iterations were run (one per iteration and one "
                          "for the start).")  # fmt: skip
    if not _same_loss(history[-1], last, dtype):
        raise CheckFailed(
            f"the last of the losses returned by {what} is not the squared loss ||X - ZH||^2 of the "
            "factors it returned."
        )
    wrong = np.flatnonzero(~_same_loss(history, expected[: len(history)], dtype))
    if wrong.size:
        raise CheckFailed(
            f"losses[{int(wrong[0])}] returned by {what} is not the squared loss ||X - Z H||^2 after "
            f"{int(wrong[0])} iterations (losses[0]: at the start, then one per iteration)."
        )


# --------------------------------------------------------------------------- 1.2 rating matrix
def _ambiguous_movies(movies):
    """Movie ids that share their title with another id (u.item has 18 such pairs)."""
    titles = movies["movie title"]
    return set(movies.loc[titles.duplicated(keep=False), "movie id"])


def check_rating_matrix(student, rng, context):
    """rat_df is the user x movie matrix of the ratings (ids as labels), with no missing values."""
    from nmf_course.data import read_movies, read_ratings

    folder = context.movielens_folder()
    ratings, movies = read_ratings(folder / "u.data"), read_movies(folder / "u.item")
    rat_df = _one(student, get("rat_df")).unwrap("rat_df")
    if not isinstance(rat_df, pd.DataFrame):
        raise CheckFailed(f"rat_df should be a pandas DataFrame; got {type(rat_df).__name__}.")
    users, all_movies = np.unique(ratings["user id"]), np.unique(ratings["movie id"])
    merged = _ambiguous_movies(movies)
    index, columns = pd.Index(rat_df.index), pd.Index(rat_df.columns)
    if index.has_duplicates or columns.has_duplicates:
        raise CheckFailed("rat_df has repeated user ids or movie ids.")
    if not index.isin(users).all() or len(index) != len(users):
        raise CheckFailed("rat_df should have one row per user, labelled by the user id.")
    if (
        not columns.isin(all_movies).all()
        or not pd.Index(np.setdiff1d(all_movies, list(merged))).isin(columns).all()
    ):
        raise CheckFailed("rat_df should have one column per movie, labelled by the movie id.")
    values = rat_df.to_numpy(dtype=float, na_value=np.nan) if rat_df.shape[1] else np.zeros((len(index), 0))
    if np.isnan(values).any():
        raise CheckFailed("rat_df still holds missing values: fill them.")
    if not np.isfinite(values).all():
        raise CheckFailed("rat_df holds infinite values.")
    known = ratings[~ratings["movie id"].isin(merged)]
    rows, cols = index.get_indexer(known["user id"]), columns.get_indexer(known["movie id"])
    if not np.array_equal(values[rows, cols], known["rating"].to_numpy(float)):
        raise CheckFailed(
            "some ratings are not at rat_df.loc[user id, movie id]: pivot with the ids as labels."
        )
    _check_fill(student, values, index, columns, known, merged)


def _fill_per_column(fill, columns):
    """The value each column's unrated cells must hold: ``fill`` is a number, or one value per
    movie id (a Series or a dict, as ``fillna`` accepts); None for a column without one."""
    if isinstance(fill, np.ndarray) and fill.size == 1 and fill.dtype.kind in "iuf":
        fill = float(fill.reshape(()))  # np.float64(...) sent as a 0-d array
    if isinstance(fill, bool) or not isinstance(fill, (int, float, pd.Series, dict)):
        raise CheckFailed(
            f"fill_value should be a number or one number per movie id (a Series); got {type(fill).__name__}."
        )
    if isinstance(fill, (int, float)):
        return np.full(len(columns), float(fill))
    table = pd.Series(fill) if isinstance(fill, dict) else fill
    try:
        values = pd.to_numeric(table.reindex(columns), errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed("fill_value should hold one number per movie id.") from None
    return values


def _check_fill(student, values, index, columns, known, merged):
    """The cells of rat_df that no rating fills hold fill_value (the notebook's variable)."""
    fill = _one(student, get("fill_value"))
    if not fill.ok:
        raise CheckFailed("fill_value is not defined: fill the missing ratings with the variable fill_value.")
    expected = _fill_per_column(fill.value, columns)
    rated = np.zeros(values.shape, dtype=bool)
    rated[index.get_indexer(known["user id"]), columns.get_indexer(known["movie id"])] = True
    unrated = ~rated & ~columns.isin(list(merged))[None, :] & ~np.isnan(expected)[None, :]
    want = np.broadcast_to(expected[None, :], values.shape)[unrated]
    got = values[unrated]
    if not np.all(np.abs(got - want) <= 1e-6 * np.maximum(1.0, np.abs(want))):
        raise CheckFailed(
            "the cells of rat_df without a rating do not hold fill_value: fill the missing ratings with "
            "fillna(fill_value) (and nothing else)."
        )


# --------------------------------------------------------------------------- 1.2 recommend_movies
_WORDS = (
    "Blue",
    "Night",
    "River",
    "Stone",
    "Glass",
    "Paper",
    "Silent",
    "Golden",
    "Iron",
    "Last",
    "Lost",
    "Wild",
)


def _world(rng, scatter_users, scatter_movies):
    """Users, movies, ratings and a reconstruction with distinct predictions for every user.

    Ids are row positions (users 0..N-1, movies 0..M-1, tables in id order) unless
    scattered: then they are arbitrary, the tables shuffled and the reconstruction's
    rows and columns in no particular order, so that only look-ups by id (``.loc``,
    ``set_index("movie id")``) find the right user or title. Each check scatters only
    what it is about, so that a bug of another kind neither crashes nor shows there.
    """
    n_users, n_movies = (int(v) for v in rng.integers((24, 26), (36, 40)))
    users = rng.choice(np.arange(2, 600), n_users, replace=False) if scatter_users else np.arange(n_users)
    movie_ids = (
        rng.choice(np.arange(100, 2500), n_movies, replace=False) if scatter_movies else np.arange(n_movies)
    )
    titles = [
        f"{rng.choice(_WORDS)} {rng.choice(_WORDS)} {k} ({1930 + int(rng.integers(70))})"
        for k in range(n_movies)
    ]
    movies = pd.DataFrame(
        {
            "movie id": movie_ids,
            "movie title": titles,
            "release date": "01-Jan-1995",
            "Comedy": rng.integers(0, 2, n_movies),
        }
    )
    if scatter_movies:
        movies = movies.sample(frac=1.0, random_state=rng.integers(2**31)).reset_index(drop=True)
    rows = []
    for user in users:
        for movie in rng.choice(movie_ids, int(rng.integers(3, n_movies // 2)), replace=False):
            rows.append((int(user), int(movie), int(rng.integers(1, 6)), 880_000_000 + len(rows)))
    ratings = pd.DataFrame(rows, columns=["user id", "movie id", "rating", "timestamp"])
    ratings = ratings.sample(frac=1.0, random_state=rng.integers(2**31)).reset_index(drop=True)
    values = rng.permutation(n_users * n_movies).reshape(n_users, n_movies) / (n_movies * 4.0) + 0.2
    columns = rng.permutation(movie_ids) if scatter_movies else movie_ids
    reconstruction = pd.DataFrame(
        values, index=pd.Index(users, name="user id"), columns=pd.Index(columns, name="movie id")
    )
    return reconstruction, movies, ratings


def _returned(value, what):
    """(movie ids, titles or None, predicted ratings or None) of a returned table."""
    if isinstance(value, pd.Series):
        value = value.reset_index()
    if not isinstance(value, pd.DataFrame):
        raise CheckFailed(f"{what} should return a DataFrame; got {type(value).__name__}.")
    if "movie id" in value.columns:
        ids = value["movie id"].to_numpy()
    elif value.index.name == "movie id":
        ids = value.index.to_numpy()
    else:
        raise CheckFailed(f"the DataFrame returned by {what} has no 'movie id' column.")
    if ids.dtype.kind not in "iuf":
        raise CheckFailed(f"the 'movie id' column returned by {what} should hold movie ids (numbers).")
    titles = value["movie title"].to_numpy().astype(str) if "movie title" in value.columns else None
    predicted = value["predicted rating"].to_numpy(float) if "predicted rating" in value.columns else None
    return ids.astype(np.int64), titles, predicted


def _recommend_calls(world, users, sizes):
    reconstruction, movies, ratings = world
    calls = []
    for user, n in zip(users, sizes, strict=True):
        args = (reconstruction, int(user), movies, ratings)
        calls.append(call("recommend_movies", *args) if n is None else call("recommend_movies", *args, n=n))
    return calls


def _what(user, n):
    return f"recommend_movies(reconstruction, {user}, movies, ratings{'' if n is None else f', n={n}'})"


def check_recommend_unseen(student, rng, context):
    """n movies the user has not rated, each once, with their own titles."""
    world = _world(rng, scatter_users=False, scatter_movies=True)
    reconstruction, movies, ratings = world
    users = rng.choice(reconstruction.index.to_numpy(), 4, replace=False)
    sizes = [None, int(rng.integers(2, 6)), int(rng.integers(6, 12)), 500]
    outcomes = _run(student, _recommend_calls(world, users, sizes))
    title_of = movies.set_index("movie id")["movie title"]
    for user, n, outcome in zip(users, sizes, outcomes, strict=True):
        what = _what(user, n)
        ids, titles, _ = _returned(outcome.unwrap(what), what)
        rated = set(ratings.loc[ratings["user id"] == user, "movie id"])
        if rated & set(ids.tolist()):
            raise CheckFailed(f"{what} includes movies that user already rated.")
        wanted = min(20 if n is None else n, reconstruction.shape[1] - len(rated))
        if len(ids) != wanted:
            raise CheckFailed(f"{what} returned {len(ids)} movies instead of {wanted}.")
        if len(set(ids.tolist())) != len(ids):
            raise CheckFailed(f"{what} repeats a movie.")
        if titles is None:
            raise CheckFailed(f"the DataFrame returned by {what} has no 'movie title' column.")
        if not set(ids.tolist()) <= set(title_of.index) or list(titles) != list(title_of.loc[ids]):
            raise CheckFailed(
                f"the titles returned by {what} do not belong to the returned movie ids: look them up by "
                "movie id, not by position."
            )


def check_recommend_order(student, rng, context):
    """Best predicted first, and no better unseen movie left out."""
    world = _world(rng, scatter_users=False, scatter_movies=False)
    reconstruction, _, ratings = world
    users = rng.choice(reconstruction.index.to_numpy(), 4, replace=False)
    sizes = [None, int(rng.integers(3, 8)), int(rng.integers(8, 14)), None]
    outcomes = _run(student, _recommend_calls(world, users, sizes))
    for user, n, outcome in zip(users, sizes, outcomes, strict=True):
        what = _what(user, n)
        ids, _, _ = _returned(outcome.unwrap(what), what)
        row = reconstruction.loc[user]
        if not set(ids.tolist()) <= set(row.index):
            raise CheckFailed(f"{what} returned movie ids that are not columns of the reconstruction.")
        values = row.loc[ids].to_numpy()
        if (np.diff(values) > 0).any():
            raise CheckFailed(f"{what} is not sorted by that user's predicted rating, best first.")
        if _better_left_out(row, ratings, user, ids, values):
            raise CheckFailed(
                f"{what} left out an unseen movie with a higher predicted rating than one it returned."
            )


def _better_left_out(row, ratings, user, ids, values):
    """Whether an unseen movie outside ``ids`` beats the worst returned one (by this row)."""
    rated = set(ratings.loc[ratings["user id"] == user, "movie id"])
    others = row.drop(list(rated | set(ids.tolist())), errors="ignore")
    return bool(len(others) and len(values) and others.max() > values.min())


def check_recommend_user(student, rng, context):
    """The predictions come from the row of the given user id (not a row position)."""
    world = _world(rng, scatter_users=True, scatter_movies=False)
    reconstruction, _, ratings = world
    users = rng.choice(reconstruction.index.to_numpy(), 4, replace=False)
    sizes = [None, int(rng.integers(3, 9)), None, int(rng.integers(9, 15))]
    outcomes = _run(student, _recommend_calls(world, users, sizes))
    for user, n, outcome in zip(users, sizes, outcomes, strict=True):
        what = _what(user, n)
        hint = "look the user's row up by user id (.loc), not by position"
        if not outcome.ok:
            raise CheckFailed(f"{what} raised {outcome.error}: {hint}.")
        ids, _, predicted = _returned(outcome.value, what)
        if predicted is None:
            raise CheckFailed(f"the DataFrame returned by {what} has no 'predicted rating' column.")
        row = reconstruction.loc[user]
        if not set(ids.tolist()) <= set(row.index):
            raise CheckFailed(f"{what} returned movie ids that are not columns of the reconstruction.")
        # Rounded to two decimals is fine; another row's values are not.
        if not np.allclose(predicted, row.loc[ids].to_numpy(), rtol=0, atol=0.006):
            raise CheckFailed(f"the predicted ratings returned by {what} are not that user's row: {hint}.")
        # Chosen by this user's row: nothing better (or, ranked the wrong way up, nothing worse)
        # left out; the order itself and leaving out rated movies are the other checks' business.
        values = row.loc[ids].to_numpy()
        if _better_left_out(row, ratings, user, ids, values) and _better_left_out(
            -row, ratings, user, ids, -values
        ):
            raise CheckFailed(f"{what} did not choose the movies by that user's predicted ratings: {hint}.")

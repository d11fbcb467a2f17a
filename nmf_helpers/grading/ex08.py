"""Checks for the hidden tests of the assignment ``ex08``.

Each ``check_*`` function takes the student's function(s), runs them on data
made here, compares with the reference solutions of :mod:`nmf_helpers` and
raises ``AssertionError`` with a message a student can act on. Messages say
what went wrong, never the expected numbers, since they reach the student in
the feedback.

The checks are written to be orthogonal: one bug should fail the check aimed
at it and leave the others passing (e.g. the recommendation checks use a
world where a wrong user row cannot change the order check). Correct variants
(another random generator, Z updated before H, ``np.maximum`` instead of
``np.clip``, float32, a tolerance stop, fewer but enough iterations) pass.

While the student's ``non_negative`` runs, scikit-learn's NMF solvers and the
reference functions of this package raise: the assignment is to implement the
updates, not to call a library.
"""

import contextlib
import math

import numpy as np
import pandas as pd

from .. import nmf as _reference

__all__ = [
    "check_factor_shapes",
    "check_monotone",
    "check_recommend_order",
    "check_recommend_unseen",
    "check_recommend_user",
    "check_reconstruction",
    "check_update_steps",
    "check_zero_rows",
]

# Student code runs in the same kernel before these checks and may rebind numpy's
# functions (``np.allclose = lambda *a, **k: True``). The checks therefore compare
# with array operators and ndarray methods, which are implemented in C on the
# type and cannot be rebound from Python, and take ``asarray`` from numpy's C core.
try:
    from numpy._core.multiarray import asarray as _c_asarray
except ImportError:  # numpy < 2
    from numpy.core.multiarray import asarray as _c_asarray


def _asarray(value, dtype=float):
    return _c_asarray(value, dtype=dtype)


def _isfinite(array):
    """All entries finite: x - x is 0 for finite x and NaN for inf and NaN."""
    array = _asarray(array)
    return bool(((array - array) == 0).all())


def _allclose(actual, expected, rtol=1e-5, atol=1e-8):
    actual, expected = _asarray(actual), _asarray(expected)
    if expected.ndim and actual.shape != expected.shape:  # a scalar expectation broadcasts
        return False
    return bool(((actual - expected).__abs__() <= atol + rtol * expected.__abs__()).all())


class LibraryNMFCalled(AssertionError):
    pass


def _tripwire(what):
    def refuse(*args, **kwargs):
        raise LibraryNMFCalled(
            f"non_negative called {what}: implement the multiplicative updates yourself "
            "(numpy only), as the exercise asks."
        )

    return refuse


@contextlib.contextmanager
def _no_library_nmf():
    """Make scikit-learn's NMF solvers and the reference solutions refuse to run."""
    import sys

    import sklearn.decomposition._nmf as sk_nmf

    package = sys.modules["nmf_helpers"]

    patches = [
        (sk_nmf, "_fit_multiplicative_update", "scikit-learn's NMF"),
        (sk_nmf, "_fit_coordinate_descent", "scikit-learn's NMF"),
        (_reference, "non_negative", "the reference solution"),
        (_reference, "_multiplicative_frobenius", "the reference solution"),
        (_reference, "update_h", "the reference solution"),
        (_reference, "update_z", "the reference solution"),
        (_reference, "check_matrix", "the reference solution"),  # reached however it was imported
        (package, "non_negative", "the reference solution"),
        (package, "update_h", "the reference solution"),
        (package, "update_z", "the reference solution"),
    ]
    saved = [(module, name, getattr(module, name)) for module, name, _ in patches]
    try:
        for module, name, what in patches:
            setattr(module, name, _tripwire(what))
        yield
    finally:
        for module, name, original in saved:
            setattr(module, name, original)


def _factors(result, caller="non_negative"):
    """The (Z, H) pair from what the student's non_negative returned."""
    if not isinstance(result, (tuple, list)) or len(result) < 2:
        raise AssertionError(
            f"{caller}(data, num_components) should return a tuple (Z, H); got {type(result).__name__}."
        )
    Z, H = result[0], result[1]
    return _asarray(Z, dtype=float), _asarray(H, dtype=float)


def _run_student(non_negative, data, num_components):
    with _no_library_nmf():
        return _factors(non_negative(data, num_components))


def _squared_loss(X, Z, H):
    residual = _asarray(X) - _asarray(Z) @ _asarray(H)
    return float((residual * residual).sum())


# --------------------------------------------------------------------------- 1.1
def check_update_steps(update_h, update_z):
    """update_h and update_z match the rule on one step, for arrays and DataFrames."""
    rng = np.random.default_rng(2024)
    X = rng.uniform(0.0, 5.0, (9, 7))
    Z = rng.uniform(0.1, 1.0, (9, 3))
    H = rng.uniform(0.1, 1.0, (3, 7))
    cases = [
        ("update_h", update_h, _reference.update_h(X, Z, H), (3, 7)),
        ("update_z", update_z, _reference.update_z(X, Z, H), (9, 3)),
    ]
    for name, student, expected, shape in cases:
        for label, data in (("an array", X.copy()), ("a DataFrame", pd.DataFrame(X.copy()))):
            got = _asarray(student(data, Z.copy(), H.copy()), dtype=float)
            assert got.shape == shape, f"{name} on {label} returned shape {got.shape}, expected {shape}."
            assert _allclose(got, expected, rtol=1e-5, atol=1e-10), (
                f"{name} on {label} does not compute one multiplicative update step as stated "
                "in the exercise (numerator, denominator or the factor it multiplies differ)."
            )


def check_monotone(update_h, update_z, n_steps=40):
    """Alternating the student's updates never increases the squared loss."""
    rng = np.random.default_rng(7)
    X = rng.uniform(0.0, 4.0, (20, 12))
    Z = np.abs(rng.standard_normal((20, 4)))
    H = np.abs(rng.standard_normal((4, 12)))
    losses = [_squared_loss(X, Z, H)]
    for _ in range(n_steps):
        H = _asarray(update_h(X, Z, H), dtype=float)
        Z = _asarray(update_z(X, Z, H), dtype=float)
        assert H.shape == (4, 12) and Z.shape == (20, 4), "the updates changed the shapes of the factors."
        losses.append(_squared_loss(X, Z, H))
    losses = _asarray(losses)
    assert _isfinite(losses), "the loss became NaN or infinite while iterating the updates."
    increases = (losses[1:] - losses[:-1]) > 1e-9 * losses[0]
    assert not bool(increases.any()), (
        f"the squared loss increased at iteration {int(increases.argmax()) + 1} of alternating "
        "update_h and update_z; the multiplicative updates never increase it."
    )


def check_factor_shapes(non_negative):
    """The two-argument call returns non-negative finite (Z, H) of the right shapes."""
    rng = np.random.default_rng(11)
    X = rng.uniform(0.0, 3.0, (15, 8))
    for label, data in (
        ("an array", X),
        ("a DataFrame", pd.DataFrame(X, index=[f"u{i}" for i in range(15)])),
        ("float32 data", X.astype(np.float32)),
    ):
        Z, H = _run_student(non_negative, data, 3)
        assert Z.shape == (15, 3), (
            f"for {label} of shape (15, 8) and 3 components, Z has shape {Z.shape}, expected (15, 3)."
        )
        assert H.shape == (3, 8), (
            f"for {label} of shape (15, 8) and 3 components, H has shape {H.shape}, expected (3, 8)."
        )
        assert _isfinite(Z) and _isfinite(H), f"for {label}, the factors hold NaN or infinite values."
        assert bool((Z >= 0).all()) and bool((H >= 0).all()), (
            f"for {label}, the factors have negative entries."
        )


def check_zero_rows(non_negative):
    """Data with all-zero rows and columns gives finite factors (denominators clipped)."""
    rng = np.random.default_rng(5)
    X = rng.uniform(0.0, 3.0, (14, 9))
    X[[0, 6], :] = 0.0
    X[:, [2, 8]] = 0.0
    Z, H = _run_student(non_negative, X, 3)
    assert _isfinite(Z) and _isfinite(H), (
        "with all-zero rows or columns in the data, the factors hold NaN: clip the denominators "
        "at a small positive value, as the exercise says."
    )
    reconstruction = Z @ H
    assert _allclose(reconstruction[[0, 6], :], 0.0, atol=1e-3) and _allclose(
        reconstruction[:, [2, 8]], 0.0, atol=1e-3
    ), "all-zero rows and columns of the data should be reconstructed as (nearly) zero."


def _digits_without_empty_pixels(n_rows=600):
    from sklearn.datasets import load_digits

    X = load_digits().data[:n_rows]
    return X[:, X.max(axis=0) > 0]  # always-blank pixels would test clipping, not quality


def check_reconstruction(non_negative, num_components=8, slack=1.15):
    """On digits, the error of the two-argument call is close to the reference's."""
    X = _digits_without_empty_pixels()
    Z, H = _run_student(non_negative, X, num_components)
    assert Z.shape == (X.shape[0], num_components) and H.shape == (num_components, X.shape[1]), (
        "non_negative returned factors of the wrong shapes on the digits."
    )
    loss = _squared_loss(X, Z, H)
    reference = sorted(
        _squared_loss(X, *_reference.non_negative(X, num_components, random_state=s)) for s in range(3)
    )[1]
    assert math.isfinite(loss), "on the digits, the reconstruction error is NaN or infinite."
    assert loss <= slack * reference, (
        f"on the first 600 digits with {num_components} components, ||X - ZH||^2 is "
        f"{loss / reference:.2f} times that of a correct implementation with 1000 iterations: "
        "check the updates, their order and the number of iterations."
    )


# --------------------------------------------------------------------------- 1.2
def _toy_world(identical_rows, seed=3):
    """40 users (ids 1..40), 30 movies (ids 101..130), ratings and a reconstruction.

    With ``identical_rows`` every user has the same predicted ratings, so that
    looking up the wrong user's row cannot change what the order check sees.
    """
    rng = np.random.default_rng(seed)
    movie_ids = np.arange(101, 131)
    movies = pd.DataFrame(
        {"movie id": movie_ids, "movie title": [f"Movie {i} ({1950 + i % 40})" for i in movie_ids]}
    )
    users = np.arange(1, 41)
    rows = []
    for user in users:
        for movie in rng.choice(movie_ids, size=int(rng.integers(3, 9)), replace=False):
            rows.append((user, movie, int(rng.integers(1, 6)), 880000000))
    ratings = pd.DataFrame(rows, columns=["user id", "movie id", "rating", "timestamp"])
    if identical_rows:
        values = np.tile(rng.permutation(30) / 6.0 + 0.5, (40, 1))
    else:
        values = rng.permutation(40 * 30).reshape(40, 30) / 240.0 + 0.5
    reconstruction = pd.DataFrame(
        values, index=pd.Index(users, name="user id"), columns=pd.Index(movie_ids, name="movie id")
    )
    return reconstruction, movies, ratings


def _returned(result, caller="recommend_movies"):
    """Movie ids (and the predicted ratings, if given) from the student's table."""
    if isinstance(result, pd.Series):
        result = result.reset_index()
    assert isinstance(result, pd.DataFrame), (
        f"{caller} should return a DataFrame, got {type(result).__name__}."
    )
    if "movie id" in result.columns:
        ids = result["movie id"]
    elif result.index.name == "movie id":
        ids = result.index.to_series()
    else:
        raise AssertionError(f"the DataFrame returned by {caller} has no 'movie id' column.")
    predicted = result["predicted rating"].to_numpy(float) if "predicted rating" in result.columns else None
    return _asarray(ids, dtype=np.int64), predicted


def _users_to_check():
    return (2, 9, 17, 33)


def check_recommend_unseen(recommend_movies):
    """Only movies the user has not rated, as many as asked for."""
    reconstruction, movies, ratings = _toy_world(identical_rows=False)
    for user in _users_to_check():
        ids, _ = _returned(recommend_movies(reconstruction, user, movies, ratings))
        rated = set(ratings.loc[ratings["user id"] == user, "movie id"])
        assert not rated & set(ids.tolist()), (
            f"the recommendations for user {user} include movies that user already rated."
        )
        unseen = 30 - len(rated)
        assert len(ids) == min(20, unseen), f"for user {user}, {len(ids)} movies were returned instead of 20."
        assert len(set(ids.tolist())) == len(ids), f"the recommendations for user {user} repeat a movie."


def check_recommend_order(recommend_movies):
    """Best predicted first, and no better unseen movie left out."""
    reconstruction, movies, ratings = _toy_world(identical_rows=True)
    for user in _users_to_check():
        ids, _ = _returned(recommend_movies(reconstruction, user, movies, ratings))
        scores = reconstruction.loc[user]
        returned = scores.loc[ids].to_numpy()
        assert bool(((returned[1:] - returned[:-1]) <= 1e-12).all()), (
            f"the recommendations for user {user} are not sorted best first."
        )
        rated = set(ratings.loc[ratings["user id"] == user, "movie id"])
        left_out = scores.drop(list(rated | set(ids.tolist())))
        if len(left_out) and len(returned):
            assert left_out.max() <= returned.min() + 1e-12, (
                f"for user {user}, an unseen movie with a higher predicted rating than the ones returned was left out."
            )


def check_recommend_user(recommend_movies):
    """The predictions come from the row of the given user id (not a row position)."""
    reconstruction, movies, ratings = _toy_world(identical_rows=False)
    for user in _users_to_check():
        ids, predicted = _returned(recommend_movies(reconstruction, user, movies, ratings))
        assert predicted is not None, (
            "the DataFrame returned by recommend_movies has no 'predicted rating' column."
        )
        assert _allclose(predicted, reconstruction.loc[user, ids].to_numpy()), (
            f"the predicted ratings returned for user id {user} are not that user's row of the "
            "reconstruction: look the row up by user id (.loc), not by position."
        )

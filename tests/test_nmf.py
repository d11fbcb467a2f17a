"""The reference NMF: the update rules, monotone loss, inputs, agreement with scikit-learn."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning

from nmf_helpers import (
    EPSILON,
    kl_divergence,
    non_negative,
    non_negative_kl,
    squared_loss,
    update_h,
    update_z,
)


def planted(seed=42, n=30, m=20, k=4):
    """X = Z0 H0 with non-negative factors sparse enough for the answer to be unique."""
    rng = np.random.default_rng(seed)
    z0 = rng.uniform(0, 1, (n, k)) * (rng.random((n, k)) < 0.6)
    z0[:k] = np.eye(k)  # pure rows too: with both factors this sparse, NMF is unique
    h0 = np.zeros((k, m))  # separable: each column belongs to one part, so the answer is unique
    for c in range(k):
        h0[c, c * (m // k) : (c + 1) * (m // k)] += rng.uniform(0.5, 1.5, m // k)
    return z0 @ h0, z0, h0


def slow_update_h(X, Z, H, eps=EPSILON):
    """The rule written entry by entry: H_kj * (Z^T X)_kj / max((Z^T Z H)_kj, eps)."""
    out = np.empty_like(H)
    for k in range(H.shape[0]):
        for j in range(H.shape[1]):
            numer = sum(Z[i, k] * X[i, j] for i in range(X.shape[0]))
            denom = sum(Z[i, k] * Z[i, l] * H[l, j] for i in range(X.shape[0]) for l in range(H.shape[0]))
            out[k, j] = H[k, j] * numer / max(denom, eps)
    return out


def slow_update_z(X, Z, H, eps=EPSILON):
    out = np.empty_like(Z)
    for i in range(Z.shape[0]):
        for k in range(Z.shape[1]):
            numer = sum(X[i, j] * H[k, j] for j in range(X.shape[1]))
            denom = sum(Z[i, l] * H[l, j] * H[k, j] for j in range(X.shape[1]) for l in range(Z.shape[1]))
            out[i, k] = Z[i, k] * numer / max(denom, eps)
    return out


def test_single_steps_follow_the_rule_entry_by_entry():
    rng = np.random.default_rng(0)
    X, Z, H = rng.uniform(0, 5, (7, 6)), rng.uniform(0, 1, (7, 3)), rng.uniform(0, 1, (3, 6))
    np.testing.assert_allclose(update_h(X, Z, H), slow_update_h(X, Z, H), rtol=1e-12)
    np.testing.assert_allclose(update_z(X, Z, H), slow_update_z(X, Z, H), rtol=1e-12)
    np.testing.assert_allclose(update_h(sp.csr_matrix(X), Z, H), slow_update_h(X, Z, H), rtol=1e-12)


def test_one_iteration_is_h_then_z_with_the_new_h():
    rng = np.random.default_rng(1)
    X, Z, H = rng.uniform(0, 5, (9, 8)), rng.uniform(0, 1, (9, 3)), rng.uniform(0, 1, (3, 8))
    Z1, H1 = non_negative(X, 3, init=(Z, H), num_iterations=1)
    H_expected = update_h(X, Z, H)
    np.testing.assert_allclose(H1, H_expected, rtol=1e-12)
    np.testing.assert_allclose(Z1, update_z(X, Z, H_expected), rtol=1e-12)


def test_denominators_are_clipped_not_nan():
    X = np.zeros((3, 4))
    Z, H = np.zeros((3, 2)), np.zeros((2, 4))
    assert np.all(update_h(X, Z, H) == 0)
    assert np.all(update_z(X, Z, H) == 0)


@pytest.mark.parametrize("fit", [non_negative, non_negative_kl])
def test_exact_factorisation_is_recovered(fit):
    X, _z0, h0 = planted()
    Z, H = fit(X, 4, random_state=0, num_iterations=20000)
    assert np.linalg.norm(X - Z @ H) / np.linalg.norm(X) < 1e-4
    # The same parts up to order and scale: each planted row of H has a match.
    unit = lambda a: a / np.linalg.norm(a, axis=1, keepdims=True)  # noqa: E731
    cosine = unit(h0) @ unit(H).T
    assert np.all(cosine.max(axis=1) > 0.99)


def _inputs():
    rng = np.random.default_rng(3)
    dense = rng.uniform(0, 4, (40, 25))
    sparse = sp.random(60, 50, density=0.1, random_state=4, format="csr") * 5
    holes = rng.uniform(0, 4, (30, 20))
    holes[[0, 7, 29], :] = 0  # zero rows
    holes[:, [3, 19]] = 0  # and columns
    return {"random dense": dense, "random sparse": sparse, "zero rows and columns": holes}


@pytest.mark.parametrize("name", list(_inputs()))
@pytest.mark.parametrize("fit", [non_negative, non_negative_kl])
def test_loss_never_increases(name, fit):
    X = _inputs()[name]
    Z, H, losses = fit(X, 5, random_state=0, num_iterations=300, return_loss=True)
    assert losses.shape == (301,)
    assert np.all(np.isfinite(losses))
    assert np.all(np.isfinite(Z))
    assert np.all(np.isfinite(H))
    assert np.all(np.diff(losses) <= 1e-9 * losses[0]), np.diff(losses).max()
    assert Z.min() >= 0
    assert H.min() >= 0


def test_loss_history_matches_direct_computation():
    X = _inputs()["random sparse"]
    Z, H, losses = non_negative(X, 4, random_state=0, num_iterations=25, return_loss=True)
    direct = np.sum((X.toarray() - Z @ H) ** 2)
    assert losses[-1] == pytest.approx(direct, rel=1e-9)
    assert squared_loss(X, Z, H) == pytest.approx(direct, rel=1e-9)
    assert squared_loss(X.toarray(), Z, H) == pytest.approx(direct, rel=1e-12)


def test_zero_rows_and_columns_stay_zero():
    X = _inputs()["zero rows and columns"]
    Z, H = non_negative(X, 4, random_state=0, num_iterations=200)
    assert np.all(Z[[0, 7, 29]] == 0)
    assert np.all(H[:, [3, 19]] == 0)


@pytest.mark.parametrize("fit", [non_negative, non_negative_kl])
def test_sparse_and_dense_give_the_same_factors(fit):
    X = _inputs()["random sparse"]
    Zs, Hs = fit(X, 5, random_state=7, num_iterations=200)
    Zd, Hd = fit(X.toarray(), 5, random_state=7, num_iterations=200)
    np.testing.assert_allclose(Zs, Zd, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(Hs, Hd, rtol=1e-7, atol=1e-12)


def test_threads_do_not_change_the_result():
    X = sp.random(300, 200, density=0.3, random_state=0, format="csr") * 5
    Z1, H1 = non_negative(X, 8, random_state=0, num_iterations=100, n_threads=1)
    Z3, H3 = non_negative(X, 8, random_state=0, num_iterations=100, n_threads=3)
    np.testing.assert_allclose(Z1, Z3, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(H1, H3, rtol=1e-9, atol=1e-14)


def test_dataframe_input_gives_the_same_result():
    X = _inputs()["random dense"]
    frame = pd.DataFrame(X, index=[f"u{i}" for i in range(40)])
    Z1, H1 = non_negative(X, 3, random_state=0, num_iterations=50)
    Z2, H2 = non_negative(frame, 3, random_state=0, num_iterations=50)
    # The frame's memory layout may differ, and with it BLAS's rounding.
    np.testing.assert_allclose(Z1, Z2, rtol=1e-12)
    np.testing.assert_allclose(H1, H2, rtol=1e-12)


def test_float32_stays_float32_and_int_becomes_float64():
    X = _inputs()["random dense"]
    Z, H = non_negative(X.astype(np.float32), 3, random_state=0, num_iterations=20)
    assert Z.dtype == H.dtype == np.float32
    Z, H = non_negative(np.rint(X).astype(int), 3, random_state=0, num_iterations=20)
    assert Z.dtype == H.dtype == np.float64


def test_agrees_with_scikit_learn_from_the_same_start():
    # scikit-learn updates W first; on X^T with (W, H) = (H0^T, Z0^T) that is
    # our order (H first), so both run the same arithmetic.
    X = _inputs()["random dense"]
    rng = np.random.default_rng(5)
    z0, h0 = np.abs(rng.standard_normal((40, 6))), np.abs(rng.standard_normal((6, 25)))
    model = NMF(6, solver="mu", init="custom", max_iter=100, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        W = model.fit_transform(X.T, W=h0.T.copy(), H=z0.T.copy())
    Z, H = non_negative(X, 6, init=(z0, h0), num_iterations=100)
    np.testing.assert_allclose(H, W.T, rtol=1e-9)
    np.testing.assert_allclose(Z, model.components_.T, rtol=1e-9)


def test_same_seed_same_result_and_init_is_abs_normal():
    X = _inputs()["random dense"]
    a = non_negative(X, 3, random_state=11, num_iterations=0)
    rng = np.random.default_rng(11)
    np.testing.assert_array_equal(a[0], np.abs(rng.standard_normal((40, 3))))
    np.testing.assert_array_equal(a[1], np.abs(rng.standard_normal((3, 25))))
    b = non_negative(X, 3, random_state=11, num_iterations=10)
    c = non_negative(X, 3, random_state=11, num_iterations=10)
    np.testing.assert_array_equal(b[0], c[0])


def test_tolerance_stops_early_and_warns_when_it_cannot():
    X, _, _ = planted()
    _, _, losses = non_negative(X, 4, random_state=0, num_iterations=5000, tol=1e-4, return_loss=True)
    assert len(losses) < 5001
    with pytest.warns(ConvergenceWarning, match="num_iterations=20"):
        non_negative(X, 4, random_state=0, num_iterations=20, tol=1e-12)


def test_init_is_not_modified():
    X = _inputs()["random dense"]
    z0, h0 = np.ones((40, 2)), np.ones((2, 25))
    non_negative(X, 2, init=(z0, h0), num_iterations=5)
    assert np.all(z0 == 1)
    assert np.all(h0 == 1)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"data": [[1.0, -2.0]]}, ValueError, "Negative values in data passed to non_negative"),
        ({"data": [[1.0, np.nan]]}, ValueError, "NaN values in data passed to non_negative"),
        ({"data": [[1.0, np.inf]]}, ValueError, "Infinite values in data"),
        ({"data": [1.0, 2.0]}, ValueError, "must be 2-dimensional"),
        ({"data": np.zeros((0, 3))}, ValueError, "is empty"),
        ({"data": [["a", "b"]]}, TypeError, "must hold numbers"),
        (
            {"num_components": 0},
            ValueError,
            "num_components passed to non_negative must be a positive integer",
        ),
        (
            {"num_components": 2.5},
            TypeError,
            "num_components passed to non_negative must be a positive integer",
        ),
        ({"num_components": "3"}, TypeError, "num_components"),
        ({"num_components": True}, TypeError, "num_components"),
        ({"num_iterations": -1}, ValueError, "num_iterations passed to non_negative"),
        ({"tol": -1.0}, ValueError, "tol passed to non_negative"),
        (
            {"init": (np.ones((2, 2)), np.ones((2, 3)))},
            ValueError,
            r"init\[0\] \(Z0\) passed to non_negative has shape",
        ),
        ({"init": (np.ones((3, 2)), -np.ones((2, 3)))}, ValueError, "must be finite and non-negative"),
        ({"init": "nndsvd"}, TypeError, "init passed to non_negative must be None or a pair"),
        ({"random_state": "seed"}, TypeError, "random_state passed to non_negative"),
        ({"n_threads": 0}, ValueError, "n_threads passed to non_negative"),
    ],
)
def test_bad_input_names_the_argument(kwargs, error, message):
    args = {"data": np.ones((3, 3)), "num_components": 2} | kwargs
    with pytest.raises(error, match=message):
        non_negative(**args)


def test_kl_losses_are_the_divergence():
    X = _inputs()["random sparse"]
    Z, H, losses = non_negative_kl(X, 4, random_state=0, num_iterations=30, return_loss=True)
    assert losses[-1] == pytest.approx(kl_divergence(X.toarray(), Z, H), rel=1e-9)
    assert kl_divergence(X, Z, H) == pytest.approx(kl_divergence(X.toarray(), Z, H), rel=1e-9)


# ----------------------------------------------------------------------------- masked

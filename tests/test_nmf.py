"""The reference NMF: the update rules, monotone loss, inputs, agreement with scikit-learn.

Also the common checks of the three solvers (Frobenius, Kullback-Leibler and the course's
masked one), scikit-learn style: every input container and dtype, outputs and warnings.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning

from nmf_course import non_negative_masked
from nmf_course._solver import CHECK_EVERY
from nmf_helpers import EPSILON, non_negative, squared_loss, update_h, update_z


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


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix])
def test_one_iteration_is_h_then_z_with_the_new_h(container):
    # The loop keeps its factors in a different layout for dense and sparse data.
    rng = np.random.default_rng(1)
    X, Z, H = rng.uniform(0, 5, (9, 8)), rng.uniform(0, 1, (9, 3)), rng.uniform(0, 1, (3, 8))
    Z1, H1 = non_negative(container(X), 3, init=(Z, H), num_iterations=1)
    H_expected = slow_update_h(X, Z, H)
    np.testing.assert_allclose(H1, H_expected, rtol=1e-12)
    np.testing.assert_allclose(Z1, slow_update_z(X, Z, H_expected), rtol=1e-12)
    np.testing.assert_allclose(H1, update_h(X, Z, H), rtol=1e-12)
    np.testing.assert_allclose(Z1, update_z(X, Z, H1), rtol=1e-12)


def test_single_steps_leave_their_inputs_alone_and_keep_float32():
    rng = np.random.default_rng(2)
    X, Z, H = (rng.uniform(0, 1, shape).astype(np.float32) for shape in [(6, 5), (6, 2), (2, 5)])
    copies = X.copy(), Z.copy(), H.copy()
    H1, Z1 = update_h(X, Z, H), update_z(X, Z, H)
    for original, copy in zip((X, Z, H), copies, strict=True):
        np.testing.assert_array_equal(original, copy)
    assert H1.dtype == Z1.dtype == np.float32
    assert H1.flags.c_contiguous
    assert Z1.flags.c_contiguous


def test_denominators_are_clipped_not_nan():
    X = np.zeros((3, 4))
    Z, H = np.zeros((3, 2)), np.zeros((2, 4))
    assert np.all(update_h(X, Z, H) == 0)
    assert np.all(update_z(X, Z, H) == 0)


@pytest.mark.parametrize("fit", [non_negative])
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
@pytest.mark.parametrize("fit", [non_negative])
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


@pytest.mark.parametrize("fit", [non_negative])
def test_sparse_and_dense_give_the_same_factors(fit):
    X = _inputs()["random sparse"]
    Zs, Hs = fit(X, 5, random_state=7, num_iterations=200)
    Zd, Hd = fit(X.toarray(), 5, random_state=7, num_iterations=200)
    np.testing.assert_allclose(Zs, Zd, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(Hs, Hd, rtol=1e-7, atol=1e-12)


def test_sparse_input_is_never_densified():
    # 200 000 x 100 000 is 160 GB dense: any densifying step would fail here.
    rng = np.random.default_rng(0)
    n, m, k = 200_000, 100_000, 4000
    X = sp.csr_matrix((rng.uniform(1, 5, k), (rng.integers(0, n, k), rng.integers(0, m, k))), shape=(n, m))
    for fit in (non_negative,):
        Z, H, losses = fit(X, 2, random_state=0, num_iterations=3, return_loss=True)
        assert Z.shape == (200_000, 2)
        assert H.shape == (2, 100_000)
        assert np.all(np.diff(losses) <= 1e-9 * losses[0])
    assert squared_loss(X, Z, H) >= 0


@pytest.mark.parametrize("fit", [non_negative])
def test_duplicate_sparse_entries_are_summed_and_the_input_left_alone(fit):
    cols, vals = np.array([1, 1, 0, 2, 2]), np.array([1.0, 2.0, 4.0, 1.0, 1.0])
    X = sp.csr_matrix((vals, cols, np.array([0, 2, 3, 5])), shape=(3, 3))  # (0, 1) and (2, 2) twice
    assert not X.has_canonical_format
    before = X.data.copy()
    canonical = X.copy()
    canonical.sum_duplicates()
    a = fit(X, 2, random_state=0, num_iterations=50, return_loss=True)
    b = fit(canonical, 2, random_state=0, num_iterations=50, return_loss=True)
    for mine, reference in zip(a, b, strict=True):
        np.testing.assert_allclose(mine, reference, rtol=1e-12)
    np.testing.assert_array_equal(X.data, before)
    assert not X.has_canonical_format


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


@pytest.mark.parametrize("fit", [non_negative])
def test_tolerance_stops_at_the_first_check_that_holds_and_warns_when_none_does(fit):
    X, _, _ = planted()
    tol = 1e-4
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        _, _, losses = fit(X, 4, random_state=0, num_iterations=5000, tol=tol, return_loss=True)
    n_run = len(losses) - 1
    assert 0 < n_run < 5000
    assert n_run % CHECK_EVERY == 0

    def improvement(k):  # relative improvement over the CHECK_EVERY iterations up to k
        return (losses[k - CHECK_EVERY] - losses[k]) / losses[0]

    assert improvement(n_run) < tol  # the rule held where it stopped...
    assert all(improvement(k) >= tol for k in range(CHECK_EVERY, n_run, CHECK_EVERY))  # ...and not before
    # The same fit without tol runs on, through the same losses.
    _, _, full = fit(X, 4, random_state=0, num_iterations=n_run + 20, return_loss=True)
    np.testing.assert_allclose(full[: n_run + 1], losses, rtol=1e-12)
    assert full[-1] < losses[-1]
    with pytest.warns(ConvergenceWarning, match="num_iterations=20"):
        fit(X, 4, random_state=0, num_iterations=20, tol=1e-12)


def test_verbose_prints_the_loss_every_so_often(capsys):
    X, _, _ = planted()
    _, _, losses = non_negative(X, 4, random_state=0, num_iterations=25, verbose=10, return_loss=True)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("non_negative: iteration    10, loss ")
    assert float(lines[1].rsplit(" ", 1)[1]) == pytest.approx(losses[20], rel=1e-5)


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
        ({"data": pd.DataFrame({"a": ["x", "y"], "b": [1, 2]})}, TypeError, "must hold numbers"),
        ({"data": np.ones((2, 2, 2))}, ValueError, "must be 2-dimensional"),
        ({"data": [[1.0, 2.0], [3.0]]}, TypeError, "data passed to non_negative must be array-like"),
        ({"data": sp.csr_matrix((0, 3))}, ValueError, "is empty"),
        (
            {"data": sp.csr_matrix([[1.0, -2.0]])},
            ValueError,
            "Negative values in data passed to non_negative",
        ),
        ({"data": sp.csr_matrix([[1.0, np.nan]])}, ValueError, "NaN values in data passed to non_negative"),
        (
            {"data": sp.csr_matrix([[1.0, np.inf]])},
            ValueError,
            "Infinite values in data passed to non_negative",
        ),
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
        ({"num_iterations": 2.5}, ValueError, "num_iterations passed to non_negative must be a non-negative"),
        ({"tol": -1.0}, ValueError, "tol passed to non_negative"),
        ({"tol": np.nan}, ValueError, "tol passed to non_negative must be a finite number"),
        ({"eps": -1e-3}, ValueError, "eps passed to non_negative must be a finite number >= 0"),
        (
            {"init": (np.ones((2, 2)), np.ones((2, 3)))},
            ValueError,
            r"init\[0\] \(Z0\) passed to non_negative has shape",
        ),
        ({"init": (np.ones((3, 2)), -np.ones((2, 3)))}, ValueError, "must be finite and non-negative"),
        ({"init": "nndsvd"}, TypeError, "init passed to non_negative must be None or a pair"),
        ({"random_state": "seed"}, TypeError, "random_state passed to non_negative"),
    ],
)
def test_bad_input_names_the_argument(kwargs, error, message):
    args = {"data": np.ones((3, 3)), "num_components": 2} | kwargs
    with pytest.raises(error, match=message):
        non_negative(**args)


@pytest.mark.parametrize("fit", [non_negative_masked])
def test_the_other_solvers_name_themselves_in_errors(fit):
    name = fit.__name__
    with pytest.raises(ValueError, match=f"num_components passed to {name} must be a positive integer"):
        fit(np.ones((3, 3)), 0)
    with pytest.raises(ValueError, match=f"num_iterations passed to {name} must be a non-negative integer"):
        fit(np.ones((3, 3)), 2, num_iterations=-1)
    with pytest.raises(ValueError, match=f"Negative values in data passed to {name}"):
        fit(-np.ones((3, 3)), 2)
    with pytest.raises(ValueError, match=f"tol passed to {name}"):
        fit(np.ones((3, 3)), 2, tol=-1)


# ------------------------------------------------------------ common checks of the two solvers
def _fit_frobenius(X, **kwargs):
    return non_negative(X, 3, random_state=0, **kwargs)


def _fit_masked(X, **kwargs):
    model = non_negative_masked(X, 3, random_state=0, **kwargs)  # the course's public API only
    return model.Z, model.H


SOLVERS = {"non_negative": _fit_frobenius, "non_negative_masked": _fit_masked}
DTYPES = {"float32": np.float32, "float64": np.float64, "int": np.int64}
CONTAINERS = {"ndarray": np.asarray, "DataFrame": pd.DataFrame, "CSR": sp.csr_matrix}
# (keyword arguments, whether a ConvergenceWarning is expected)
STOPPING = {
    "tol, iterations run out": ({"tol": 1e-3, "num_iterations": 5}, True),  # never reaches a check
    "no tol": ({"num_iterations": 5}, False),
    "tol, converges": ({"tol": 0.2, "num_iterations": 500}, False),
}


def _common_data(dtype):
    X, _, _ = planted(seed=5, n=24, m=16, k=3)
    X = 3 * X + (np.arange(X.size).reshape(X.shape) % 7 == 0)  # a few more non-zeros
    return np.rint(X).astype(dtype) if np.issubdtype(dtype, np.integer) else X.astype(dtype)


def _expected_dtype(solver, dtype):
    if solver == "non_negative_masked":
        return np.float64  # the masked solver computes in float64 whatever it is given
    return np.float32 if dtype == np.float32 else np.float64


@pytest.mark.parametrize("stopping", list(STOPPING))
@pytest.mark.parametrize("container", list(CONTAINERS))
@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("solver", list(SOLVERS))
def test_solvers_accept_every_container_and_dtype(solver, dtype, container, stopping):
    X = CONTAINERS[container](_common_data(DTYPES[dtype]))
    kwargs, warns = STOPPING[stopping]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Z, H = SOLVERS[solver](X, **kwargs)
    convergence = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert len(convergence) == int(warns), [str(w.message) for w in caught]
    if warns:
        assert solver in str(convergence[0].message)
        assert convergence[0].filename == __file__  # points at the caller's line
    assert Z.shape == (24, 3)
    assert H.shape == (3, 16)
    assert Z.dtype == H.dtype == _expected_dtype(solver, DTYPES[dtype])
    assert np.all(np.isfinite(Z))
    assert np.all(np.isfinite(H))
    assert Z.min() >= 0
    assert H.min() >= 0
    assert np.any(Z > 0)
    assert np.any(H > 0)

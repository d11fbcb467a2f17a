"""The masked NMF (course library) and its multiplicative reference variant."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from test_nmf import planted

from nmf_helpers import non_negative, non_negative_masked, non_negative_masked_mu


@pytest.mark.parametrize("solver", ["cd", "mu"])
def test_masked_ignores_missing_entries(solver):
    rng = np.random.default_rng(8)
    X = planted()[0] + 0.1  # no zeros, so that the sparse form stores every observed entry
    missing = rng.random(X.shape) < 0.3
    a, b = X.copy(), X.copy()
    a[missing] = np.nan
    b[missing] = 1e6  # whatever sits there must not matter
    solve = {"cd": non_negative_masked, "mu": non_negative_masked_mu}[solver]
    fit = lambda data, **kw: solve(data, 4, l2=0.01, random_state=0, num_iterations=60, **kw)  # noqa: E731
    model_a, model_b = fit(a), fit(b, mask=~missing)
    model_s = fit(sp.csr_matrix(np.where(missing, 0, X)))
    np.testing.assert_allclose(model_a.Z, model_b.Z, rtol=1e-10)
    np.testing.assert_allclose(model_a.Z, model_s.Z, rtol=1e-10)
    assert np.all(np.diff(model_a.losses) <= 1e-9 * model_a.losses[0])


@pytest.mark.parametrize("biases", [False, True])
def test_masked_cd_loss_never_increases(biases):
    rng = np.random.default_rng(10)
    X = sp.random(80, 60, density=0.2, random_state=1, format="csr")
    X.data = rng.integers(1, 6, X.nnz).astype(float)
    model = non_negative_masked(X, 6, biases=biases, random_state=0, num_iterations=30)
    assert np.all(np.diff(model.losses) <= 1e-9 * model.losses[0])
    assert model.Z.min() >= 0
    assert model.H.min() >= 0
    assert np.any(model.row_bias) == biases


def test_masked_fits_held_out_entries_of_a_low_rank_matrix():
    rng = np.random.default_rng(9)
    X, _, _ = planted(n=60, m=40)
    missing = rng.random(X.shape) < 0.3
    data = np.where(missing, np.nan, X)
    model = non_negative_masked(data, 4, l2=0.0, random_state=0, num_iterations=300)
    rows, cols = np.nonzero(missing)
    held_out = np.sqrt(np.mean((model.predict(rows, cols) - X[rows, cols]) ** 2))
    zero_filled = non_negative(np.where(missing, 0, X), 4, random_state=0, num_iterations=3000)
    naive = np.sqrt(np.mean(((zero_filled[0] @ zero_filled[1])[rows, cols] - X[rows, cols]) ** 2))
    assert held_out < 0.05 * X.mean()
    assert held_out < naive / 10
    assert model.Z.min() >= 0
    assert model.H.min() >= 0


def test_masked_with_biases_predicts_ratings(movielens):
    from nmf_helpers import bias_predictions, rmse, sparse_rating_matrix

    train, test = movielens.split("u1")
    X, users, movies = sparse_rating_matrix(
        train, users=movielens.users["user id"], movies=movielens.movies["movie id"]
    )
    model = non_negative_masked(X, 20, biases=True, random_state=0)
    rows = pd.Index(users).get_indexer(test["user id"])
    cols = pd.Index(movies).get_indexer(test["movie id"])
    masked = rmse(test["rating"], model.predict(rows, cols).clip(1, 5))
    assert masked < rmse(test["rating"], np.full(len(test), train["rating"].mean()))
    assert masked < rmse(test["rating"], bias_predictions(train, test)) - (
        0.02 if not movielens.synthetic else 0.0
    )
    if not movielens.synthetic:
        assert masked < 0.935  # bench/bench_masked.py: 0.924 with M = 40
    assert model.Z.min() >= 0
    assert model.H.min() >= 0


def test_masked_validation():
    with pytest.raises(ValueError, match="mask passed to non_negative_masked has shape"):
        non_negative_masked(np.ones((3, 3)), 2, mask=np.ones((2, 2), bool))
    with pytest.raises(ValueError, match="no observed entries"):
        non_negative_masked(np.full((3, 3), np.nan), 2)
    with pytest.raises(ValueError, match="Negative values in data passed to non_negative_masked"):
        non_negative_masked(-np.ones((3, 3)), 2)
    with pytest.raises(ValueError, match="l2 passed to non_negative_masked"):
        non_negative_masked(np.ones((3, 3)), 2, l2=-1)
    with pytest.raises(
        ValueError, match="num_iterations passed to non_negative_masked must be a non-negative integer"
    ):
        non_negative_masked(np.ones((3, 3)), 2, num_iterations=-1)


def test_masked_model_saves_loads_and_folds_in(tmp_path):
    rng = np.random.default_rng(12)
    X = sp.random(60, 40, density=0.3, random_state=2, format="csr")
    X.data = rng.integers(1, 6, X.nnz).astype(float)
    model = non_negative_masked(X, 5, biases=True, random_state=0, num_iterations=10)
    model.save(tmp_path / "model.npz", movie_ids=np.arange(100, 140))
    loaded, extra = type(model).load(tmp_path / "model.npz")
    np.testing.assert_array_equal(loaded.predict(), model.predict())
    np.testing.assert_array_equal(extra["movie_ids"], np.arange(100, 140))
    assert (loaded.l2, loaded.bias_l2) == (model.l2, model.bias_l2)
    # Folding in an existing row minimises that row's objective: no worse than the fitted row.
    row = X[3].tocoo()
    z, bias = model.fold_in(row.col, row.data)
    assert z.min() >= 0
    assert z.shape == (5,)

    def objective(z_row, b_row):
        residual = row.data - (model.mean + b_row + model.col_bias[row.col] + z_row @ model.H[:, row.col])
        return residual @ residual + model.l2 * row.nnz * (z_row @ z_row) + model.bias_l2 * b_row**2

    assert objective(z, bias) <= objective(model.Z[3], model.row_bias[3]) + 1e-9
    with pytest.raises(IndexError, match="column positions"):
        model.fold_in([99], [3.0])

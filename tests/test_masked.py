"""The masked NMF of the course library."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from test_nmf import planted

from nmf_helpers import non_negative, non_negative_masked


def test_masked_ignores_missing_entries():
    rng = np.random.default_rng(8)
    X = planted()[0] + 0.1  # no zeros, so that the sparse form stores every observed entry
    missing = rng.random(X.shape) < 0.3
    a, b = X.copy(), X.copy()
    a[missing] = np.nan
    b[missing] = 1e6  # whatever sits there must not matter
    fit = lambda data, **kw: non_negative_masked(data, 4, l2=0.01, random_state=0, num_iterations=60, **kw)  # noqa: E731
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
    assert z.shape == (model.Z.shape[1],)  # 5 components per fit, side by side

    def objective(z_row, b_row):
        residual = row.data - (model.mean + b_row + model.col_bias[row.col] + z_row @ model.H[:, row.col])
        return residual @ residual + model.l2 * row.nnz * (z_row @ z_row) + model.bias_l2 * b_row**2

    assert objective(z, bias) <= objective(model.Z[3], model.row_bias[3]) + 1e-9
    with pytest.raises(IndexError, match="column positions"):
        model.fold_in([99], [3.0])


# ----------------------------------------------------------------------------- averaged fits, fold-in, tuning
def _ratings(n=80, m=60, density=0.25, seed=10):
    rng = np.random.default_rng(seed)
    X = sp.random(n, m, density=density, random_state=seed, format="csr")
    X.data = rng.integers(1, 6, X.nnz).astype(float)
    return X


def test_masked_default_with_biases_averages_fits_whose_loss_never_increases():
    from nmf_course.masked import TUNED_FITS, TUNED_SWEEPS, _random_start

    X = _ratings()
    model = non_negative_masked(X, 4, biases=True, random_state=0)
    assert model.n_fits == TUNED_FITS > 1
    assert model.Z.shape == (80, 4 * TUNED_FITS)
    assert model.H.shape == (4 * TUNED_FITS, 60)
    assert model.Z.min() >= 0
    assert model.H.min() >= 0
    assert len(model.losses) == TUNED_SWEEPS + 1
    assert np.all(np.diff(model.losses) <= 1e-9 * model.losses[0])
    # The same fits one by one, from the same random starts: the model predicts their mean.
    rng = np.random.default_rng(0)
    coo = X.tocoo()
    fits = [
        non_negative_masked(
            X, 4, biases=True, n_fits=1, init=_random_start(rng, X.shape, 4, coo.data, True, 1e-10)
        )
        for _ in range(TUNED_FITS)
    ]
    for fit in fits:  # each fit on its own: exact coordinate descent, the loss never increases
        assert np.all(np.diff(fit.losses) <= 1e-9 * fit.losses[0])
    np.testing.assert_allclose(model.predict(), np.mean([fit.predict() for fit in fits], axis=0), atol=1e-10)
    np.testing.assert_allclose(model.losses, np.mean([fit.losses for fit in fits], axis=0), rtol=1e-12)


def test_masked_defaults_without_biases_are_one_fit():
    model = non_negative_masked(_ratings(), 3, random_state=0)
    assert model.n_fits == 1
    assert model.Z.shape[1] == 3
    assert len(model.losses) == 21


def test_masked_default_predicts_held_out_entries_of_a_planted_problem():
    """Ratings-like data: offsets, a non-negative rank-3 part and noise; 30% observed. The
    defaults (tuned for ratings, with tens of components) recover the noise-free values of
    entries they never saw far better than the biases alone, and to well below the noise."""
    rng = np.random.default_rng(5)
    n, m, k, noise = 300, 200, 3, 0.5
    z0 = rng.gamma(1.0, 0.6, (n, k)) * (rng.random((n, k)) < 0.7)
    h0 = rng.gamma(1.0, 0.6, (k, m)) * (rng.random((k, m)) < 0.7)
    signal = 2.5 + rng.normal(0, 0.3, (n, 1)) + rng.normal(0, 0.3, (1, m)) + z0 @ h0
    observed = rng.random(signal.shape) < 0.3
    data = np.where(observed, signal + rng.normal(0, noise, signal.shape), np.nan)
    rows, cols = np.nonzero(~observed)
    model = non_negative_masked(data, 20, biases=True, random_state=0)
    held_out = np.sqrt(np.mean((model.predict(rows, cols) - signal[rows, cols]) ** 2))
    biases_only = non_negative_masked(data, 1, biases=True, l2=1e6, random_state=0)
    baseline = np.sqrt(np.mean((biases_only.predict(rows, cols) - signal[rows, cols]) ** 2))
    assert held_out < 0.6 * baseline
    assert held_out < 0.7 * noise
    assert model.Z.min() >= 0
    assert model.H.min() >= 0


def _row_objective(model, cols, values, z, bias):
    residual = values - (model.mean + bias + model.col_bias[cols] + z @ model.H[:, cols])
    return residual @ residual + model.l2 * cols.size * (z @ z) + model.bias_l2 * bias**2


@pytest.mark.parametrize("n_fits", [1, 3])
def test_fold_in_matches_refitting_the_row_with_h_fixed(n_fits):
    from scipy.optimize import minimize

    X = _ratings(seed=11)
    model = non_negative_masked(X, 4, biases=True, random_state=0, n_fits=n_fits)
    rng = np.random.default_rng(1)
    cols = rng.choice(60, 12, replace=False)
    values = rng.integers(1, 6, 12).astype(float)
    z, bias = model.fold_in(cols, values)
    k = model.H.shape[0]
    # An independent solver on the same objective: L-BFGS-B, z >= 0, the bias free.
    refit = minimize(
        lambda x: _row_objective(model, cols, values, x[:k], x[k]),
        np.zeros(k + 1),
        method="L-BFGS-B",
        bounds=[(0, None)] * k + [(None, None)],
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10000},
    )
    assert _row_objective(model, cols, values, z, bias) <= refit.fun + 1e-9
    np.testing.assert_allclose(z, refit.x[:k], atol=1e-4)
    assert bias == pytest.approx(refit.x[k], abs=1e-4)
    assert z.min() >= 0


def test_fold_in_of_a_trained_row_gives_back_the_fitted_row():
    """At convergence each row of Z (with its bias) minimises its own row objective given H and
    the column biases: folding the row's entries back in must return it."""
    X = _ratings(seed=12)
    model = non_negative_masked(X, 3, biases=True, random_state=0, n_fits=1, num_iterations=3000, tol=1e-13)
    for row in (0, 17, 42):
        entries = X[row].tocoo()
        z, bias = model.fold_in(entries.col, entries.data)
        np.testing.assert_allclose(z, model.Z[row], atol=2e-4)
        assert bias == pytest.approx(model.row_bias[row], abs=2e-4)


def test_fold_in_without_biases_and_bad_input():
    X = _ratings(seed=13)
    model = non_negative_masked(X, 3, random_state=0)
    z, bias = model.fold_in([0, 5, 9], [4.0, 2.0, 5.0])
    assert bias == 0.0
    assert z.min() >= 0
    with pytest.raises(ValueError, match="equally long"):
        model.fold_in([0, 1], [3.0])
    with pytest.raises(TypeError, match="integer column positions"):
        model.fold_in([0.5], [3.0])
    with pytest.raises(IndexError, match="column positions"):
        model.fold_in([-1], [3.0])


def test_averaged_model_saves_and_loads(tmp_path):
    model = non_negative_masked(_ratings(), 3, biases=True, random_state=0, n_fits=3)
    model.save(tmp_path / "model.npz")
    loaded, extra = type(model).load(tmp_path / "model.npz")
    assert loaded.n_fits == model.n_fits == 3
    assert extra == {}
    np.testing.assert_array_equal(loaded.predict(), model.predict())
    assert "n_fits=3" in repr(loaded)


def test_n_fits_validation():
    X = _ratings()
    for bad in (0, -1, 1.5, True):
        with pytest.raises(
            ValueError, match="n_fits passed to non_negative_masked must be a positive integer"
        ):
            non_negative_masked(X, 2, biases=True, n_fits=bad)
    start = (np.full((80, 2), 0.1), np.full((2, 60), 0.1))
    with pytest.raises(ValueError, match="n_fits passed to non_negative_masked must be 1 when init is given"):
        non_negative_masked(X, 2, biases=True, n_fits=2, init=start)
    assert non_negative_masked(X, 2, biases=True, init=start, num_iterations=2).n_fits == 1


def _base_ratings(n_users=40, n_movies=30, n=600, seed=3):
    rng = np.random.default_rng(seed)
    pairs = pd.DataFrame(
        {"user id": rng.integers(1, n_users + 1, 3 * n), "movie id": rng.integers(1, n_movies + 1, 3 * n)}
    )
    pairs = pairs.drop_duplicates().head(n).reset_index(drop=True)
    return pairs.assign(rating=rng.integers(1, 6, len(pairs)), timestamp=0)


def test_validation_split_is_seeded_disjoint_and_complete():
    from nmf_course.tuning import validation_split

    base = _base_ratings()
    fit, validation = validation_split(base, fraction=0.2, random_state=4)
    assert set(fit.index).isdisjoint(validation.index)
    assert sorted([*fit.index, *validation.index]) == list(base.index)
    assert 0.1 < len(validation) / len(base) < 0.3
    again, _ = validation_split(base, fraction=0.2, random_state=4)
    assert again.index.equals(fit.index)
    other, _ = validation_split(base, fraction=0.2, random_state=5)
    assert not other.index.equals(fit.index)
    with pytest.raises(ValueError, match="fraction passed to validation_split"):
        validation_split(base, fraction=1.0)
    with pytest.raises(TypeError, match="ratings passed to validation_split"):
        validation_split(base.drop(columns="rating"))


def test_grid_search_sees_only_the_ratings_it_is_given(monkeypatch):
    """The search fits and scores on parts of the base ratings it is handed, and reads no file:
    every way of loading ratings is made to fail while it runs."""
    import nmf_course.data
    from nmf_course.tuning import grid_search

    def refuse(*args, **kwargs):
        raise AssertionError("grid_search tried to read ratings from disk")

    for name in ("load_split", "read_ratings", "load_movielens"):
        monkeypatch.setattr(nmf_course.data, name, refuse)
    monkeypatch.setattr(pd, "read_csv", refuse)
    base = _base_ratings()
    seen = []

    def fit_predict(fit, pairs, shrink):
        seen.append((fit.copy(), pairs.copy()))
        assert list(pairs.columns) == ["user id", "movie id"]  # no ratings of the pairs to score
        users = fit.groupby("user id")["rating"].mean()
        return users.reindex(pairs["user id"]).fillna(fit["rating"].mean()).to_numpy() * shrink

    results = grid_search(base, fit_predict, {"shrink": [0.5, 1.0]})
    assert list(results["shrink"]) == [1.0, 0.5]  # best first
    assert list(results.columns) == ["shrink", "validation rmse", "seconds"]
    assert len(seen) == 2
    for fit, pairs in seen:
        fit_keys = set(zip(fit["user id"], fit["movie id"], strict=True))
        pair_keys = set(zip(pairs["user id"], pairs["movie id"], strict=True))
        base_keys = set(zip(base["user id"], base["movie id"], strict=True))
        assert fit_keys.isdisjoint(pair_keys)
        assert fit_keys | pair_keys == base_keys  # all of the base, nothing else


def test_averaged_fits_warn_once_when_out_of_sweeps():
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        non_negative_masked(
            _ratings(), 3, biases=True, n_fits=3, tol=1e-14, num_iterations=10, random_state=0
        )
    assert [w.category for w in caught] == [ConvergenceWarning]
    assert "num_iterations=10" in str(caught[0].message)

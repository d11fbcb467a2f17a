"""Recommendations, new users, genre statistics, reading H; evaluation and plots."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from nmf_course.plots import plot_components, plot_genre_comparison, plot_loss
from nmf_helpers import (
    bias_predictions,
    compare_genres,
    describe_components,
    fold_in_user,
    global_mean_predictions,
    new_user_ratings,
    non_negative,
    predict_ratings,
    rating_matrix,
    recommend_movies,
    rmse,
)


@pytest.fixture(scope="module")
def fitted(movielens):
    R = rating_matrix(movielens.ratings)
    Z, H = non_negative(R, 8, random_state=0, num_iterations=150)
    return R, Z, H, pd.DataFrame(Z @ H, index=R.index, columns=R.columns)


def test_recommends_unseen_movies_best_first(movielens, fitted):
    R, _, _, reconstruction = fitted
    user = int(R.index[5])
    top = recommend_movies(reconstruction, user, movielens.movies, movielens.ratings, n=20)
    assert list(top.columns) == ["movie id", "movie title", "predicted rating", "genres"]
    assert len(top) == 20
    assert list(top.index) == list(range(1, 21))
    seen = set(movielens.ratings.loc[movielens.ratings["user id"] == user, "movie id"])
    assert not seen & set(top["movie id"])
    assert top["predicted rating"].is_monotonic_decreasing
    unseen = reconstruction.loc[user].drop(list(seen))
    assert top["predicted rating"].iloc[-1] >= unseen.drop(top["movie id"]).max()
    np.testing.assert_allclose(top["predicted rating"], reconstruction.loc[user, top["movie id"]])
    titles = movielens.movies.set_index("movie id")["movie title"]
    assert list(top["movie title"]) == list(titles.loc[top["movie id"]])


def test_rows_are_found_by_user_id_not_position(movielens):
    ratings = pd.DataFrame({"user id": [7, 7, 9], "movie id": [1, 2, 3], "rating": [5, 4, 3]})
    reconstruction = pd.DataFrame(
        [[1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0]], index=[7, 9], columns=[1, 2, 3, 4]
    )
    top = recommend_movies(reconstruction, 9, movielens.movies, ratings, n=2)
    assert list(top["movie id"]) == [1, 2]  # user 9's row, not the row at position 9 or 8
    assert list(recommend_movies(reconstruction, 7, movielens.movies, ratings, n=5)["movie id"]) == [4, 3]


def test_positional_reconstruction_is_refused(movielens, fitted):
    _, Z, H, reconstruction = fitted
    with pytest.raises(ValueError, match="indexed by row position"):
        recommend_movies(
            pd.DataFrame(Z @ H, columns=reconstruction.columns), 1, movielens.movies, movielens.ratings
        )
    with pytest.raises(TypeError, match="must be a DataFrame indexed by user id"):
        recommend_movies(Z @ H, 1, movielens.movies, movielens.ratings)
    with pytest.raises(KeyError, match="user_id 99999 passed to recommend_movies is not a row"):
        recommend_movies(reconstruction, 99999, movielens.movies, movielens.ratings)
    with pytest.raises(ValueError, match="n passed to recommend_movies"):
        recommend_movies(reconstruction, 1, movielens.movies, movielens.ratings, n=0)


def test_ties_are_broken_by_movie_id(movielens):
    ratings = pd.DataFrame({"user id": [1], "movie id": [1], "rating": [5]})
    reconstruction = pd.DataFrame([[3.0, 3.0, 3.0, 5.0]], index=[1], columns=[4, 2, 3, 1])
    assert list(recommend_movies(reconstruction, 1, movielens.movies, ratings, n=3)["movie id"]) == [2, 3, 4]


def test_new_user_by_title_and_id(movielens):
    titles = movielens.movies["movie title"]
    first, second = titles.iloc[0], titles.iloc[1]
    ratings = new_user_ratings(movielens.movies, {first: 5, int(movielens.movies["movie id"].iloc[1]): 2})
    assert list(ratings.index) == list(movielens.movies["movie id"].iloc[:2])
    assert list(ratings) == [5.0, 2.0]
    assert (
        new_user_ratings(movielens.movies, {second.upper()[:-7]: 4}).index[0]
        in movielens.movies["movie id"].values
    )
    with pytest.raises(KeyError, match="matches 0 movies"):
        new_user_ratings(movielens.movies, {"no such film at all": 3})
    with pytest.raises(KeyError, match=r"matches \d+ movies"):
        new_user_ratings(movielens.movies, {"(19": 3})
    with pytest.raises(ValueError, match="between 1 and 5"):
        new_user_ratings(movielens.movies, {first: 9})


def test_fold_in_recovers_a_planted_user():
    rng = np.random.default_rng(0)
    H = rng.uniform(0, 1, (4, 30))
    z0 = np.array([0.0, 2.0, 0.5, 0.0])
    ids = np.arange(101, 131)
    rated = pd.Series((z0 @ H)[:12], index=ids[:12])
    np.testing.assert_allclose(fold_in_user(H, rated, ids), z0, atol=1e-8)
    assert fold_in_user(H, rated, ids, fill=0.0).min() >= 0
    with pytest.raises(KeyError, match="not among movie_ids"):
        fold_in_user(H, pd.Series([3.0], index=[5]), ids)


def test_genre_comparison_and_component_reading(movielens, fitted):
    R, _, H, reconstruction = fitted
    user = int(R.index[0])
    top = recommend_movies(reconstruction, user, movielens.movies, movielens.ratings)
    comparison = compare_genres(user, top, movielens.movies, movielens.ratings)
    assert list(comparison.columns) == ["rated", "recommended"]
    np.testing.assert_allclose(comparison.sum(), [1.0, 1.0])
    description = describe_components(H, R.columns, movielens.movies)
    assert len(description) == 8
    assert description["label"].str.endswith("fans").all()
    strongest = R.columns[np.argmax(H[0])]
    titles = movielens.movies.set_index("movie id")["movie title"]
    assert description.loc[0, "top movies"][0] == titles[strongest]


def test_rmse_and_baselines(movielens):
    assert rmse([1, 2, 3], [1, 2, 5]) == pytest.approx(np.sqrt(4 / 3))
    with pytest.raises(ValueError, match="differ in shape"):
        rmse([1, 2], [1])
    train, test = movielens.split("u1")
    global_mean = rmse(test["rating"], global_mean_predictions(train, test))
    biases = rmse(test["rating"], bias_predictions(train, test))
    assert biases < global_mean - 0.05
    if not movielens.synthetic:
        assert global_mean == pytest.approx(1.154, abs=0.001)
        assert biases < 0.96


def test_predict_ratings_looks_up_ids():
    reconstruction = pd.DataFrame([[1.0, 7.0], [3.0, 4.0]], index=[5, 6], columns=[10, 20])
    pairs = pd.DataFrame({"user id": [6, 5, 8], "movie id": [10, 20, 10]})
    with pytest.raises(KeyError, match="pass default="):
        predict_ratings(reconstruction, pairs)
    np.testing.assert_allclose(predict_ratings(reconstruction, pairs, default=2.5), [3.0, 5.0, 2.5])


def test_plots_draw_what_they_are_given():
    H = np.abs(np.random.default_rng(0).standard_normal((10, 64)))
    fig = plot_components(H)
    assert sum(ax.has_data() for ax in fig.axes) == 10
    with pytest.raises(ValueError, match="each row must hold"):
        plot_components(H[:, :60])
    ax = plot_loss([5.0, 3.0, 2.0])
    assert ax.get_yscale() == "log"
    assert len(ax.lines) == 1
    comparison = pd.DataFrame({"rated": [0.5, 0.5], "recommended": [0.2, 0.8]}, index=["Drama", "Comedy"])
    ax = plot_genre_comparison(comparison)
    assert len(ax.patches) == 4
    plt.close("all")

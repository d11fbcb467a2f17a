"""Recommendations, new users, genre statistics, reading H; evaluation and plots."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from nmf_course import (
    GENRES,
    evaluate_ranking,
    genre_lift,
    genre_profile,
    hit_rate,
    match_components,
    precision_at_k,
    top_unseen,
)
from nmf_course.plots import (
    plot_components,
    plot_genre_comparison,
    plot_loss,
    plot_matched_components,
    plot_rating_densities,
)
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
    assert list(comparison.columns) == ["liked", "disliked", "recommended", "catalogue"]
    own = movielens.ratings[movielens.ratings["user id"] == user]
    for column, chosen in [("liked", own["rating"] >= 4), ("disliked", own["rating"] <= 2)]:
        if chosen.any():
            assert comparison[column].sum() == pytest.approx(1.0)
            pd.testing.assert_series_equal(
                comparison[column],
                genre_profile(own.loc[chosen, "movie id"], movielens.movies),
                check_names=False,
            )
        else:
            assert comparison[column].isna().all()
    np.testing.assert_allclose(comparison[["recommended", "catalogue"]].sum(), [1.0, 1.0])
    description = describe_components(H, R.columns, movielens.movies)
    assert len(description) == 8
    strongest = R.columns[np.argmax(H[0])]
    titles = movielens.movies.set_index("movie id")["movie title"]
    assert description.loc[0, "top movies"][0] == titles[strongest]
    for k, label in description["label"].items():  # labels name the genres with the largest lift
        if label != "no genre stands out":
            lift = genre_lift(R.columns, movielens.movies, weights=H[k], catalogue=R.columns)
            assert lift[label.split("/")[0]] >= 1.2


def _genre_movies():
    """Four movies: three Dramas and one Horror film that is also a Drama."""
    movies = pd.DataFrame({"movie id": [1, 2, 3, 4], "movie title": list("ABCD"), **dict.fromkeys(GENRES, 0)})
    movies["Drama"] = [1, 1, 1, 1]
    movies["Horror"] = [0, 0, 0, 1]
    return movies


def test_genre_profile_and_lift_against_the_catalogue():
    movies = _genre_movies()
    profile = genre_profile([1, 4], movies)
    assert profile.sum() == pytest.approx(1.0)
    assert profile["Drama"] == pytest.approx(0.75)
    assert profile["Horror"] == pytest.approx(0.25)
    # catalogue: 3.5 Drama labels and 0.5 Horror labels of 4 -> Horror base rate 1/8
    lift = genre_lift([4], movies)
    assert lift["Horror"] == pytest.approx(0.5 / 0.125)
    assert lift["Drama"] == pytest.approx(0.5 / 0.875)
    assert np.isnan(lift["Western"])  # absent from the catalogue: no base rate
    weighted = genre_profile([1, 4], movies, weights=[3.0, 1.0])
    assert weighted["Horror"] == pytest.approx(0.125)
    assert genre_profile([], movies).isna().all()
    with pytest.raises(KeyError, match="not in movies"):
        genre_profile([99], movies)
    with pytest.raises(ValueError, match="non-negative, one per movie"):
        genre_profile([1, 4], movies, weights=[1.0])


def test_a_rare_genre_needs_support_to_label_a_component():
    movies = _genre_movies()
    movies["Documentary"] = [0, 0, 1, 0]  # one movie: a tiny share of any mix
    H = np.array([[0.1, 0.1, 0.2, 5.0], [1.0, 1.0, 0.05, 0.0], [1.0, 1.0, 1.0, 1.0]])
    description = describe_components(H, [1, 2, 3, 4], movies, n_movies=2)
    assert description.loc[0, "label"].startswith("Horror")
    assert description.loc[1, "label"] == "Drama"  # pure Drama: x1.3 over the catalogue
    assert description.loc[2, "label"] == "no genre stands out"  # the catalogue itself
    assert description.loc[0, "top movies"] == ["D", "C"]
    loose = describe_components(H, [1, 2, 3, 4], movies, min_share=0.0)
    assert "Documentary" in loose.loc[0, "top genres"]  # what the support threshold keeps out


def test_ranking_metrics_by_hand():
    recommended = {1: [10, 20, 30], 2: [40, 50, 60], 3: [70, 80, 90]}
    relevant = {1: {20, 99}, 2: {60}, 3: set()}  # user 3 has nothing relevant: left out
    assert precision_at_k(recommended, relevant, k=2) == pytest.approx((1 / 2 + 0) / 2)
    assert precision_at_k(recommended, relevant, k=3) == pytest.approx((1 / 3 + 1 / 3) / 2)
    assert hit_rate(recommended, relevant, k=2) == pytest.approx(0.5)
    assert hit_rate(recommended, relevant, k=3) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="positive integer"):
        precision_at_k(recommended, relevant, k=0)
    with pytest.raises(KeyError, match="without recommendations"):
        hit_rate(recommended, {4: {1}})
    with pytest.raises(ValueError, match="no relevant movie"):
        hit_rate(recommended, {3: set()})


def test_top_unseen_skips_rated_and_rarely_rated_movies():
    scores = pd.DataFrame(
        [[5.0, 4.0, 3.0, 2.0], [1.0, 2.0, 3.0, 4.0]], index=[7, 9], columns=[10, 20, 30, 40]
    )
    rated = pd.DataFrame({"user id": [7, 9, 9, 7], "movie id": [10, 40, 20, 30]})
    top = top_unseen(scores, rated, k=2)
    assert list(top[7]) == [20, 40]
    assert list(top[9]) == [30, 10]
    rated = pd.concat([rated, pd.DataFrame({"user id": [8, 8], "movie id": [20, 10]})])
    popular = top_unseen(scores, rated, k=1, min_ratings=1)  # 10 and 20 have two ratings
    assert list(popular[7]) == [20]
    assert list(popular[9]) == [10]


def test_evaluate_ranking_finds_planted_liked_movies():
    scores = pd.DataFrame(
        [[5.0, 4.0, 3.0, 2.0], [1.0, 2.0, 3.0, 4.0]], index=[7, 9], columns=[10, 20, 30, 40]
    )
    train = pd.DataFrame({"user id": [7, 9, 8, 8], "movie id": [10, 40, 20, 30], "rating": [5, 4, 3, 3]})
    test = pd.DataFrame({"user id": [7, 7, 9], "movie id": [20, 40, 10], "rating": [5, 2, 4]})
    result = evaluate_ranking(scores, train, test, k=1)
    # user 7: top unseen 20 (liked) -> hit; user 9: top unseen 30, liked 10 -> miss
    assert result["precision@1"] == pytest.approx(0.5)
    assert result["hit rate@1"] == pytest.approx(0.5)
    assert result["users"] == 2
    assert result["median ratings of recommended"] == pytest.approx(1.0)


def test_match_components_undoes_a_permutation_and_scaling():
    rng = np.random.default_rng(0)
    reference = rng.random((6, 20))
    permutation = rng.permutation(6)
    order, correlation = match_components(reference, 2.5 * reference[permutation])
    np.testing.assert_allclose(2.5 * reference[permutation][order], 2.5 * reference)
    np.testing.assert_allclose(correlation, 1.0)
    with pytest.raises(ValueError, match="of one shape"):
        match_components(reference, reference[:5])


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
    comparison = pd.DataFrame(
        {
            "liked": [0.5, 0.5],
            "disliked": [np.nan, np.nan],
            "recommended": [0.2, 0.8],
            "catalogue": [0.6, 0.4],
        },
        index=["Drama", "Comedy"],
    )
    ax = plot_genre_comparison(comparison)
    assert len(ax.patches) == 4  # two groups of bars: the empty 'disliked' is left out
    assert len(ax.collections) == 1  # the base rate as markers
    assert "base rate" in " ".join(t.get_text() for t in ax.get_legend().get_texts())
    fig = plot_matched_components(H[:4], H[:4], [1.0, 0.9, 0.8, 0.7])
    assert sum(ax.has_data() for ax in fig.axes) == 8
    assert fig.axes[1].get_title() == "r = 0.90"
    ax = plot_rating_densities({"a": [1, 2, 2, 3], "b": np.linspace(0, 5, 1000)})
    heights = [p.get_height() * p.get_width() for p in ax.patches]
    assert sum(heights) == pytest.approx(2.0)  # each histogram integrates to 1
    assert ax.get_ylabel() == "density"
    plt.close("all")

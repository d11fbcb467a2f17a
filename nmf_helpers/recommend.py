"""Recommendations from a reconstructed rating matrix: the reference ``recommend_movies``.

The convention throughout: a reconstruction is a DataFrame indexed by user id
with movie ids as columns, e.g. ``pd.DataFrame(Z @ H, index=R.index,
columns=R.columns)`` for a rating matrix ``R`` from
:func:`nmf_course.rating_matrix`. A reconstruction whose index is row
positions (0, 1, 2, ...) instead of user ids is refused, since looking users up
in it would silently recommend for the wrong user.
"""

import numpy as np
import pandas as pd

from nmf_course.movielens import GENRES

__all__ = ["recommend_movies"]


def _check_reconstruction(reconstruction, ratings, caller):
    if not isinstance(reconstruction, pd.DataFrame):
        raise TypeError(
            f"reconstruction passed to {caller} must be a DataFrame indexed by user id with "
            "movie ids as columns, e.g. pd.DataFrame(Z @ H, index=R.index, columns=R.columns); "
            f"got {type(reconstruction).__name__}."
        )
    index = reconstruction.index
    user_ids = pd.Index(ratings["user id"].unique())
    if isinstance(index, pd.RangeIndex) and index.start == 0 and 0 not in user_ids:
        raise ValueError(
            f"reconstruction passed to {caller} is indexed by row position (0..{len(index) - 1}), "
            "not by user id, so user ids would pick the wrong rows. Build it with the rating "
            "matrix's index: pd.DataFrame(Z @ H, index=R.index, columns=R.columns)."
        )


def _movie_table(movies, movie_ids, caller):
    missing = {"movie id", "movie title"} - set(movies.columns)
    if missing:
        raise ValueError(f"movies passed to {caller} lack the column(s) {sorted(missing)}.")
    table = movies.set_index("movie id").reindex(movie_ids)
    genre_cols = [g for g in GENRES if g in movies.columns]
    genres = [
        "|".join(g for g in genre_cols if row[g] == 1) for _, row in table[genre_cols].iterrows()
    ] if genre_cols else [""] * len(table)  # fmt: skip
    return table["movie title"].to_numpy(), genres


def _top_unseen(scores, seen, n):
    """The n best-scored ids not in ``seen``, best first; ties by ascending id."""
    candidates = scores[~scores.index.isin(seen)]
    order = np.lexsort((candidates.index.to_numpy(), -candidates.to_numpy()))
    return candidates.iloc[order[:n]]


def _as_table(top, movies, caller):
    titles, genres = _movie_table(movies, top.index, caller)
    table = pd.DataFrame(
        {
            "movie id": top.index.to_numpy(),
            "movie title": titles,
            "predicted rating": top.to_numpy(),
            "genres": genres,
        }
    )
    table.index = pd.RangeIndex(1, len(table) + 1, name="rank")
    return table


def recommend_movies(reconstruction, user_id, movies, ratings, n=20):
    """The movies a user has not rated, best predicted first.

    Parameters
    ----------
    reconstruction : DataFrame of shape (n_users, n_movies)
        Predicted ratings, indexed by user id, movie ids as columns.
    user_id : int
        A user id (as in ``ratings``, 1-based for MovieLens), not a row position.
    movies : DataFrame with columns 'movie id', 'movie title' and the genres
    ratings : DataFrame with columns 'user id', 'movie id', 'rating'
        The ratings the model was fitted on: these movies are left out.
    n : int, default=20
        How many movies to return (fewer if the user has seen nearly all).

    Returns
    -------
    recommendations : DataFrame
        Columns 'movie id', 'movie title', 'predicted rating', 'genres'
        (``|``-joined), indexed by rank from 1.
    """
    caller = "recommend_movies"
    _check_reconstruction(reconstruction, ratings, caller)
    if user_id not in reconstruction.index:
        raise KeyError(
            f"user_id {user_id!r} passed to {caller} is not a row of reconstruction "
            f"(its user ids run from {reconstruction.index.min()} to {reconstruction.index.max()})."
        )
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n passed to {caller} must be a positive integer, got {n!r}.")
    seen = ratings.loc[ratings["user id"] == user_id, "movie id"].to_numpy()
    scores = reconstruction.loc[user_id].astype(float)
    return _as_table(_top_unseen(scores, seen, int(n)), movies, caller)

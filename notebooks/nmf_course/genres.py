"""Reading a recommender: new users by title, folding them in, genres of movie lists, rows of H."""

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from .movielens import GENRES

__all__ = ["compare_genres", "describe_components", "fold_in_user", "genre_profile", "new_user_ratings"]


def new_user_ratings(movies, ratings_by_movie):
    """A new user's ratings as a Series indexed by movie id.

    Parameters
    ----------
    movies : DataFrame with columns 'movie id' and 'movie title'
    ratings_by_movie : dict
        ``{movie: rating}`` where a movie is a movie id or a title: the exact
        title, or a case-insensitive part of one that matches a single movie.

    Returns
    -------
    ratings : Series of float, indexed by 'movie id', named 'rating'
    """
    titles = movies.set_index("movie id")["movie title"]
    result = {}
    for movie, rating in ratings_by_movie.items():
        if isinstance(movie, (int, np.integer)):
            if movie not in titles.index:
                raise KeyError(f"movie id {movie} is not in movies.")
            movie_id = int(movie)
        else:
            exact = titles.index[titles == movie]
            found = exact if len(exact) else titles.index[titles.str.contains(movie, case=False, regex=False)]
            if len(found) != 1:
                shown = "; ".join(titles.loc[found[:5]]) if len(found) else "none"
                raise KeyError(
                    f"{movie!r} matches {len(found)} movies ({shown}): give the full title or the movie id."
                )
            movie_id = int(found[0])
        if not (1 <= float(rating) <= 5):
            raise ValueError(f"the rating of {movie!r} must be between 1 and 5, got {rating!r}.")
        result[movie_id] = float(rating)
    return pd.Series(result, name="rating", dtype=float).rename_axis("movie id")


def fold_in_user(H, user_ratings, movie_ids, *, fill=None, l2=0.0):
    """Fit a new user's row z >= 0 against a fixed H: ``min ||r - z H||^2 + l2 ||z||^2``.

    Parameters
    ----------
    H : array-like of shape (n_components, n_movies)
        The fitted H (not changed).
    user_ratings : Series indexed by movie id
        The new user's ratings (see :func:`new_user_ratings`).
    movie_ids : array-like of shape (n_movies,)
        The movie id of each column of H.
    fill : float, default=None
        None fits the rated movies only. A number treats the unrated movies as
        rated ``fill`` (0 mimics adding the user to a zero-filled matrix).
    l2 : float, default=0.0
        Ridge penalty on z.

    Returns
    -------
    z : ndarray of shape (n_components,)
    """
    H = np.asarray(H, dtype=float)
    movie_ids = pd.Index(movie_ids)
    if H.ndim != 2 or H.shape[1] != len(movie_ids):
        raise ValueError(
            f"H passed to fold_in_user has shape {H.shape}; expected (n_components, {len(movie_ids)})."
        )
    cols = movie_ids.get_indexer(user_ratings.index)
    if (cols < 0).any():
        unknown = list(user_ratings.index[cols < 0][:5])
        raise KeyError(f"user_ratings passed to fold_in_user name movie ids not among movie_ids: {unknown}.")
    if fill is None:
        design, target = H[:, cols].T, user_ratings.to_numpy(float)
    else:
        target = np.full(len(movie_ids), float(fill))
        target[cols] = user_ratings.to_numpy(float)
        design = H.T
    if l2 > 0:
        k = H.shape[0]
        design = np.vstack([design, np.sqrt(l2) * np.eye(k)])
        target = np.concatenate([target, np.zeros(k)])
    z, _ = nnls(design, target)
    return z


def genre_profile(movie_ids, movies):
    """Share of each genre among the given movies (a movie of k genres counts 1/k to each)."""
    flags = movies.set_index("movie id").loc[list(movie_ids), list(GENRES)].to_numpy(float)
    weights = flags / np.maximum(flags.sum(axis=1, keepdims=True), 1)
    share = weights.sum(axis=0) / max(len(flags), 1)
    return pd.Series(share, index=list(GENRES), name="share")


def compare_genres(user_id, recommendations, movies, ratings):
    """Genre shares of a user's rated movies beside those of their recommendations.

    Returns
    -------
    comparison : DataFrame indexed by genre with columns 'rated' and 'recommended'
    """
    rated = ratings.loc[ratings["user id"] == user_id, "movie id"]
    if rated.empty:
        raise KeyError(f"user_id {user_id!r} passed to compare_genres has no ratings.")
    return pd.DataFrame(
        {
            "rated": genre_profile(rated, movies),
            "recommended": genre_profile(recommendations["movie id"], movies),
        }
    )


def describe_components(H, movie_ids, movies, *, n_movies=8, n_weighted=50):
    """Read each row of H as a prototypical user: top movies and over-represented genres.

    Parameters
    ----------
    H : array-like of shape (n_components, n_movies)
    movie_ids : array-like of shape (n_movies,)
        The movie id of each column of H.
    movies : DataFrame from :func:`nmf_course.read_movies`
    n_movies : int, default=8
        Titles listed per component.
    n_weighted : int, default=50
        The component's strongest movies used for the genre statistics.

    Returns
    -------
    description : DataFrame indexed by component
        'top movies' (titles), 'top genres' (the genres most over-represented
        among the strongest movies, with their lift over all movies) and
        'label', a short name such as "Comedy/Romance fans".
    """
    H = np.asarray(H, dtype=float)
    movie_ids = np.asarray(movie_ids)
    titles = movies.set_index("movie id")["movie title"]
    overall = genre_profile(movie_ids, movies)
    rows = []
    for k, row in enumerate(H):
        order = np.argsort(-row, kind="stable")
        strongest = movie_ids[order[:n_weighted]]
        lift = (genre_profile(strongest, movies) / overall.replace(0, np.nan)).drop("unknown").dropna()
        top = lift.sort_values(ascending=False).head(3)
        rows.append(
            {
                "component": k,
                "top movies": list(titles.loc[movie_ids[order[:n_movies]]]),
                "top genres": ", ".join(f"{g} x{v:.1f}" for g, v in top.items()),
                "label": "/".join(top.index[:2]) + " fans",
            }
        )
    return pd.DataFrame(rows).set_index("component")

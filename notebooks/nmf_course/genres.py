"""Reading a recommender: new users by title, folding them in, genres of movie lists, rows of H."""

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from .movielens import GENRES

__all__ = [
    "compare_genres",
    "describe_components",
    "fold_in_user",
    "genre_lift",
    "genre_profile",
    "new_user_ratings",
]


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


def _genre_weights(movie_ids, movies):
    """Genre flags of the movies, each row summing to 1 (a movie of k genres counts 1/k to each)."""
    table = movies.set_index("movie id")
    missing = pd.Index(movie_ids).difference(table.index)
    if len(missing):
        raise KeyError(f"movie ids not in movies: {list(missing[:5])}.")
    flags = table.loc[list(movie_ids), list(GENRES)].to_numpy(float)
    return flags / np.maximum(flags.sum(axis=1, keepdims=True), 1)


def genre_profile(movie_ids, movies, *, weights=None):
    """Share of each genre among the given movies; the shares sum to 1.

    Parameters
    ----------
    movie_ids : array-like of int
    movies : DataFrame with 'movie id' and the 19 genre columns
    weights : array-like of shape (len(movie_ids),), default=None
        Weight of each movie (e.g. its entry in a row of H); None weighs them equally.

    Returns
    -------
    share : Series indexed by genre, named 'share'
        A movie of k genres counts 1/k to each; an empty list gives NaN.
    """
    flags = _genre_weights(movie_ids, movies)
    w = np.ones(len(flags)) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (len(flags),) or (w < 0).any():
        raise ValueError("weights passed to genre_profile must be non-negative, one per movie id.")
    share = w @ flags / w.sum() if w.sum() > 0 else np.full(len(GENRES), np.nan)
    return pd.Series(share, index=list(GENRES), name="share")


def genre_lift(movie_ids, movies, *, weights=None, catalogue=None):
    """How much more often each genre occurs among the given movies than in the catalogue.

    ``lift = share among the movies / share in the catalogue``: 1 is the base rate, 2 twice
    as common, 0.5 half as common. A raw share misleads because Drama and Comedy make up
    over a third of all genre labels: they top every list.

    Parameters
    ----------
    movie_ids, weights
        As in :func:`genre_profile`.
    movies : DataFrame with 'movie id' and the 19 genre columns
    catalogue : array-like of int, default=None
        The movie ids that form the base rate; None uses every movie in ``movies``.

    Returns
    -------
    lift : Series indexed by genre (NaN for a genre the catalogue lacks)

    Examples
    --------
    >>> import pandas as pd
    >>> from nmf_course.movielens import GENRES
    >>> movies = pd.DataFrame({"movie id": [1, 2, 3, 4], **{g: 0 for g in GENRES}})
    >>> movies.loc[:, "Drama"] = [1, 1, 1, 0]
    >>> movies.loc[:, "Horror"] = [0, 0, 0, 1]
    >>> genre_lift([4], movies)[["Drama", "Horror"]].tolist()
    [0.0, 4.0]
    """
    catalogue = movies["movie id"] if catalogue is None else catalogue
    base = genre_profile(catalogue, movies)
    return (genre_profile(movie_ids, movies, weights=weights) / base.replace(0, np.nan)).rename("lift")


def compare_genres(user_id, recommendations, movies, ratings, *, like=4, dislike=2, catalogue=None):
    """Genre shares of what a user liked, disliked and is recommended, beside the catalogue's.

    Parameters
    ----------
    user_id : int
    recommendations : DataFrame with a 'movie id' column
    movies : DataFrame with 'movie id' and the 19 genre columns
    ratings : DataFrame with columns 'user id', 'movie id', 'rating'
    like, dislike : float, default=4 and 2
        Ratings of at least ``like`` count as liked, of at most ``dislike`` as disliked.
    catalogue : array-like of int, default=None
        Movie ids of the base rate (e.g. the movies the model knows); None: all of ``movies``.

    Returns
    -------
    comparison : DataFrame indexed by genre
        Columns 'liked', 'disliked', 'recommended', 'catalogue'; each sums to 1 (a
        column is NaN when the user has no such movie).
    """
    own = ratings.loc[ratings["user id"] == user_id]
    if own.empty:
        raise KeyError(f"user_id {user_id!r} passed to compare_genres has no ratings.")
    catalogue = movies["movie id"] if catalogue is None else catalogue
    return pd.DataFrame(
        {
            "liked": genre_profile(own.loc[own["rating"] >= like, "movie id"], movies),
            "disliked": genre_profile(own.loc[own["rating"] <= dislike, "movie id"], movies),
            "recommended": genre_profile(recommendations["movie id"], movies),
            "catalogue": genre_profile(catalogue, movies),
        }
    )


def describe_components(H, movie_ids, movies, *, n_movies=8, min_share=0.04):
    """Read each row of H as a prototypical user: top movies and genres by lift.

    A row's genre mix weighs every movie by its entry in the row; a genre's lift is
    its share in that mix over its share in the catalogue (the movies of H). Genres
    with a share below ``min_share`` are left out, so that a rare genre (Documentary,
    Film-Noir) cannot top a row on a few movies.

    Parameters
    ----------
    H : array-like of shape (n_components, n_movies)
    movie_ids : array-like of shape (n_movies,)
        The movie id of each column of H.
    movies : DataFrame from :func:`nmf_course.read_movies`
    n_movies : int, default=8
        Titles listed per component.
    min_share : float, default=0.04
        Smallest share in the row's mix for a genre to be named.

    Returns
    -------
    description : DataFrame indexed by component
        'top movies' (titles), 'top genres' (the three with the largest lift, e.g.
        "Sci-Fi x2.1") and 'label' (the two leading genres, e.g. "Sci-Fi/Action"; a row
        that lifts no genre by 1.2 or more is labelled "no genre stands out").
    """
    H = np.asarray(H, dtype=float)
    movie_ids = np.asarray(movie_ids)
    if H.ndim != 2 or H.shape[1] != len(movie_ids):
        raise ValueError(
            f"H passed to describe_components has shape {H.shape}; expected (n_components, {len(movie_ids)})."
        )
    titles = movies.set_index("movie id")["movie title"]
    rows = []
    for k, row in enumerate(H):
        order = np.argsort(-row, kind="stable")
        share = genre_profile(movie_ids, movies, weights=row)
        lift = genre_lift(movie_ids, movies, weights=row, catalogue=movie_ids)
        lift = lift.drop("unknown")[share.drop("unknown") >= min_share].dropna()
        top = lift.sort_values(ascending=False).head(3)
        standing_out = top[top >= 1.2]
        rows.append(
            {
                "component": k,
                "top movies": list(titles.loc[movie_ids[order[:n_movies]]]),
                "top genres": ", ".join(f"{g} x{v:.1f}" for g, v in top.items()),
                "label": "/".join(standing_out.index[:2]) if len(standing_out) else "no genre stands out",
            }
        )
    return pd.DataFrame(rows).set_index("component")

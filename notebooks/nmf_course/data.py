"""MovieLens-100k as DataFrames, and the user x movie rating matrices built from them.

Column names are those the assignment uses: ``'user id'``, ``'movie id'``,
``'rating'``, ``'timestamp'``, ``'movie title'``, the 19 genre names, ...
Rating matrices are DataFrames indexed by ``'user id'`` with ``'movie id'``
columns, so a row is always found by its user id, never by its position.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .movielens import GENRES, MovieLensNotFound, movielens_folder

__all__ = [
    "FILL_CHOICES",
    "GENRES",
    "MOVIE_COLUMNS",
    "RATING_COLUMNS",
    "SPLITS",
    "USER_COLUMNS",
    "MovieLens",
    "load_digits",
    "load_movielens",
    "load_split",
    "merge_duplicate_titles",
    "observed_mask",
    "rating_matrix",
    "read_genres",
    "read_movies",
    "read_ratings",
    "read_users",
    "sparse_rating_matrix",
]

RATING_COLUMNS = ["user id", "movie id", "rating", "timestamp"]
MOVIE_COLUMNS = ["movie id", "movie title", "release date", "video release date", "IMDb URL", *GENRES]
USER_COLUMNS = ["user id", "age", "gender", "occupation", "zip code"]
SPLITS = ("u1", "u2", "u3", "u4", "u5", "ua", "ub")
FILL_CHOICES = ("global mean", "movie mean", "user mean")


def read_ratings(path):
    """Read ``u.data`` or a split file (tab-separated) into a DataFrame."""
    return pd.read_csv(
        path, sep="\t", names=RATING_COLUMNS, header=None,
        dtype={"user id": np.int64, "movie id": np.int64, "rating": np.int64, "timestamp": np.int64},
    )  # fmt: skip


def read_movies(path):
    """Read ``u.item`` (latin-1, ``|``-separated, 19 genre flags) into a DataFrame."""
    movies = pd.read_csv(
        path, sep="|", names=MOVIE_COLUMNS, header=None, encoding="latin-1",
        keep_default_na=False, na_values={"release date": [""], "video release date": [""]},
    )  # fmt: skip
    movies[list(GENRES)] = movies[list(GENRES)].astype(np.int64)
    return movies


def read_users(path):
    """Read ``u.user`` (``|``-separated) into a DataFrame; zip codes stay strings."""
    return pd.read_csv(path, sep="|", names=USER_COLUMNS, header=None, dtype={"zip code": str})


def read_genres(path):
    """Read ``u.genre`` into a DataFrame with columns 'genre' and 'genre id'."""
    genres = pd.read_csv(path, sep="|", names=["genre", "genre id"], header=None)
    return genres.dropna().astype({"genre id": np.int64}).reset_index(drop=True)


@dataclass(frozen=True)
class MovieLens:
    """MovieLens-100k (or the synthetic stand-in) as DataFrames.

    Attributes
    ----------
    ratings : DataFrame with columns 'user id', 'movie id', 'rating', 'timestamp'
    movies : DataFrame with columns 'movie id', 'movie title', ..., the 19 genres
    users : DataFrame with columns 'user id', 'age', 'gender', 'occupation', 'zip code'
    genres : DataFrame with columns 'genre', 'genre id'
    folder : pathlib.Path
        Where the files were read from.
    synthetic : bool
        True for the synthetic stand-in.
    duplicates_merged : bool
        True when movies listed twice under one title were merged (see
        :func:`merge_duplicate_titles`); :meth:`split` then merges them too.
    """

    ratings: pd.DataFrame
    movies: pd.DataFrame
    users: pd.DataFrame
    genres: pd.DataFrame
    folder: Path
    synthetic: bool
    duplicates_merged: bool = False

    def split(self, name):
        """The predefined split ``name`` (u1..u5, ua, ub) as (train, test) DataFrames."""
        train, test = load_split(name, self.folder)
        if not self.duplicates_merged:
            return train, test
        raw = read_movies(self.folder / "u.item")
        _, train, test = merge_duplicate_titles(raw, train, test)
        # a user who rated both copies may now have the same movie in both parts
        seen = pd.MultiIndex.from_frame(train[["user id", "movie id"]])
        again = pd.MultiIndex.from_frame(test[["user id", "movie id"]]).isin(seen)
        return train, test[~again].reset_index(drop=True)

    def __repr__(self):
        kind = "synthetic stand-in" if self.synthetic else "MovieLens-100k"
        return (
            f"MovieLens({kind}: {len(self.ratings):,} ratings by {self.users.shape[0]:,} users "
            f"on {self.movies.shape[0]:,} movies, from {self.folder})"
        )


def _is_synthetic(folder):
    readme = Path(folder) / "README"
    return readme.is_file() and readme.read_text(encoding="latin-1").startswith("SYNTHETIC")


def _folder(folder, download):
    """An extracted ml-100k folder: ``folder`` itself or the one inside it, else the
    one :func:`movielens_folder` finds."""
    if folder is None:
        return movielens_folder(download=download)
    folder = Path(folder)
    return folder / "ml-100k" if (folder / "ml-100k" / "u.data").is_file() else folder


def merge_duplicate_titles(movies, *ratings):
    """Merge the movies that ``u.item`` lists twice under one title into one movie id.

    MovieLens-100k lists 18 titles twice (e.g. "Chasing Amy (1997)" as movies 246
    and 268), with the same genres; left alone, the same film can appear twice
    in one recommendation list. Each title keeps its smallest movie id. A user
    who rated both copies keeps the later rating (by timestamp, else the last row).

    Parameters
    ----------
    movies : DataFrame with columns 'movie id' and 'movie title'
    *ratings : DataFrame with columns 'user id', 'movie id' (and 'timestamp')
        Rating tables to re-map, e.g. ``u.data``, or a split's training and test parts.

    Returns
    -------
    movies : DataFrame
        One row per title, the original row order otherwise kept.
    *ratings : DataFrame
        Each table re-mapped, one rating per (user id, movie id) pair, rows in their
        original order, index reset.

    Examples
    --------
    >>> import pandas as pd
    >>> movies = pd.DataFrame({"movie id": [1, 2, 3], "movie title": ["A", "B", "A"]})
    >>> ratings = pd.DataFrame({"user id": [7, 7, 8], "movie id": [1, 3, 3],
    ...                         "rating": [2, 5, 4], "timestamp": [10, 20, 30]})
    >>> merged, remapped = merge_duplicate_titles(movies, ratings)
    >>> merged["movie id"].tolist(), remapped.values.tolist()
    ([1, 2], [[7, 1, 5, 20], [8, 1, 4, 30]])
    """
    missing = {"movie id", "movie title"} - set(movies.columns)
    if missing:
        raise ValueError(f"movies passed to merge_duplicate_titles lack the column(s) {sorted(missing)}.")
    first_id = movies.groupby("movie title", sort=False)["movie id"].transform("min")
    to_first = pd.Series(first_id.to_numpy(), index=movies["movie id"].to_numpy())
    merged = [movies[movies["movie id"].to_numpy() == first_id.to_numpy()].reset_index(drop=True)]
    for table in ratings:
        if not {"user id", "movie id"} <= set(table.columns):
            raise ValueError(
                "ratings passed to merge_duplicate_titles need the columns 'user id' and 'movie id'."
            )
        remapped = table.assign(**{"movie id": table["movie id"].map(to_first).fillna(table["movie id"])})
        remapped["movie id"] = remapped["movie id"].astype(table["movie id"].dtype)
        order = remapped.sort_values("timestamp", kind="stable") if "timestamp" in remapped else remapped
        keep = order.drop_duplicates(["user id", "movie id"], keep="last").index
        merged.append(remapped.loc[remapped.index.isin(keep)].reset_index(drop=True))
    return tuple(merged) if ratings else merged[0]


def load_movielens(folder=None, *, download=True, merge_duplicates=False):
    """Load MovieLens-100k: ratings, movies, users and genres.

    Parameters
    ----------
    folder : path-like, default=None
        An ``ml-100k`` folder, or a folder holding one. None looks where
        :func:`nmf_course.movielens.movielens_folder` looks (``NMF_HELPERS_DATA``,
        next to the notebook, the cache) and downloads it once if needed.
    download : bool, default=True
        Allow downloading the official zip.
    merge_duplicates : bool, default=False
        Merge the movies listed twice under one title (see
        :func:`merge_duplicate_titles`): 1,664 movies instead of 1,682. The lectures
        do; the default keeps the files as they are.

    Returns
    -------
    data : MovieLens
    """
    path = _folder(folder, download)
    for name in ("u.data", "u.item", "u.user", "u.genre"):
        if not (path / name).is_file():
            raise MovieLensNotFound(f"{path} has no {name}: it is not an ml-100k folder.")
    movies, ratings = read_movies(path / "u.item"), read_ratings(path / "u.data")
    if merge_duplicates:
        movies, ratings = merge_duplicate_titles(movies, ratings)
    return MovieLens(
        ratings=ratings,
        movies=movies,
        users=read_users(path / "u.user"),
        genres=read_genres(path / "u.genre"),
        folder=path,
        synthetic=_is_synthetic(path),
        duplicates_merged=bool(merge_duplicates),
    )


def load_split(name, folder=None, *, download=True):
    """Load a predefined split as (train, test) rating DataFrames.

    Parameters
    ----------
    name : {'u1', 'u2', 'u3', 'u4', 'u5', 'ua', 'ub'}
        u1..u5 are 80/20 splits with disjoint test sets; ua and ub hold out
        10 ratings per user.
    folder, download
        As in :func:`load_movielens`.
    """
    if name not in SPLITS:
        raise ValueError(f"name passed to load_split must be one of {', '.join(SPLITS)}; got {name!r}.")
    path = _folder(folder, download)
    return read_ratings(path / f"{name}.base"), read_ratings(path / f"{name}.test")


def load_digits():
    """scikit-learn's 8x8 digits: X of shape (1797, 64) with values 0..16, and labels y."""
    from sklearn.datasets import load_digits as _load

    digits = _load()
    return digits.data, digits.target


# --------------------------------------------------------------------------- matrices
def _check_ratings(ratings, caller):
    if not isinstance(ratings, pd.DataFrame):
        raise TypeError(f"ratings passed to {caller} must be a DataFrame, got {type(ratings).__name__}.")
    missing = {"user id", "movie id", "rating"} - set(ratings.columns)
    if missing:
        raise ValueError(
            f"ratings passed to {caller} lack the column(s) {sorted(missing)}; "
            "read them with nmf_course.read_ratings or name the columns 'user id', 'movie id', 'rating'."
        )
    if ratings.duplicated(["user id", "movie id"]).any():
        raise ValueError(f"ratings passed to {caller} rate some (user id, movie id) pair twice.")


def _normalise_fill(fill):
    if isinstance(fill, str):
        key = fill.replace("_", " ").replace("-", " ").strip().lower()
        if key in FILL_CHOICES:
            return key
        raise ValueError(
            f"fill passed to rating_matrix must be a number or one of {FILL_CHOICES}; got {fill!r}."
        )
    try:
        return float(fill)
    except (TypeError, ValueError):
        raise TypeError(f"fill passed to rating_matrix must be a number or a string; got {fill!r}.") from None


def rating_matrix(ratings, fill=0.0, *, users=None, movies=None):
    """The user x movie rating matrix, with the missing entries filled.

    Parameters
    ----------
    ratings : DataFrame with columns 'user id', 'movie id', 'rating'
    fill : float or {'global mean', 'movie mean', 'user mean'}, default=0.0
        What missing entries become: a constant (``np.nan`` leaves them
        missing), the mean of all ratings, the movie's mean rating or the
        user's (the global mean where a movie or user has none).
    users, movies : array-like of int, default=None
        Row and column ids to use (e.g. all users of the full data set when
        ``ratings`` is a training split). None uses the ids in ``ratings``.

    Returns
    -------
    matrix : DataFrame of shape (n_users, n_movies)
        Indexed by 'user id', columns 'movie id'.
    """
    _check_ratings(ratings, "rating_matrix")
    fill = _normalise_fill(fill)
    matrix = ratings.pivot(index="user id", columns="movie id", values="rating").astype(float)
    if users is not None or movies is not None:
        matrix = matrix.reindex(
            index=pd.Index(users if users is not None else matrix.index, name="user id"),
            columns=pd.Index(movies if movies is not None else matrix.columns, name="movie id"),
        )
    global_mean = float(ratings["rating"].mean())
    if fill == "global mean":
        return matrix.fillna(global_mean)
    if fill == "movie mean":
        means = matrix.mean(axis=0).fillna(global_mean)
        return matrix.fillna(means)
    if fill == "user mean":
        means = matrix.mean(axis=1).fillna(global_mean)
        return matrix.T.fillna(means).T
    return matrix if np.isnan(fill) else matrix.fillna(fill)


def observed_mask(ratings, *, users=None, movies=None):
    """Boolean DataFrame, True where a user rated a movie (same layout as :func:`rating_matrix`)."""
    return rating_matrix(ratings, np.nan, users=users, movies=movies).notna()


def sparse_rating_matrix(ratings, *, users=None, movies=None):
    """The rating matrix as CSR (stored entries = the ratings), with its ids.

    Returns
    -------
    matrix : scipy.sparse.csr_matrix of shape (n_users, n_movies)
    user_ids : ndarray
        The user id of each row.
    movie_ids : ndarray
        The movie id of each column.
    """
    _check_ratings(ratings, "sparse_rating_matrix")
    user_ids = np.unique(ratings["user id"]) if users is None else np.asarray(users)
    movie_ids = np.unique(ratings["movie id"]) if movies is None else np.asarray(movies)
    rows = pd.Index(user_ids).get_indexer(ratings["user id"])
    cols = pd.Index(movie_ids).get_indexer(ratings["movie id"])
    keep = (rows >= 0) & (cols >= 0)
    matrix = sp.csr_matrix(
        (ratings["rating"].to_numpy(float)[keep], (rows[keep], cols[keep])),
        shape=(len(user_ids), len(movie_ids)),
    )
    return matrix, user_ids, movie_ids

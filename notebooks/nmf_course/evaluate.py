"""Held-out error of rating predictions, ranking quality of recommendations, the baselines
to compare with, and matching the components of two factorisations."""

import numpy as np
import pandas as pd

__all__ = [
    "bias_predictions",
    "evaluate_ranking",
    "fit_biases",
    "global_mean_predictions",
    "hit_rate",
    "match_components",
    "precision_at_k",
    "predict_ratings",
    "rmse",
    "top_unseen",
]


def rmse(y_true, y_pred):
    """Root mean squared error between two equally long sequences of ratings."""
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred passed to rmse differ in shape: {y_true.shape} vs {y_pred.shape}."
        )
    if np.isnan(y_pred).any():
        raise ValueError("y_pred passed to rmse holds NaN: some (user, movie) pairs have no prediction.")
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def predict_ratings(reconstruction, pairs, *, clip=(1, 5), default=None):
    """Look up predictions for (user id, movie id) pairs in a reconstruction.

    Parameters
    ----------
    reconstruction : DataFrame indexed by user id, movie ids as columns
    pairs : DataFrame with columns 'user id' and 'movie id'
    clip : tuple or None, default=(1, 5)
        Clip the predictions to the rating scale.
    default : float, default=None
        Prediction for users or movies the reconstruction lacks; None raises.

    Returns
    -------
    predictions : ndarray of shape (len(pairs),)
    """
    rows = reconstruction.index.get_indexer(pairs["user id"])
    cols = reconstruction.columns.get_indexer(pairs["movie id"])
    unknown = (rows < 0) | (cols < 0)
    if unknown.any() and default is None:
        raise KeyError(
            f"{int(unknown.sum())} pairs passed to predict_ratings name users or movies that the "
            "reconstruction lacks; pass default= (e.g. the global mean) to predict those."
        )
    values = reconstruction.to_numpy(float)
    predictions = np.where(unknown, np.nan, values[np.maximum(rows, 0), np.maximum(cols, 0)])
    predictions[unknown] = default if default is not None else np.nan
    return np.clip(predictions, *clip) if clip else predictions


def global_mean_predictions(train, test):
    """Predict every test rating by the mean training rating."""
    return np.full(len(test), float(train["rating"].mean()))


def bias_predictions(train, test, *, l2=5.0):
    """Predict ``mean + b_user + b_movie`` with ridge-regularised biases.

    Parameters
    ----------
    train, test : DataFrame with columns 'user id', 'movie id', 'rating'
    l2 : float, default=5.0
        Ridge penalty; unknown users and movies get a bias of 0.
    """
    users = pd.Index(np.unique(train["user id"]))
    movies = pd.Index(np.unique(train["movie id"]))
    rows, cols = users.get_indexer(train["user id"]), movies.get_indexer(train["movie id"])
    mean, user_bias, movie_bias = fit_biases(
        rows, cols, train["rating"].to_numpy(float), (len(users), len(movies)), l2
    )
    t_rows, t_cols = users.get_indexer(test["user id"]), movies.get_indexer(test["movie id"])
    pred = (
        mean + np.where(t_rows >= 0, user_bias[t_rows], 0.0) + np.where(t_cols >= 0, movie_bias[t_cols], 0.0)
    )
    return np.clip(pred, 1, 5)


def fit_biases(rows, cols, values, shape, reg, n_sweeps=10):
    """Regularised user and item biases by alternating least squares."""
    n, m = shape
    mean = values.mean()
    row_bias, col_bias = np.zeros(n), np.zeros(m)
    row_count = np.bincount(rows, minlength=n)
    col_count = np.bincount(cols, minlength=m)
    for _ in range(n_sweeps):
        col_bias = np.bincount(cols, values - mean - row_bias[rows], minlength=m) / (col_count + reg)
        row_bias = np.bincount(rows, values - mean - col_bias[cols], minlength=n) / (row_count + reg)
    return mean, row_bias, col_bias


# --------------------------------------------------------------------------- ranking
def _check_k(k, caller):
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k passed to {caller} must be a positive integer; got {k!r}.")
    return int(k)


def _pairs(recommended, relevant, caller):
    missing = set(relevant) - set(recommended)
    if missing:
        raise KeyError(
            f"relevant passed to {caller} names {len(missing)} user(s) without recommendations, "
            f"e.g. {sorted(missing)[:3]}."
        )
    return [(list(recommended[user]), set(relevant[user])) for user in relevant if len(relevant[user])]


def precision_at_k(recommended, relevant, k=10):
    """Mean share of each user's top ``k`` recommendations that are relevant.

    Parameters
    ----------
    recommended : mapping of user -> sequence of movie ids
        Each user's recommendations, best first (at least ``k`` of them).
    relevant : mapping of user -> collection of movie ids
        Each user's relevant movies, e.g. held-out movies rated 4 or 5. Users
        with none are left out of the mean.
    k : int, default=10

    Returns
    -------
    precision : float in [0, 1]

    Examples
    --------
    >>> precision_at_k({1: [10, 20, 30], 2: [40, 50, 60]}, {1: {20}, 2: {40, 50}}, k=2)
    0.75
    """
    k = _check_k(k, "precision_at_k")
    pairs = _pairs(recommended, relevant, "precision_at_k")
    if not pairs:
        raise ValueError("relevant passed to precision_at_k holds no relevant movie for any user.")
    return float(np.mean([len(set(top[:k]) & rel) / k for top, rel in pairs]))


def hit_rate(recommended, relevant, k=10):
    """Share of users with at least one relevant movie among their top ``k`` recommendations.

    Parameters are those of :func:`precision_at_k`.

    Examples
    --------
    >>> hit_rate({1: [10, 20, 30], 2: [40, 50, 60]}, {1: {30}, 2: {40}}, k=2)
    0.5
    """
    k = _check_k(k, "hit_rate")
    pairs = _pairs(recommended, relevant, "hit_rate")
    if not pairs:
        raise ValueError("relevant passed to hit_rate holds no relevant movie for any user.")
    return float(np.mean([bool(set(top[:k]) & rel) for top, rel in pairs]))


def top_unseen(scores, rated, k=10, *, min_ratings=0):
    """Each user's ``k`` highest-scored movies among those they have not rated.

    Parameters
    ----------
    scores : DataFrame of shape (n_users, n_movies)
        Indexed by user id, movie ids as columns (a reconstruction, or any score).
    rated : DataFrame with columns 'user id' and 'movie id'
        What each user has rated (the training ratings): never recommended.
    k : int, default=10
    min_ratings : int, default=0
        Recommend only movies with more than ``min_ratings`` ratings in ``rated``.

    Returns
    -------
    recommended : dict of user id -> ndarray of movie ids, best first
    """
    k = _check_k(k, "top_unseen")
    values = scores.to_numpy(dtype=float, copy=True)
    rows = scores.index.get_indexer(rated["user id"])
    cols = scores.columns.get_indexer(rated["movie id"])
    known = (rows >= 0) & (cols >= 0)
    values[rows[known], cols[known]] = -np.inf
    counts = rated["movie id"].value_counts().reindex(scores.columns, fill_value=0).to_numpy()
    values[:, counts <= min_ratings] = -np.inf
    order = np.argsort(-values, axis=1, kind="stable")[:, :k]
    movie_ids = scores.columns.to_numpy()
    return {user: movie_ids[row] for user, row in zip(scores.index, order, strict=True)}


def evaluate_ranking(scores, train, test, k=10, *, like=4, min_ratings=0):
    """How well the top ``k`` unseen movies find the held-out movies a user liked.

    Parameters
    ----------
    scores : DataFrame indexed by user id, movie ids as columns
    train, test : DataFrame with columns 'user id', 'movie id', 'rating'
        Training ratings (never recommended) and held-out ratings.
    k : int, default=10
    like : float, default=4
        Held-out ratings of at least ``like`` count as liked (relevant).
    min_ratings : int, default=0
        As in :func:`top_unseen`.

    Returns
    -------
    result : Series
        'precision@k', 'hit rate@k', 'users' (those with a liked held-out movie) and
        'median ratings of recommended' (training ratings of the recommended movies:
        small means obscure films).
    """
    recommended = top_unseen(scores, train, k, min_ratings=min_ratings)
    liked = test[test["rating"] >= like]
    relevant = {u: set(g) for u, g in liked.groupby("user id")["movie id"] if u in recommended}
    counts = train["movie id"].value_counts()
    shown = np.concatenate([recommended[u] for u in relevant]) if relevant else np.array([], int)
    return pd.Series(
        {
            f"precision@{k}": precision_at_k(recommended, relevant, k),
            f"hit rate@{k}": hit_rate(recommended, relevant, k),
            "users": len(relevant),
            "median ratings of recommended": float(np.median(counts.reindex(shown, fill_value=0))),
        }
    )


# --------------------------------------------------------------------------- components
def match_components(reference, other):
    """Pair the rows of ``other`` with those of ``reference`` by correlation (Hungarian matching).

    Two factorisations from different starts find their components in different
    orders (and scales); matching them one-to-one so that the total correlation is
    largest makes them comparable side by side.

    Parameters
    ----------
    reference, other : array-like of shape (n_components, n_features)

    Returns
    -------
    order : ndarray of shape (n_components,)
        ``other[order]`` lines up with ``reference``.
    correlation : ndarray of shape (n_components,)
        The Pearson correlation of each matched pair.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0, 0, 0, 1], [0, 1, 1, 0], [1, 1, 0, 0]])
    >>> order, corr = match_components(A, A[[2, 0, 1]] * 3)
    >>> order.tolist(), corr.round(2).tolist()
    ([1, 2, 0], [1.0, 1.0, 1.0])
    """
    from scipy.optimize import linear_sum_assignment

    a, b = np.asarray(reference, dtype=float), np.asarray(other, dtype=float)
    if a.ndim != 2 or a.shape != b.shape:
        raise ValueError(
            "reference and other passed to match_components must be 2-d arrays of one shape; "
            f"got {a.shape} and {b.shape}."
        )
    corr = np.corrcoef(a, b)[: len(a), len(a) :]
    corr = np.nan_to_num(corr, nan=0.0)  # a constant row correlates with nothing
    rows, order = linear_sum_assignment(-corr)
    return order[np.argsort(rows)], corr[rows, order][np.argsort(rows)]

"""The hidden checks of assignment ``ex08`` (NMF and a movie recommender).

Each check draws fresh inputs from its ``rng`` (seeded per hand-in by the grader,
so that a re-grade reproduces the verdict), asks the student's notebook for
calls through a :class:`~nmf_helpers.grading.student.Student`, and decides from
the plain data that comes back, comparing with the reference solutions in this
process. A failure raises :class:`~nmf_helpers.grading.student.CheckFailed`
with a message the student can act on; messages never quote expected numbers.

Correct variants pass (another random generator, Z updated before H,
``np.maximum`` instead of ``np.clip``, float32, a tolerance stop, fewer but
enough iterations, factors rescaled after each step); each class of bug is met
by the check aimed at it, every time.
"""

import numpy as np
import pandas as pd

from .. import nmf as reference
from .student import CheckFailed, call, get, result_of

# --------------------------------------------------------------------------- reading answers


def _matrix(value, what):
    """A returned matrix as a 2-d float64 array (arrays and DataFrames are accepted)."""
    if isinstance(value, pd.DataFrame):
        value = value.to_numpy()
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
        raise CheckFailed(f"{what} should be a numeric array; got {type(value).__name__}.")
    if value.ndim != 2:
        raise CheckFailed(f"{what} should be 2-dimensional; got shape {value.shape}.")
    return value.astype(np.float64)


def _factors(value, what):
    """(Z, H, dtype of Z) from what ``non_negative`` returned."""
    if not isinstance(value, (tuple, list)) or len(value) < 2:
        raise CheckFailed(f"{what} should return a tuple (Z, H); got {type(value).__name__}.")
    z, h = value[0], value[1]
    dtype = getattr(z, "dtype", np.dtype(float))
    return _matrix(z, f"Z returned by {what}"), _matrix(h, f"H returned by {what}"), dtype


def _finite(array):
    return bool(np.isfinite(array).all())


def _close(actual, expected, rtol):
    """Entry-wise agreement relative to the scale of ``expected`` (robust to tiny entries)."""
    scale = max(float(np.abs(expected).max()), np.finfo(float).tiny)
    return actual.shape == expected.shape and bool(np.all(np.abs(actual - expected) <= rtol * scale))


def _loss(X, Z, H):
    residual = X - Z @ H
    return float(np.vdot(residual, residual))


def _tolerance(dtype):
    """Relative agreement a correct implementation reaches in the dtype it computed in."""
    return 1e-3 if np.dtype(dtype) == np.float32 else 1e-6


# --------------------------------------------------------------------------- 1.1 update rules
def check_update_steps(student, rng, context):
    """update_h and update_z compute one multiplicative update, for arrays and DataFrames."""
    n, m, k = (int(v) for v in rng.integers((7, 5, 2), (14, 12, 5)))
    X = rng.uniform(0.0, 5.0, (n, m))
    Z = rng.uniform(0.1, 1.0, (n, k))
    H = rng.uniform(0.1, 1.0, (k, m))
    frame = pd.DataFrame(X, index=[f"r{i}" for i in range(n)], columns=[f"c{j}" for j in range(m)])
    cases = [
        ("update_h", "an array", X, reference.update_h(X, Z, H)),
        ("update_h", "a DataFrame", frame, reference.update_h(X, Z, H)),
        ("update_z", "an array", X, reference.update_z(X, Z, H)),
        ("update_z", "a DataFrame", frame, reference.update_z(X, Z, H)),
    ]
    outcomes = student.run([call(name, data, Z, H) for name, _, data, _ in cases])
    for (name, label, _, expected), outcome in zip(cases, outcomes, strict=True):
        got = _matrix(outcome.unwrap(f"{name}(data, Z, H) with data {label}"), f"{name} on {label}")
        if got.shape != expected.shape:
            raise CheckFailed(f"{name} on {label} returned shape {got.shape}, expected {expected.shape}.")
        if not _close(got, expected, 1e-4):
            raise CheckFailed(
                f"{name} on {label} does not compute one multiplicative update step as stated in the "
                "exercise (numerator, denominator or the factor it multiplies differ)."
            )


def _alternation(X, Z0, H0, steps, first):
    """Calls that alternate update_h and update_z on their own outputs, ``steps`` times
    (numbered from ``first`` in their batch)."""
    calls, z, h = [], Z0, H0
    for _ in range(steps):
        calls.append(call("update_h", X, z, h))
        h = result_of(first + len(calls) - 1)
        calls.append(call("update_z", X, z, h))
        z = result_of(first + len(calls) - 1)
    return calls


def _computed_in(values):
    """float32 if any of the returned arrays is float32 (its rounding then sets the tolerance)."""
    dtypes = [getattr(v, "dtype", None) for v in values]
    return np.dtype(np.float32) if np.dtype(np.float32) in dtypes else np.dtype(np.float64)


def check_monotone(student, rng, context):
    """Alternating the student's update_h and update_z never increases the squared loss."""
    n, m, k = (int(v) for v in rng.integers((15, 9, 3), (25, 16, 6)))
    X = rng.uniform(0.0, 4.0, (n, m))
    calls, chains = [], []
    # A long chain from random starts, and short ones part-way to convergence, where
    # a subtly wrong rule shows an increase the first steps hide.
    for age, steps in ((0, 25), (0, 25), (60, 3), (400, 3)):
        Z0, H0 = np.abs(rng.standard_normal((n, k))), np.abs(rng.standard_normal((k, m)))
        if age:
            Z0, H0 = reference.non_negative(X, k, num_iterations=age, init=(Z0, H0))
        chain = _alternation(X, Z0, H0, steps, first=len(calls))
        chains.append((age, Z0, H0, slice(len(calls), len(calls) + len(chain))))
        calls += chain
    outcomes = student.run(calls)
    for age, Z0, H0, span in chains:
        where = "from a random start" if age == 0 else f"from factors {age} iterations into a fit"
        z, h, losses = Z0, H0, [_loss(X, Z0, H0)]
        for c, outcome in zip(calls[span], outcomes[span], strict=True):
            got = _matrix(outcome.unwrap(f"{c.name}(X, Z, H)"), f"what {c.name} returned")
            z, h = (z, got) if c.name == "update_h" else (got, h)
            if z.shape != Z0.shape or h.shape != H0.shape:
                raise CheckFailed("the updates changed the shapes of the factors.")
            losses.append(_loss(X, z, h))
        losses = np.array(losses)
        if not _finite(losses):
            raise CheckFailed(
                f"the loss became NaN or infinite when alternating update_h and update_z {where}."
            )
        slack = (1e-5 if _computed_in(o.value for o in outcomes[span]) == np.float32 else 1e-9) * losses[0]
        if age == 0 and losses[-1] > 0.7 * losses[0]:  # a correct rule has cut it to 40% or less by now
            raise CheckFailed(
                f"alternating update_h and update_z {len(losses) // 2} times {where} hardly lowered the "
                "squared loss: the updates must move the factors towards a fit, not leave them as they are."
            )
        rises = np.flatnonzero(np.diff(losses) > slack)
        if rises.size:
            raise CheckFailed(
                f"the squared loss increased at a step of {calls[span][int(rises[0])].name} when alternating "
                f"update_h and update_z {where}; the multiplicative updates never increase it."
            )


# --------------------------------------------------------------------------- 1.1 non_negative
def check_factor_shapes(student, rng, context):
    """non_negative returns non-negative finite (Z, H) of the right shapes, for arrays,
    DataFrames and float32 data."""
    seed = int(rng.integers(2**31))
    n, m, k = (int(v) for v in rng.integers((10, 6, 2), (20, 13, 5)))
    X = rng.uniform(0.0, 3.0, (n, m))
    cases = [
        ("an array", X, k),
        ("a DataFrame", pd.DataFrame(X, index=[f"u{i}" for i in range(n)]), k),
        ("float32 data", X.astype(np.float32), k),
        ("one component", X, 1),
    ]
    outcomes = student.run([call("non_negative", data, c, random_state=seed) for _, data, c in cases])
    for (label, _, c), outcome in zip(cases, outcomes, strict=True):
        what = f"non_negative(data, {c}) for {label}"
        Z, H, _ = _factors(outcome.unwrap(what), what)
        if Z.shape != (n, c):
            raise CheckFailed(f"for {label} of shape ({n}, {m}) and {c} components, Z has shape {Z.shape}, "
                              f"expected ({n}, {c}).")  # fmt: skip
        if H.shape != (c, m):
            raise CheckFailed(f"for {label} of shape ({n}, {m}) and {c} components, H has shape {H.shape}, "
                              f"expected ({c}, {m}).")  # fmt: skip
        if not (_finite(Z) and _finite(H)):
            raise CheckFailed(f"for {label}, the factors hold NaN or infinite values.")
        if (Z < 0).any() or (H < 0).any():
            raise CheckFailed(f"for {label}, the factors have negative entries.")
        if not (Z @ H).any():
            raise CheckFailed(
                f"for {label}, Z @ H is all zeros: start from positive random factors and update them."
            )


def check_zero_rows(student, rng, context):
    """Data with all-zero rows and columns gives finite factors that reconstruct them as zero."""
    seed = int(rng.integers(2**31))
    n, m = (int(v) for v in rng.integers((12, 8), (18, 13)))
    X = rng.uniform(0.0, 3.0, (n, m))
    rows, cols = rng.choice(n, 2, replace=False), rng.choice(m, 2, replace=False)
    X[rows, :] = 0.0
    X[:, cols] = 0.0
    what = "non_negative on data with all-zero rows and columns"
    Z, H, _ = _factors(student.one(call("non_negative", X, 3, random_state=seed)).unwrap(what), what)
    if Z.shape != (n, 3) or H.shape != (3, m):
        raise CheckFailed(f"{what} returned factors of shapes {Z.shape} and {H.shape}.")
    if not (_finite(Z) and _finite(H)):
        raise CheckFailed(
            "with all-zero rows or columns in the data, the factors hold NaN: clip the denominators "
            "at a small positive value, as the exercise says."
        )
    product = Z @ H
    if np.abs(product[rows, :]).max() > 1e-3 * X.max() or np.abs(product[:, cols]).max() > 1e-3 * X.max():
        raise CheckFailed("all-zero rows and columns of the data should be reconstructed as (nearly) zero.")
    if not product.any():  # all zeros would pass the check above without fitting anything
        raise CheckFailed(f"{what}: Z @ H is all zeros: start from positive random factors and update them.")


def _one_iteration(X, Z, H, order):
    """The product Z H after one iteration from (Z, H): H then Z ('hz') or Z then H ('zh')."""
    if order == "hz":
        H = reference.update_h(X, Z, H)
        Z = reference.update_z(X, Z, H)
    else:
        Z = reference.update_z(X, Z, H)
        H = reference.update_h(X, Z, H)
    return Z @ H


def check_iterations(student, rng, context):
    """Each iteration of non_negative is one multiplicative update of both factors, so the
    loss never increases; the same random_state gives the same result."""
    seed = int(rng.integers(2**31))
    n, m, k = (int(v) for v in rng.integers((12, 8, 2), (18, 13, 4)))
    X = rng.uniform(0.0, 3.0, (n, m))
    last = 6
    calls = [call("non_negative", X, k, num_iterations=t, random_state=seed) for t in range(last + 1)]
    calls.append(call("non_negative", X, k, num_iterations=last, random_state=seed))
    outcomes = student.run(calls)
    factors = []
    for t, outcome in enumerate(outcomes):
        what = f"non_negative(X, {k}, num_iterations={calls[t].kwargs['num_iterations']}, random_state=...)"
        Z, H, dtype = _factors(outcome.unwrap(what), what)
        if Z.shape != (n, k) or H.shape != (k, m):
            raise CheckFailed(f"{what} returned factors of shapes {Z.shape} and {H.shape}.")
        if not (_finite(Z) and _finite(H)):
            raise CheckFailed(f"{what} returned factors with NaN or infinite values.")
        factors.append((Z, H, dtype))
    products = [Z @ H for Z, H, _ in factors]
    rtol = _tolerance(factors[-1][2])
    if not _close(products[-1], products[last], rtol):
        raise CheckFailed(
            "two calls of non_negative with the same random_state gave different factors: draw the start "
            "from np.random.default_rng(random_state)."
        )
    if _close(products[1], products[last], rtol):
        raise CheckFailed(
            "non_negative returned the same factors for num_iterations=1 and num_iterations=6: run exactly "
            "num_iterations iterations."
        )
    order, stopped = None, False
    for t in range(last):
        Z, H, dtype = factors[t]
        if stopped or (t > 0 and _close(products[t + 1], products[t], rtol / 10)):
            # A tolerance stop: allowed once progress has become negligible, and final.
            step = _one_iteration(X, Z, H, order or "hz")
            gain = (_loss(X, Z, H) - float(np.vdot(X - step, X - step))) / max(_loss(X, Z, H), 1e-300)
            if not _close(products[t + 1], products[t], rtol) or (not stopped and gain > 1e-3):
                raise CheckFailed(
                    f"non_negative stopped changing the factors after {t} iterations while the loss was "
                    "still falling: run all num_iterations iterations (or stop only on a tiny improvement)."
                )
            stopped = True
            continue
        matches = [o for o in (order,) if o] or ["hz", "zh"]
        matches = [o for o in matches if _close(products[t + 1], _one_iteration(X, Z, H, o), rtol)]
        if not matches:
            if t == 0 and _close(products[1], products[0], rtol):
                raise CheckFailed(
                    "num_iterations=1 returned the starting factors: the loop never updates them."
                )
            raise CheckFailed(
                f"non_negative(..., num_iterations={t + 1}) is not one multiplicative update further than "
                f"num_iterations={t}: each iteration must update H (with the current Z) and then Z (with the "
                "new H), using update_h and update_z."
            )
        order = matches[0]


def _digits(rng, n_rows=500):
    from sklearn.datasets import load_digits

    X = load_digits().data
    X = X[np.sort(rng.choice(len(X), n_rows, replace=False))]
    return X[:, X.max(axis=0) > 0]  # always-blank pixels would test clipping, not quality


def check_reconstruction(student, rng, context, slack=1.05, components=8):
    """On digits, the default number of iterations reconstructs as well as 1000 correct
    iterations from the same start."""
    seed = int(rng.integers(2**31))
    X = _digits(rng)
    default, start = student.run(
        [
            call("non_negative", X, components, random_state=seed),
            call("non_negative", X, components, num_iterations=0, random_state=seed),
        ]
    )
    what = f"non_negative(X, {components}) on the digits"
    Z, H, _ = _factors(default.unwrap(what), what)
    if Z.shape != (X.shape[0], components) or H.shape != (components, X.shape[1]):
        raise CheckFailed(f"{what} returned factors of the wrong shapes.")
    loss = _loss(X, Z, H)
    if not np.isfinite(loss):
        raise CheckFailed(f"{what}: the reconstruction error is NaN or infinite.")
    try:  # from the student's own start when num_iterations=0 returns it
        Z0, H0, _ = _factors(start.unwrap(what), what)
        best = _loss(X, *reference.non_negative(X, components, num_iterations=1000, init=(Z0, H0)))
    except CheckFailed:
        best = float(
            np.median([_loss(X, *reference.non_negative(X, components, random_state=s)) for s in range(3)])
        )
    if loss > slack * best:
        raise CheckFailed(
            f"on {X.shape[0]} digits with {components} components, ||X - ZH||^2 is {loss / best:.2f} times "
            "that of 1000 correct iterations from the same start: check the updates and that the default "
            "number of iterations is enough to converge."
        )


# --------------------------------------------------------------------------- 1.2 rating matrix
def _ambiguous_movies(movies):
    """Movie ids that share their title with another id (u.item has 18 such pairs)."""
    titles = movies["movie title"]
    return set(movies.loc[titles.duplicated(keep=False), "movie id"])


def check_rating_matrix(student, rng, context):
    """rat_df is the user x movie matrix of the ratings (ids as labels), with no missing values."""
    from nmf_course.data import read_movies, read_ratings

    folder = context.movielens_folder()
    ratings, movies = read_ratings(folder / "u.data"), read_movies(folder / "u.item")
    rat_df = student.one(get("rat_df")).unwrap("rat_df")
    if not isinstance(rat_df, pd.DataFrame):
        raise CheckFailed(f"rat_df should be a pandas DataFrame; got {type(rat_df).__name__}.")
    users, all_movies = np.unique(ratings["user id"]), np.unique(ratings["movie id"])
    merged = _ambiguous_movies(movies)
    index, columns = pd.Index(rat_df.index), pd.Index(rat_df.columns)
    if index.has_duplicates or columns.has_duplicates:
        raise CheckFailed("rat_df has repeated user ids or movie ids.")
    if not index.isin(users).all() or len(index) != len(users):
        raise CheckFailed("rat_df should have one row per user, labelled by the user id.")
    if (
        not columns.isin(all_movies).all()
        or not pd.Index(np.setdiff1d(all_movies, list(merged))).isin(columns).all()
    ):
        raise CheckFailed("rat_df should have one column per movie, labelled by the movie id.")
    values = rat_df.to_numpy(dtype=float, na_value=np.nan) if rat_df.shape[1] else np.zeros((len(index), 0))
    if np.isnan(values).any():
        raise CheckFailed("rat_df still holds missing values: fill them.")
    if not np.isfinite(values).all():
        raise CheckFailed("rat_df holds infinite values.")
    known = ratings[~ratings["movie id"].isin(merged)]
    rows, cols = index.get_indexer(known["user id"]), columns.get_indexer(known["movie id"])
    if not np.array_equal(values[rows, cols], known["rating"].to_numpy(float)):
        raise CheckFailed(
            "some ratings are not at rat_df.loc[user id, movie id]: pivot with the ids as labels."
        )


# --------------------------------------------------------------------------- 1.2 recommend_movies
_WORDS = (
    "Blue",
    "Night",
    "River",
    "Stone",
    "Glass",
    "Paper",
    "Silent",
    "Golden",
    "Iron",
    "Last",
    "Lost",
    "Wild",
)


def _world(rng, scatter_users, scatter_movies):
    """Users, movies, ratings and a reconstruction with distinct predictions for every user.

    Ids are row positions (users 0..N-1, movies 0..M-1, tables in id order) unless
    scattered: then they are arbitrary, the tables shuffled and the reconstruction's
    rows and columns in no particular order, so that only look-ups by id (``.loc``,
    ``set_index("movie id")``) find the right user or title. Each check scatters only
    what it is about, so that a bug of another kind neither crashes nor shows there.
    """
    n_users, n_movies = (int(v) for v in rng.integers((24, 26), (36, 40)))
    users = rng.choice(np.arange(2, 600), n_users, replace=False) if scatter_users else np.arange(n_users)
    movie_ids = (
        rng.choice(np.arange(100, 2500), n_movies, replace=False) if scatter_movies else np.arange(n_movies)
    )
    titles = [
        f"{rng.choice(_WORDS)} {rng.choice(_WORDS)} {k} ({1930 + int(rng.integers(70))})"
        for k in range(n_movies)
    ]
    movies = pd.DataFrame(
        {
            "movie id": movie_ids,
            "movie title": titles,
            "release date": "01-Jan-1995",
            "Comedy": rng.integers(0, 2, n_movies),
        }
    )
    if scatter_movies:
        movies = movies.sample(frac=1.0, random_state=rng.integers(2**31)).reset_index(drop=True)
    rows = []
    for user in users:
        for movie in rng.choice(movie_ids, int(rng.integers(3, n_movies // 2)), replace=False):
            rows.append((int(user), int(movie), int(rng.integers(1, 6)), 880_000_000 + len(rows)))
    ratings = pd.DataFrame(rows, columns=["user id", "movie id", "rating", "timestamp"])
    ratings = ratings.sample(frac=1.0, random_state=rng.integers(2**31)).reset_index(drop=True)
    values = rng.permutation(n_users * n_movies).reshape(n_users, n_movies) / (n_movies * 4.0) + 0.2
    columns = rng.permutation(movie_ids) if scatter_movies else movie_ids
    reconstruction = pd.DataFrame(
        values, index=pd.Index(users, name="user id"), columns=pd.Index(columns, name="movie id")
    )
    return reconstruction, movies, ratings


def _returned(value, what):
    """(movie ids, titles or None, predicted ratings or None) of a returned table."""
    if isinstance(value, pd.Series):
        value = value.reset_index()
    if not isinstance(value, pd.DataFrame):
        raise CheckFailed(f"{what} should return a DataFrame; got {type(value).__name__}.")
    if "movie id" in value.columns:
        ids = value["movie id"].to_numpy()
    elif value.index.name == "movie id":
        ids = value.index.to_numpy()
    else:
        raise CheckFailed(f"the DataFrame returned by {what} has no 'movie id' column.")
    if ids.dtype.kind not in "iuf":
        raise CheckFailed(f"the 'movie id' column returned by {what} should hold movie ids (numbers).")
    titles = value["movie title"].to_numpy().astype(str) if "movie title" in value.columns else None
    predicted = value["predicted rating"].to_numpy(float) if "predicted rating" in value.columns else None
    return ids.astype(np.int64), titles, predicted


def _recommend_calls(world, users, sizes):
    reconstruction, movies, ratings = world
    calls = []
    for user, n in zip(users, sizes, strict=True):
        args = (reconstruction, int(user), movies, ratings)
        calls.append(call("recommend_movies", *args) if n is None else call("recommend_movies", *args, n=n))
    return calls


def _what(user, n):
    return f"recommend_movies(reconstruction, {user}, movies, ratings{'' if n is None else f', n={n}'})"


def check_recommend_unseen(student, rng, context):
    """n movies the user has not rated, each once, with their own titles."""
    world = _world(rng, scatter_users=False, scatter_movies=True)
    reconstruction, movies, ratings = world
    users = rng.choice(reconstruction.index.to_numpy(), 4, replace=False)
    sizes = [None, int(rng.integers(2, 6)), int(rng.integers(6, 12)), 500]
    outcomes = student.run(_recommend_calls(world, users, sizes))
    title_of = movies.set_index("movie id")["movie title"]
    for user, n, outcome in zip(users, sizes, outcomes, strict=True):
        what = _what(user, n)
        ids, titles, _ = _returned(outcome.unwrap(what), what)
        rated = set(ratings.loc[ratings["user id"] == user, "movie id"])
        if rated & set(ids.tolist()):
            raise CheckFailed(f"{what} includes movies that user already rated.")
        wanted = min(20 if n is None else n, reconstruction.shape[1] - len(rated))
        if len(ids) != wanted:
            raise CheckFailed(f"{what} returned {len(ids)} movies instead of {wanted}.")
        if len(set(ids.tolist())) != len(ids):
            raise CheckFailed(f"{what} repeats a movie.")
        if titles is None:
            raise CheckFailed(f"the DataFrame returned by {what} has no 'movie title' column.")
        if not set(ids.tolist()) <= set(title_of.index) or list(titles) != list(title_of.loc[ids]):
            raise CheckFailed(
                f"the titles returned by {what} do not belong to the returned movie ids: look them up by "
                "movie id, not by position."
            )


def check_recommend_order(student, rng, context):
    """Best predicted first, and no better unseen movie left out."""
    world = _world(rng, scatter_users=False, scatter_movies=False)
    reconstruction, _, ratings = world
    users = rng.choice(reconstruction.index.to_numpy(), 4, replace=False)
    sizes = [None, int(rng.integers(3, 8)), int(rng.integers(8, 14)), None]
    outcomes = student.run(_recommend_calls(world, users, sizes))
    for user, n, outcome in zip(users, sizes, outcomes, strict=True):
        what = _what(user, n)
        ids, _, _ = _returned(outcome.unwrap(what), what)
        row = reconstruction.loc[user]
        if not set(ids.tolist()) <= set(row.index):
            raise CheckFailed(f"{what} returned movie ids that are not columns of the reconstruction.")
        values = row.loc[ids].to_numpy()
        if (np.diff(values) > 0).any():
            raise CheckFailed(f"{what} is not sorted by that user's predicted rating, best first.")
        if _better_left_out(row, ratings, user, ids, values):
            raise CheckFailed(
                f"{what} left out an unseen movie with a higher predicted rating than one it returned."
            )


def _better_left_out(row, ratings, user, ids, values):
    """Whether an unseen movie outside ``ids`` beats the worst returned one (by this row)."""
    rated = set(ratings.loc[ratings["user id"] == user, "movie id"])
    others = row.drop(list(rated | set(ids.tolist())), errors="ignore")
    return bool(len(others) and len(values) and others.max() > values.min())


def check_recommend_user(student, rng, context):
    """The predictions come from the row of the given user id (not a row position)."""
    world = _world(rng, scatter_users=True, scatter_movies=False)
    reconstruction, _, ratings = world
    users = rng.choice(reconstruction.index.to_numpy(), 4, replace=False)
    sizes = [None, int(rng.integers(3, 9)), None, int(rng.integers(9, 15))]
    outcomes = student.run(_recommend_calls(world, users, sizes))
    for user, n, outcome in zip(users, sizes, outcomes, strict=True):
        what = _what(user, n)
        hint = "look the user's row up by user id (.loc), not by position"
        if not outcome.ok:
            raise CheckFailed(f"{what} raised {outcome.error}: {hint}.")
        ids, _, predicted = _returned(outcome.value, what)
        if predicted is None:
            raise CheckFailed(f"the DataFrame returned by {what} has no 'predicted rating' column.")
        row = reconstruction.loc[user]
        if not set(ids.tolist()) <= set(row.index):
            raise CheckFailed(f"{what} returned movie ids that are not columns of the reconstruction.")
        # Rounded to two decimals is fine; another row's values are not.
        if not np.allclose(predicted, row.loc[ids].to_numpy(), rtol=0, atol=0.006):
            raise CheckFailed(f"the predicted ratings returned by {what} are not that user's row: {hint}.")
        # Chosen by this user's row: nothing better (or, ranked the wrong way up, nothing worse)
        # left out; the order itself and leaving out rated movies are the other checks' business.
        values = row.loc[ids].to_numpy()
        if _better_left_out(row, ratings, user, ids, values) and _better_left_out(
            -row, ratings, user, ids, -values
        ):
            raise CheckFailed(f"{what} did not choose the movies by that user's predicted ratings: {hint}.")

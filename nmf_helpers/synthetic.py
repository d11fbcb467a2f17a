"""A synthetic stand-in for MovieLens-100k, written in its exact file formats.

MovieLens may not be redistributed, so tests and demos that run without the
real files (no network, no ``NMF_HELPERS_DATA``) use this: the same file names,
separators, encoding (latin-1 titles with accents), 19 genre flags and
predefined splits, generated deterministically from a seed.

The ratings have the structure that makes the assignment meaningful: users
belong to a few taste groups with preferences over genres (so rows of H can be
read as "comedy fans"), movies have a quality and a popularity, and people
mostly rate what they are drawn to (so the genres they rated differ from those
recommended to them). Every user has at least 20 ratings, as in the original.
"""

from pathlib import Path

import numpy as np

from nmf_course.movielens import GENRES, REQUIRED_FILES

OCCUPATIONS = (
    "administrator", "artist", "doctor", "educator", "engineer", "entertainment",
    "executive", "healthcare", "homemaker", "lawyer", "librarian", "marketing", "none",
    "other", "programmer", "retired", "salesman", "scientist", "student", "technician",
    "writer",
)  # fmt: skip

# How often each genre occurs (relative), roughly as in the original.
_GENRE_WEIGHT = np.array([0.1, 25, 13, 4, 7, 50, 11, 5, 72, 2, 2, 9, 5, 6, 25, 10, 25, 7, 3], dtype=float)

# Taste groups: (name, liked genres, disliked genres).
_TASTES = (
    ("comedy fans", ("Comedy", "Romance", "Musical"), ("Horror", "War")),
    ("action fans", ("Action", "Adventure", "Sci-Fi", "Thriller"), ("Romance", "Musical")),
    ("drama lovers", ("Drama", "War", "Film-Noir", "Documentary"), ("Children's", "Animation")),
    ("family audience", ("Children's", "Animation", "Fantasy", "Comedy"), ("Horror", "Crime")),
    ("thrill seekers", ("Horror", "Thriller", "Mystery", "Crime"), ("Children's", "Musical")),
)

_WORDS = (
    "Midnight", "River", "Shadow", "Summer", "Last", "Golden", "Silent", "Wild", "Broken",
    "Secret", "Lost", "Red", "Winter", "City", "Dream", "Fire", "Glass", "Iron", "Paper",
    "Star", "Ocean", "Garden", "Ghost", "Little", "Long", "Dark", "Blue", "Crazy",
)  # fmt: skip
# Latin-1 words, so that reading u.item with the wrong encoding shows.
_ACCENTED = ("Café", "Amélie", "Señor", "Über", "Noël", "Déjà Vu", "Façade", "Mañana")

_FIRST_TIMESTAMP = 874_724_710
_SPAN_SECONDS = 18_561_928  # about seven months, as in the original


def _titles(rng, n_movies, years):
    titles, seen = [], set()
    while len(titles) < n_movies:
        k = len(titles)
        words = rng.choice(_WORDS, size=rng.integers(1, 4), replace=False).tolist()
        if k % 9 == 0:
            words.insert(0, _ACCENTED[(k // 9) % len(_ACCENTED)])
        base = " ".join(words)
        if k % 11 == 0:
            base = f"{base}, The"
        title = f"{base} ({years[k]})"
        if title not in seen:
            seen.add(title)
            titles.append(title)
    return titles


def generate(n_users=300, n_movies=400, seed=0):
    """The synthetic data as plain Python structures (see :func:`write_synthetic_movielens`)."""
    rng = np.random.default_rng(seed)
    n_genres = len(GENRES)

    # Movies: 1-3 genres each, a quality and a popularity.
    genre_p = _GENRE_WEIGHT / _GENRE_WEIGHT.sum()
    flags = np.zeros((n_movies, n_genres), dtype=int)
    for i in range(n_movies):
        flags[i, rng.choice(n_genres, size=rng.integers(1, 4), replace=False, p=genre_p)] = 1
    quality = rng.normal(0.0, 0.6, n_movies)
    popularity = rng.pareto(1.2, n_movies) + 0.2
    years = rng.integers(1930, 1999, n_movies)
    years[: n_movies // 2] = rng.integers(1990, 1999, n_movies // 2)  # mostly recent, as in 1998

    # Users: a taste group, personal noise on it, a rating bias.
    index = {g: k for k, g in enumerate(GENRES)}
    group = rng.integers(0, len(_TASTES), n_users)
    taste = rng.normal(0.0, 0.25, (n_users, n_genres))
    for u in range(n_users):
        _, likes, dislikes = _TASTES[group[u]]
        taste[u, [index[g] for g in likes]] += 1.0
        taste[u, [index[g] for g in dislikes]] -= 0.9
    user_bias = rng.normal(0.0, 0.45, n_users)

    n_genre = np.maximum(flags.sum(axis=1), 1)
    affinity = (taste @ flags.T) / n_genre  # users x movies
    rows = []
    for u in range(n_users):
        count = min(20 + int(rng.geometric(1 / 45)), n_movies // 2)
        weight = popularity * np.exp(2.0 * affinity[u])
        movies = rng.choice(n_movies, size=count, replace=False, p=weight / weight.sum())
        score = 3.4 + user_bias[u] + quality[movies] + 0.9 * affinity[u, movies]
        score += rng.normal(0.0, 0.75, count)
        ratings = np.clip(np.rint(score), 1, 5).astype(int)
        stamps = _FIRST_TIMESTAMP + rng.integers(0, _SPAN_SECONDS, count)
        rows.extend(
            zip([u + 1] * count, (movies + 1).tolist(), ratings.tolist(), stamps.tolist(), strict=False)
        )
    order = rng.permutation(len(rows))  # u.data is in no particular order
    ratings = [rows[k] for k in order]

    movies = []
    month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    for i, title in enumerate(_titles(rng, n_movies, years)):
        date = f"{rng.integers(1, 29):02d}-{month[rng.integers(0, 12)]}-{years[i]}"
        url = "http://us.imdb.com/M/title-exact?" + title.replace(" ", "%20")
        movies.append((i + 1, title, date, "", url, flags[i].tolist()))
    users = []
    for u in range(n_users):
        zip_code = (
            f"{rng.integers(0, 100000):05d}" if u % 40 else f"T{rng.integers(0, 10)}H{rng.integers(0, 10)}N"
        )
        users.append((u + 1, int(rng.integers(10, 71)), "MF"[int(rng.random() < 0.3)],
                      OCCUPATIONS[rng.integers(0, len(OCCUPATIONS))], zip_code))  # fmt: skip
    return {"ratings": ratings, "movies": movies, "users": users, "group": group}


def _splits(ratings, seed):
    """u1..u5 (5 disjoint test folds) and ua/ub (10 ratings per user held out)."""
    rng = np.random.default_rng(seed + 1)
    n = len(ratings)
    fold = rng.permutation(n) % 5
    splits = {}
    for k in range(5):
        test = [r for r, f in zip(ratings, fold, strict=False) if f == k]
        base = [r for r, f in zip(ratings, fold, strict=False) if f != k]
        splits[f"u{k + 1}"] = (base, test)
    by_user = {}
    for r in ratings:
        by_user.setdefault(r[0], []).append(r)
    for name in ("ua", "ub"):
        base, test = [], []
        for user in sorted(by_user):
            own = by_user[user]
            held = set(rng.choice(len(own), size=10, replace=False).tolist())
            for k, r in enumerate(own):
                (test if k in held else base).append(r)
        splits[name] = (base, test)
    return splits


def _write_ratings(path, rows):
    rows = sorted(rows, key=lambda r: (r[0], r[1]))  # the split files are sorted
    path.write_text("".join(f"{u}\t{i}\t{r}\t{t}\n" for u, i, r, t in rows), encoding="ascii")


def write_synthetic_movielens(folder, n_users=300, n_movies=400, seed=0):
    """Write a synthetic ``ml-100k/`` folder under ``folder`` and return its path.

    Parameters
    ----------
    folder : path-like
        Parent folder; ``ml-100k/`` is created inside it (like the real zip's
        layout, so ``NMF_HELPERS_DATA=folder`` works).
    n_users, n_movies : int, default=300, 400
    seed : int, default=0

    Returns
    -------
    path : pathlib.Path
        ``folder / "ml-100k"``.
    """
    if n_users < 1 or n_movies < 40:
        raise ValueError("write_synthetic_movielens needs n_users >= 1 and n_movies >= 40.")
    data = generate(n_users, n_movies, seed)
    target = Path(folder) / "ml-100k"
    target.mkdir(parents=True, exist_ok=True)
    ratings = data["ratings"]
    (target / "u.data").write_text(
        "".join(f"{u}\t{i}\t{r}\t{t}\n" for u, i, r, t in ratings), encoding="ascii"
    )
    lines = []
    for movie_id, title, date, video, url, flags in data["movies"]:
        lines.append("|".join([str(movie_id), title, date, video, url] + [str(f) for f in flags]))
    (target / "u.item").write_text("\n".join(lines) + "\n", encoding="latin-1")
    (target / "u.user").write_text(
        "".join(f"{u}|{a}|{g}|{o}|{z}\n" for u, a, g, o, z in data["users"]), encoding="ascii"
    )
    (target / "u.genre").write_text(
        "".join(f"{g}|{k}\n" for k, g in enumerate(GENRES)) + "\n", encoding="ascii"
    )
    (target / "u.occupation").write_text("\n".join(OCCUPATIONS) + "\n", encoding="ascii")
    (target / "u.info").write_text(
        f"{n_users} users\n{n_movies} items\n{len(ratings)} ratings\n", encoding="ascii"
    )
    for name, (base, test) in _splits(ratings, seed).items():
        _write_ratings(target / f"{name}.base", base)
        _write_ratings(target / f"{name}.test", test)
    (target / "README").write_text(
        "SYNTHETIC stand-in for MovieLens-100k, generated by nmf_helpers.synthetic "
        f"(seed {seed}). Same file formats; none of the data is real.\n",
        encoding="ascii",
    )
    assert all((target / name).is_file() for name in REQUIRED_FILES)
    return target

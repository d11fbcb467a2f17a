"""MovieLens: where it is found, how it is parsed, the synthetic stand-in, rating matrices."""

import hashlib
import zipfile

import numpy as np
import pandas as pd
import pytest

import nmf_course
from nmf_course.data import MOVIE_COLUMNS, RATING_COLUMNS, SPLITS, USER_COLUMNS
from nmf_helpers import (
    GENRES,
    MovieLensNotFound,
    load_digits,
    load_movielens,
    load_split,
    movielens_folder,
    observed_mask,
    rating_matrix,
    sparse_rating_matrix,
    write_synthetic_movielens,
)


def _tree_state(folder):
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


# ----------------------------------------------------------------------------- real data
def test_real_counts(real_movielens):
    data = real_movielens
    assert len(data.ratings) == 100_000
    assert data.ratings["user id"].nunique() == 943 == len(data.users)
    assert data.ratings["movie id"].nunique() == 1682 == len(data.movies)
    assert len(data.genres) == 19
    assert list(data.genres["genre"]) == list(GENRES)
    counts = data.ratings["rating"].value_counts().sort_index()
    assert counts.to_dict() == {1: 6110, 2: 11370, 3: 27145, 4: 34174, 5: 21201}
    assert data.ratings["rating"].mean() == pytest.approx(3.52986)
    assert data.ratings.groupby("user id").size().min() >= 20


def test_real_duplicate_titles_are_merged(real_movielens):
    movies, ratings = real_movielens.movies, real_movielens.ratings
    duplicated = movies[movies.duplicated("movie title", keep=False)]
    assert duplicated["movie title"].nunique() == 18
    assert len(duplicated) == 36
    merged = nmf_course.load_movielens(real_movielens.folder, merge_duplicates=True)
    assert len(merged.movies) == 1682 - 18 == merged.movies["movie title"].nunique()
    assert merged.duplicates_merged
    assert not real_movielens.duplicates_merged
    assert not merged.ratings.duplicated(["user id", "movie id"]).any()
    # every rating survives except the earlier of two by one user for the same film
    both = ratings.assign(title=ratings["movie id"].map(movies.set_index("movie id")["movie title"]))
    assert len(merged.ratings) == both.drop_duplicates(["user id", "title"]).shape[0] == 99_693
    kept_ids = set(merged.movies["movie id"])
    assert set(merged.ratings["movie id"]) <= kept_ids
    chasing_amy = merged.ratings[merged.ratings["movie id"] == 246]
    assert len(chasing_amy) == both[both["title"] == "Chasing Amy (1997)"]["user id"].nunique()
    for name in ("u1", "ua"):  # the splits are merged alike, with no pair in both parts
        train, test = merged.split(name)
        assert set(train["movie id"]) | set(test["movie id"]) <= kept_ids
        assert train.merge(test, on=["user id", "movie id"]).empty
        assert len(test) <= len(real_movielens.split(name)[1])


def test_merging_keeps_the_later_rating_of_a_user():
    movies = pd.DataFrame({"movie id": [5, 2, 9], "movie title": ["X", "Y", "X"]})
    ratings = pd.DataFrame(
        {
            "user id": [1, 1, 2, 3],
            "movie id": [9, 5, 9, 2],
            "rating": [1, 4, 3, 5],
            "timestamp": [50, 40, 1, 2],
        }
    )
    merged_movies, merged = nmf_course.merge_duplicate_titles(movies, ratings)
    assert merged_movies["movie id"].tolist() == [5, 2]
    assert merged.values.tolist() == [[1, 5, 1, 50], [2, 5, 3, 1], [3, 2, 5, 2]]
    assert merged["movie id"].dtype == ratings["movie id"].dtype
    assert nmf_course.merge_duplicate_titles(movies).equals(merged_movies)
    with pytest.raises(ValueError, match="lack the column"):
        nmf_course.merge_duplicate_titles(movies.rename(columns={"movie title": "title"}), ratings)


def test_validation_split_is_exported_seeded_and_disjoint(movielens):
    # one way to carve validation ratings, the one the masked NMF's defaults were chosen with
    import nmf_course.tuning

    assert nmf_course.validation_split is nmf_course.tuning.validation_split
    assert nmf_course.grid_search is nmf_course.tuning.grid_search
    assert not hasattr(nmf_course, "train_validation_split")
    fit, validation = nmf_course.validation_split(movielens.ratings, fraction=0.1, random_state=0)
    assert abs(len(validation) - 0.1 * len(movielens.ratings)) < 0.01 * len(movielens.ratings)
    assert len(fit) + len(validation) == len(movielens.ratings)
    assert fit.merge(validation, on=["user id", "movie id"]).empty
    again = nmf_course.validation_split(movielens.ratings, fraction=0.1, random_state=0)[1]
    pd.testing.assert_frame_equal(validation, again)
    with pytest.raises(ValueError, match="fraction passed to validation_split"):
        nmf_course.validation_split(movielens.ratings, fraction=1.5)


def test_real_titles_are_latin1_intact(real_movielens):
    titles = set(real_movielens.movies["movie title"])
    assert "Misérables, Les (1995)" in titles
    assert "Star Wars (1977)" in titles
    assert not any("\ufffd" in t or "Ã" in t for t in titles)


def test_real_splits(real_movielens):
    all_pairs = set(zip(real_movielens.ratings["user id"], real_movielens.ratings["movie id"], strict=False))
    tests = []
    for name in ("u1", "u2", "u3", "u4", "u5"):
        train, test = real_movielens.split(name)
        assert (len(train), len(test)) == (80_000, 20_000)
        tests.append(set(zip(test["user id"], test["movie id"], strict=False)))
    assert set().union(*tests) == all_pairs  # disjoint test folds that cover everything
    assert sum(map(len, tests)) == 100_000
    for name in ("ua", "ub"):
        train, test = real_movielens.split(name)
        assert len(test) == 9430
        assert test.groupby("user id").size().eq(10).all()


def test_environment_folder_is_used_read_only(real_movielens, movielens_parent, monkeypatch, tmp_path):
    monkeypatch.setenv("NMF_HELPERS_DATA", str(movielens_parent))
    monkeypatch.setenv("NMF_HELPERS_CACHE", str(tmp_path / "cache"))
    before = _tree_state(movielens_parent)
    folder = movielens_folder(download=False)
    load_movielens()
    assert folder == movielens_parent / "ml-100k"
    assert _tree_state(movielens_parent) == before
    assert not (tmp_path / "cache").exists()


@pytest.mark.network
def test_download_checks_the_pinned_hash(isolated_data_env):
    folder = movielens_folder()
    zipped = isolated_data_env / "ml-100k.zip"
    assert zipped.stat().st_size == 4_924_029
    assert hashlib.sha256(zipped.read_bytes()).hexdigest().startswith("50d2a982")
    assert len(list(folder.iterdir())) == 23


# ----------------------------------------------------------------------------- finding the data
def test_wrong_environment_folder_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("NMF_HELPERS_DATA", str(tmp_path))
    with pytest.raises(MovieLensNotFound, match=r"NMF_HELPERS_DATA is set to .* holds neither"):
        movielens_folder()
    with pytest.raises(MovieLensNotFound):  # no silent fallback when the variable is wrong
        load_movielens()


def test_a_zip_that_is_not_the_official_one_is_refused(tmp_path, monkeypatch):
    with zipfile.ZipFile(tmp_path / "ml-100k.zip", "w") as archive:
        archive.writestr("ml-100k/u.data", "1\t1\t5\t0\n")
    monkeypatch.setenv("NMF_HELPERS_DATA", str(tmp_path))
    monkeypatch.setenv("NMF_HELPERS_CACHE", str(tmp_path / "cache"))
    with pytest.raises(MovieLensNotFound, match=r"is not the official ml-100k\.zip"):
        movielens_folder()


def test_folder_next_to_the_notebook_is_found(isolated_data_env, tmp_path, monkeypatch):
    notebook_folder = tmp_path / "ex08"
    write_synthetic_movielens(notebook_folder)
    monkeypatch.chdir(notebook_folder)
    assert movielens_folder(download=False) == notebook_folder / "ml-100k"
    assert not isolated_data_env.exists()  # used where it is, nothing copied to the cache


def test_zip_next_to_the_notebook_is_checked_and_used(isolated_data_env, tmp_path, monkeypatch):
    notebook_folder = tmp_path / "ex08"
    notebook_folder.mkdir()
    with zipfile.ZipFile(notebook_folder / "ml-100k.zip", "w") as archive:
        archive.writestr("ml-100k/u.data", "1\t1\t5\t0\n")
    monkeypatch.chdir(notebook_folder)
    with pytest.raises(MovieLensNotFound, match=r"is not the official ml-100k\.zip"):
        movielens_folder(download=False)


def test_incomplete_folder_next_to_the_notebook_says_what_to_do(isolated_data_env, tmp_path, monkeypatch):
    (tmp_path / "ml-100k").mkdir()
    (tmp_path / "ml-100k" / "u.data").write_text("1\t1\t5\t0\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MovieLensNotFound, match=r"extract the whole ml-100k\.zip there again"):
        movielens_folder(download=False)


def test_nothing_anywhere_names_the_notebook_folder(isolated_data_env, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MovieLensNotFound, match="next to the notebook"):
        movielens_folder(download=False)


def test_cached_copy_is_found(isolated_data_env):
    write_synthetic_movielens(isolated_data_env)
    assert movielens_folder(download=False) == isolated_data_env / "ml-100k"


def test_no_download_allowed_and_nothing_cached(isolated_data_env):
    with pytest.raises(MovieLensNotFound, match="download=False"):
        movielens_folder(download=False)


def test_fallback_to_synthetic_says_so_in_one_line(isolated_data_env, capsys):
    data = load_movielens(download=False)
    assert data.synthetic
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "SYNTHETIC" in lines[0]
    with pytest.raises(MovieLensNotFound):
        load_movielens(download=False, allow_synthetic=False)


# ----------------------------------------------------------------------------- synthetic
def test_synthetic_has_the_real_formats(synthetic, movielens):
    pairs = [(synthetic.ratings, movielens.ratings), (synthetic.movies, movielens.movies),
             (synthetic.users, movielens.users), (synthetic.genres, movielens.genres)]  # fmt: skip
    for frame, other in pairs:
        assert list(frame.columns) == list(other.columns)
        assert list(frame.dtypes) == list(other.dtypes)
    assert list(synthetic.ratings.columns) == RATING_COLUMNS
    assert list(synthetic.movies.columns) == MOVIE_COLUMNS
    assert list(synthetic.users.columns) == USER_COLUMNS
    assert set(np.unique(synthetic.movies[list(GENRES)])) <= {0, 1}
    assert synthetic.movies[list(GENRES)].sum(axis=1).min() >= 1
    assert synthetic.ratings["rating"].between(1, 5).all()
    assert synthetic.ratings.groupby("user id").size().min() >= 20
    assert synthetic.ratings["rating"].nunique() == 5


def test_synthetic_titles_are_latin1(synthetic):
    raw = (synthetic.folder / "u.item").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert any("é" in t for t in synthetic.movies["movie title"])


def test_synthetic_splits_are_like_the_real_ones(synthetic):
    pairs = set(zip(synthetic.ratings["user id"], synthetic.ratings["movie id"], strict=False))
    folds = [
        set(zip(t["user id"], t["movie id"], strict=False))
        for _, t in (synthetic.split(f"u{k}") for k in range(1, 6))
    ]
    assert set().union(*folds) == pairs
    assert sum(map(len, folds)) == len(pairs)
    for name in ("ua", "ub"):
        train, test = synthetic.split(name)
        assert test.groupby("user id").size().eq(10).all()
        assert len(train) + len(test) == len(pairs)


def test_synthetic_is_deterministic(tmp_path):
    a = write_synthetic_movielens(tmp_path / "a")
    b = write_synthetic_movielens(tmp_path / "b")
    for name in ("u.data", "u.item", "u.user", "u1.test", "ua.base"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    c = write_synthetic_movielens(tmp_path / "c", seed=1)
    assert (a / "u.data").read_bytes() != (c / "u.data").read_bytes()


def test_synthetic_has_low_rank_genre_structure(synthetic):
    # Users' mean rating per genre varies far more than chance: tastes exist.
    merged = synthetic.ratings.merge(synthetic.movies, on="movie id")
    comedy = merged[merged["Comedy"] == 1].groupby("user id")["rating"].mean()
    horror = merged[merged["Horror"] == 1].groupby("user id")["rating"].mean()
    both = pd.concat([comedy, horror], axis=1, keys=["comedy", "horror"]).dropna()
    assert (both["comedy"] - both["horror"]).std() > 0.5


def test_load_split_rejects_unknown_names(movielens_parent):
    with pytest.raises(ValueError, match="name passed to load_split must be one of u1"):
        load_split("u6", movielens_parent)


@pytest.mark.parametrize("name", SPLITS)
def test_every_named_split_loads_with_disjoint_parts(name, movielens_parent):
    train, test = load_split(name, movielens_parent)
    assert len(train) > len(test) > 0
    overlap = train.merge(test, on=["user id", "movie id"])
    assert overlap.empty


def test_digits():
    X, y = load_digits()
    assert X.shape == (1797, 64)
    assert X.min() == 0
    assert X.max() == 16
    assert len(y) == 1797


# ----------------------------------------------------------------------------- matrices
@pytest.fixture
def tiny_ratings():
    return pd.DataFrame({"user id": [1, 1, 2, 3], "movie id": [10, 20, 10, 30], "rating": [4, 2, 5, 3]})


def test_rating_matrix_fills(tiny_ratings):
    zero = rating_matrix(tiny_ratings)
    assert zero.index.name == "user id"
    assert zero.columns.name == "movie id"
    assert zero.loc[1, 30] == 0
    assert zero.loc[2, 10] == 5
    assert rating_matrix(tiny_ratings, "global mean").loc[1, 30] == pytest.approx(3.5)
    assert rating_matrix(tiny_ratings, "movie mean").loc[3, 10] == pytest.approx(4.5)
    assert rating_matrix(tiny_ratings, "movie_mean").loc[1, 30] == 3
    assert rating_matrix(tiny_ratings, "user mean").loc[1, 30] == pytest.approx(3)
    assert rating_matrix(tiny_ratings, np.nan).isna().sum().sum() == 5
    wide = rating_matrix(tiny_ratings, "movie mean", movies=[10, 20, 30, 40])
    assert wide[40].eq(3.5).all()  # a movie without ratings gets the global mean
    assert observed_mask(tiny_ratings).to_numpy().sum() == 4


def test_rating_matrix_errors(tiny_ratings):
    with pytest.raises(ValueError, match="fill passed to rating_matrix must be a number or one of"):
        rating_matrix(tiny_ratings, "median")
    with pytest.raises(ValueError, match="lack the column"):
        rating_matrix(tiny_ratings.rename(columns={"rating": "stars"}))
    with pytest.raises(ValueError, match="twice"):
        rating_matrix(pd.concat([tiny_ratings, tiny_ratings]))


def test_sparse_matrix_matches_dense(movielens):
    dense = rating_matrix(movielens.ratings)
    sparse, users, movies = sparse_rating_matrix(movielens.ratings)
    assert list(users) == list(dense.index)
    assert list(movies) == list(dense.columns)
    np.testing.assert_array_equal(sparse.toarray(), dense.to_numpy())
    assert sparse.nnz == len(movielens.ratings)

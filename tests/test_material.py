"""The assignment as teaching material: rubrics that state their points, answer keys that match
the data, the data cell and the evaluation of fill_value, run end to end on real and synthetic data.
"""

import ast
import json
import re
import shutil

import nbformat
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from nbclient import NotebookClient

SOURCE = ROOT / "source" / "ex08"
RELEASE = ROOT / "release" / "ex08"
RUBRIC = re.compile(r"Model answer and marking \((\d+(?:\.\d+)?) points?\)")


def _cells(path):
    return nbformat.read(path, as_version=4).cells


def _nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


def _manual(cells):
    return [c for c in cells if _nbgrader(c).get("grade") and _nbgrader(c).get("solution")]


# ----------------------------------------------------------------------------- rubrics and points
def test_every_manually_graded_cell_has_a_rubric_stating_its_points():
    manual = _manual(_cells(SOURCE / "nmf.ipynb"))
    assert {_nbgrader(c)["grade_id"] for c in manual} >= {"digits_basis", "genre_histograms", "genre_answer"}
    for cell in manual:
        points = _nbgrader(cell)["points"]
        stated = RUBRIC.findall(cell.source)
        assert len(stated) == 1, (
            _nbgrader(cell)["grade_id"],
            "needs one 'Model answer and marking (N points)'",
        )
        assert float(stated[0]) == points, (_nbgrader(cell)["grade_id"], stated, points)
        assert (points == 1) == ("(1 point)" in cell.source)
        for part in re.findall(r"(\d+(?:\.\d+)?) points?:", cell.source):  # partial credit within the cell
            assert float(part) <= points, _nbgrader(cell)["grade_id"]
        if cell.cell_type == "code":  # the rubric lives inside the solution: the release drops it
            solution = cell.source.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
            assert RUBRIC.search(solution), _nbgrader(cell)["grade_id"]


def test_points_are_balanced_towards_interpretation():
    cells = _cells(SOURCE / "nmf.ipynb")
    points = {_nbgrader(c)["grade_id"]: _nbgrader(c)["points"] for c in cells if _nbgrader(c).get("grade")}
    automatic = sum(p for c in cells if _nbgrader(c).get("grade") and not _nbgrader(c).get("solution")
                    for p in [_nbgrader(c)["points"]])  # fmt: skip
    assert sum(points.values()) == 20
    assert automatic == 12
    assert points["genre_answer"] == 2  # the core question of the second half
    intro = cells[0].source
    assert "| **total** | **12** | **8** | **20** |" in intro
    assert "Deadline" in intro
    assert "Team rules" in intro
    for part, total in (("1.1", 10), ("1.2", 10)):
        heading = next(
            c.source for c in cells if c.cell_type == "markdown" and c.source.startswith(f"## {part}")
        )
        assert f"({total} points)" in heading.splitlines()[0]


def test_release_holds_no_rubric_or_model_answer():
    text = (RELEASE / "nmf.ipynb").read_text()
    assert "Model answer and marking" not in text
    assert "BEGIN SOLUTION" not in text


def test_fill_value_evaluation_is_in_the_release_for_students_to_run():
    cells = {_nbgrader(c).get("grade_id"): c for c in _cells(RELEASE / "nmf.ipynb")}
    evaluation = cells["fill_evaluation"]
    assert _nbgrader(evaluation)["locked"]
    assert "non_negative(observed_ua.fillna(fill)" in evaluation.source
    for measure in ("RMSE", "precision@10", "hit rate@10", "median ratings of recommended"):
        assert measure in evaluation.source
    assert "> 20 ratings" in evaluation.source
    assert "global mean (baseline)" in evaluation.source
    assert "keep the choice you find best" not in "".join(c.source for c in cells.values())
    assert "predicted rating" in cells["predicted_rating_md"].source
    assert "SVD++" in cells["netflix_md"].source
    assert "handin_summary.txt" in cells["handin_md"].source
    assert "<your student id>_ex08.zip" in cells["handin_md"].source


def test_release_states_the_rules_of_the_hidden_checks():
    cells = {_nbgrader(c).get("grade_id"): c for c in _cells(RELEASE / "nmf.ipynb")}
    text = " ".join(cells["implementation_md"].source.split())
    assert "numpy (and scipy, pandas) only" in text
    assert "nothing else can be imported, not scikit-learn" in text
    for rule in ("`num_iterations=1000`", "modifies its inputs", "`losses[0]` at the start", "`fill_value`"):
        assert rule in text, rule


def test_visible_heads_up_catches_an_implementation_that_imports_scikit_learn():
    """The visible part of test_non_negative_shapes passes the reference and fails a delegation."""
    import sys

    cells = {_nbgrader(c).get("grade_id"): c.source for c in _cells(SOURCE / "nmf.ipynb")}
    visible = cells["test_non_negative_shapes"].split("### BEGIN HIDDEN TESTS")[0]
    namespace = {"np": np}
    for grade_id in ("update_rules", "non_negative"):
        exec(re.sub(r"^ *### (BEGIN|END) SOLUTION\n", "", cells[grade_id], flags=re.M), namespace)
    exec(visible, namespace)

    def delegating(data, num_components, num_iterations=1000, random_state=None, return_loss=False):
        from sklearn.decomposition import NMF

        model = NMF(num_components, max_iter=num_iterations)
        return model.fit_transform(data), model.components_

    namespace["non_negative"] = delegating
    with pytest.raises(AssertionError, match="only numpy, scipy and pandas can be imported"):
        exec(visible, namespace)
    assert sys.modules["sklearn"] is not None  # the cell restored scikit-learn


def test_test_cells_keep_their_grade_ids():
    ids = {_nbgrader(c)["grade_id"] for c in _cells(SOURCE / "nmf.ipynb") if _nbgrader(c).get("grade")}
    assert ids >= {
        "test_update_steps", "test_non_negative_shapes", "test_loss_never_increases",
        "test_zero_rows_and_columns", "test_reconstruction_error", "test_rating_matrix",
        "test_recommend_unseen", "test_recommend_order", "test_recommend_user",
    }  # fmt: skip


# ----------------------------------------------------------------------------- the data helper
def test_movielens_helper_is_one_standalone_file():
    shipped = ROOT / "notebooks" / "nmf_course" / "movielens.py"
    assert (SOURCE / "movielens.py").read_bytes() == shipped.read_bytes()
    assert (RELEASE / "movielens.py").read_bytes() == shipped.read_bytes()
    tree = ast.parse(shipped.read_text())
    stdlib = {"hashlib", "os", "shutil", "tempfile", "zipfile", "pathlib"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports: it sits alone next to the notebook"
            assert node.module.split(".")[0] in stdlib
        elif isinstance(node, ast.Import):
            assert all(a.name.split(".")[0] in stdlib | {"pooch"} for a in node.names)


def _data_cell_namespace(folder):
    """Run the assignment's data cell in ``folder`` with the movielens.py shipped beside it."""
    import importlib.util

    cells = {_nbgrader(c).get("grade_id"): c for c in _cells(SOURCE / "nmf.ipynb")}
    shutil.copy(SOURCE / "movielens.py", folder / "movielens.py")
    spec = importlib.util.spec_from_file_location("movielens", folder / "movielens.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    namespace = {"np": np, "pd": pd, "movielens": module}
    exec(compile(cells["load_movielens"].source, "load_movielens", "exec"), namespace)
    return namespace


def test_data_cell_finds_ml_100k_next_to_the_notebook_and_merges_duplicates(
    isolated_data_env, movielens_parent, tmp_path, monkeypatch
):
    student = tmp_path / "ex08"
    student.mkdir()
    shutil.copytree(movielens_parent / "ml-100k", student / "ml-100k")
    monkeypatch.chdir(student)
    namespace = _data_cell_namespace(student)
    assert namespace["data_dir"] == student / "ml-100k"
    movies, ratings = namespace["movies"], namespace["ratings"]
    assert not movies["movie title"].duplicated().any()
    assert not ratings.duplicated(["user id", "movie id"]).any()
    assert set(ratings["movie id"]) <= set(movies["movie id"])
    import nmf_course

    expected_movies, expected = nmf_course.merge_duplicate_titles(
        nmf_course.read_movies(student / "ml-100k" / "u.item"),
        nmf_course.read_ratings(student / "ml-100k" / "u.data"),
    )
    assert len(movies) == len(expected_movies)
    pd.testing.assert_frame_equal(
        ratings.sort_values(["user id", "movie id"]).reset_index(drop=True),
        expected.sort_values(["user id", "movie id"]).reset_index(drop=True),
        check_dtype=False,
    )


def test_data_search_order_in_text_and_code(isolated_data_env, movielens_parent, tmp_path, monkeypatch):
    """The assignment says where the data cell looks, in the order movielens_folder() looks."""
    text = " ".join(_markdown_of("recommender_md").split())
    order = ["`NMF_HELPERS_DATA`", "next to this notebook", "cached by an earlier download", "downloads"]
    positions = [text.find(place) for place in order]
    assert -1 not in positions, dict(zip(order, positions, strict=True))
    assert positions == sorted(positions), "the text lists the places out of the code's order"
    # the code: NMF_HELPERS_DATA wins over a copy next to the notebook
    student, elsewhere = tmp_path / "ex08", tmp_path / "shared"
    for folder in (student, elsewhere):
        shutil.copytree(movielens_parent / "ml-100k", folder / "ml-100k")
    monkeypatch.chdir(student)
    monkeypatch.setenv("NMF_HELPERS_DATA", str(elsewhere))
    assert _data_cell_namespace(student)["data_dir"] == elsewhere / "ml-100k"


# ----------------------------------------------------------------------------- answer keys vs the data
@pytest.fixture(scope="module")
def reference_fit(real_movielens):
    """The reference solution's zero-filled fit (fill 0, M = 20, 300 iterations), duplicates merged."""
    import nmf_course
    from nmf_helpers import non_negative

    movies, ratings = nmf_course.merge_duplicate_titles(real_movielens.movies, real_movielens.ratings)
    rat_df = ratings.pivot(index="user id", columns="movie id", values="rating").fillna(0)
    Z, H = non_negative(rat_df, 20, num_iterations=300, random_state=0)
    return movies, ratings, pd.DataFrame(Z @ H, index=rat_df.index, columns=rat_df.columns)


def test_genre_answer_key_matches_the_reference_figure(reference_fit):
    import nmf_course

    movies, ratings, reconstruction = reference_fit
    change = {}
    for user in (1, 2, 3):
        own = ratings[ratings["user id"] == user]
        top = reconstruction.loc[user].drop(own["movie id"]).sort_values(ascending=False, kind="stable")
        liked = nmf_course.genre_profile(own.loc[own["rating"] >= 4, "movie id"], movies)
        change[user] = pd.DataFrame(
            {"liked": liked, "recommended": nmf_course.genre_profile(top.index[:20], movies)}
        )
    for user in (1, 2, 3):  # "Drama rises for all three ... and so does War"
        assert change[user].loc["Drama", "recommended"] > change[user].loc["Drama", "liked"]
        assert change[user].loc["War", "recommended"] > change[user].loc["War", "liked"]
    assert change[2].loc["Drama"].round(2).tolist() == [0.36, 0.44]
    assert change[3].loc["Mystery"].round(2).tolist() == [0.10, 0.02]
    assert change[3].loc[["Crime", "Documentary"], "recommended"].eq(0).all()
    for genre in ("Sci-Fi", "Thriller"):  # user 1: "fall by about two thirds"
        assert change[1].loc[genre, "recommended"] < 0.5 * change[1].loc[genre, "liked"]
    comedy = {u: change[u].loc["Comedy", "recommended"] - change[u].loc["Comedy", "liked"] for u in (1, 2)}
    assert comedy[1] > 0 > comedy[2]  # "Comedy up for user 1, down for user 2"
    key = next(
        c for c in _cells(SOURCE / "nmf.ipynb") if _nbgrader(c).get("grade_id") == "genre_answer"
    ).source
    assert "0.36 -> 0.44" in key
    assert "Mystery 0.10 -> 0.02" in key


def test_predicted_rating_explanation_matches_the_scores(reference_fit):
    _, ratings, reconstruction = reference_fit
    seen = ratings.groupby("user id")["movie id"].apply(set)
    user_1 = reconstruction.loc[1].drop(list(seen[1])).nlargest(20)
    assert len(seen[1]) == 271
    assert 2 <= user_1.min() < user_1.max() <= 4  # "user 1 ... gets values of 2-4"
    twentieth = [
        reconstruction.loc[u].drop(list(seen[u])).nlargest(20).iloc[-1] for u in reconstruction.index
    ]
    assert np.mean(np.array(twentieth) < 1.5) > 0.5  # "for most users the 20th ... below 1.5"
    # "the best unseen movie scores a median of about 2.9, below 2 for about one user in six"
    best = np.array([reconstruction.loc[u].drop(list(seen[u])).max() for u in reconstruction.index])
    assert round(float(np.median(best)), 1) == 2.9
    assert 1 / 7 < np.mean(best < 2) < 1 / 5
    text = _markdown_of("predicted_rating_md")
    assert "median of about 2.9, below 2 for about one user in six" in " ".join(text.split())
    # the fit fills in: "with M = 20, about 6% of X against 14% of ZH" (non-zero; above 0.5)
    share_x = float(
        (ratings.pivot(index="user id", columns="movie id", values="rating").notna()).to_numpy().mean()
    )
    share_zh = float((reconstruction.to_numpy() > 0.5).mean())
    assert f"about {share_x:.0%} of $X$ against {share_zh:.0%} of $ZH$" in " ".join(
        _markdown_of("fit_md").split()
    )


def _markdown_of(grade_id):
    return next(c for c in _cells(SOURCE / "nmf.ipynb") if _nbgrader(c).get("grade_id") == grade_id).source


def test_digits_answer_key_matches_a_reference_run():
    import warnings

    from sklearn.datasets import load_digits
    from sklearn.decomposition import NMF

    from nmf_course import match_components
    from nmf_helpers import non_negative

    X = load_digits().data
    _, H, losses = non_negative(X, 10, random_state=0, return_loss=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = NMF(10, init="random", solver="mu", max_iter=1000, tol=0, random_state=0).fit(X)
    assert reference.n_iter_ == 1000  # tol=0: all iterations, as the text says
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        default_tol = NMF(10, init="random", solver="mu", max_iter=1000, random_state=0).fit(X)
    assert 250 <= default_tol.n_iter_ <= 350  # "after about 300 on these digits"
    _, correlation = match_components(H, reference.components_)
    assert 0.35 <= correlation.min() < 0.5
    assert 0.95 <= correlation.max() < 1
    assert np.sum(correlation >= 0.795) >= 5  # "half of them 0.8 or more"
    ours, theirs = losses[-1], reference.reconstruction_err_**2
    assert abs(ours - theirs) / theirs < 0.05  # "within a few per cent"
    assert round(ours, -3) == 742_000
    assert round(theirs, -4) == 760_000


# ----------------------------------------------------------------------------- end to end
PROBE = 'print("EVALUATION " + evaluation.reset_index().to_json(orient="records"))'


def _execute_source(tmp_path, data_folder):
    """Execute the source notebook (reference answers and hidden tests) in a copy of its folder."""
    folder = tmp_path / "ex08"
    shutil.copytree(SOURCE, folder)
    notebook = nbformat.read(folder / "nmf.ipynb", as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(PROBE))
    client = NotebookClient(
        notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    import os

    client.execute(env={**os.environ, "NMF_HELPERS_DATA": str(data_folder)})
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, errors
    printed = "".join(o.get("text", "") for o in notebook.cells[-1].outputs)
    records = json.loads(printed.split("EVALUATION ", 1)[1])
    table = pd.DataFrame(records)
    table.index = [f"{r['fill_value']} / {r['candidates']}".removesuffix(" / ") for r in records]
    return {_nbgrader(c).get("grade_id"): c for c in notebook.cells}, table


@pytest.mark.slow
def test_source_runs_on_the_real_data_and_its_evaluation_teaches_the_point(tmp_path, real_movielens,
                                                                         movielens_parent):  # fmt: skip
    cells, table = _execute_source(tmp_path, movielens_parent)
    rmse = table["RMSE"]
    baseline = rmse["global mean (baseline)"]
    zero, movie_mean = "fill 0 / all", "fill movie mean / all"
    # the fill that wins on RMSE does not win on ranking
    assert rmse[movie_mean] < rmse["fill global mean / all"] < baseline < rmse[zero]
    assert table["precision@10"].idxmax().startswith("fill 0")
    assert table["hit rate@10"].idxmax().startswith("fill 0")
    # movie-mean filling recommends films with a handful of ratings; the filter fixes that
    assert table.loc[movie_mean, "median ratings of recommended"] <= 2
    filtered = "fill movie mean / > 20 ratings"
    assert table.loc[filtered, "precision@10"] > 10 * table.loc[movie_mean, "precision@10"]
    assert table.loc[filtered, "median ratings of recommended"] > 20
    key = cells["choose_m"].source
    assert f"about {rmse[movie_mean]:.2f}" in key
    assert f"precision@10 about {table.loc[zero, 'precision@10']:.2f}" in key
    assert f"hit rate about {table.loc[zero, 'hit rate@10']:.2f}" in key
    recommendations = next(o for o in cells["my_ratings"].outputs if o.output_type == "execute_result")
    assert "movie title" in recommendations["data"]["text/plain"]


@pytest.mark.slow
def test_source_runs_on_synthetic_data(tmp_path, synthetic):
    _, table = _execute_source(tmp_path, synthetic.folder.parent)
    assert len(table) == 7
    assert table["RMSE"].notna().all()

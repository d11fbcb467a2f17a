"""Grading fidelity: correct variants get every point, each bug loses exactly its tests,
whatever inputs a hand-in's seed draws (two seeds each: a check whose tolerance a bug's
spread straddles would give identical hand-ins different grades)."""

import pytest
from corpus import FUNCTION_TESTS, grade_in_process, variants

CORPUS = variants()


def test_corpus_is_large_enough_and_well_formed():
    correct = [name for name, v in CORPUS.items() if not v.LOSES]
    buggy = [name for name, v in CORPUS.items() if v.LOSES]
    assert len(correct) >= 10
    assert len(buggy) >= 10
    for name, variant in CORPUS.items():
        assert variant.__doc__, f"{name} needs a docstring saying what the student did"
        assert set(variant.LOSES) <= set(FUNCTION_TESTS), name


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # faulty variants overflow, as intended
@pytest.mark.parametrize("seed", [11, 2**40 + 7])
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_variant_loses_exactly_its_tests(name, seed):
    variant = CORPUS[name]
    assert grade_in_process(_in_process(variant), seed) == set(variant.LOSES)


def _in_process(variant):
    """The variant's answers, its added cells (``ADDED_CELLS``) run first in the answer they precede."""
    added = getattr(variant, "ADDED_CELLS", {})
    if not added:
        return variant.ANSWERS
    from corpus import SOURCE

    from nmf_kit.handins import reference_answers

    answers = reference_answers(SOURCE) | variant.ANSWERS
    return variant.ANSWERS | {gid: "\n\n".join([*cells, answers[gid]]) for gid, cells in added.items()}


def test_reference_passes_everything():
    assert grade_in_process({}) == set()


# --------------------------------------------------------------------------- wrong implementations
# tests/hostile/wrong_*.py: implementations that are wrong in a way the hidden checks once missed
# (each built on the reference answers, each losing exactly its tests), and the checks' answers
# to their classes, called directly on good and bad functions.
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from nmf_helpers.grading import Context, ex08  # noqa: E402
from nmf_helpers.grading.student import CheckFailed, InProcessStudent  # noqa: E402

HOSTILE = Path(__file__).with_name("hostile")
WRONG = {name: v for name, v in variants(HOSTILE).items() if hasattr(v, "LOSES")}


def _functions(answers):
    from corpus import SOURCE

    from nmf_kit.handins import function_namespace

    return InProcessStudent(function_namespace(SOURCE, answers))


def _verdict(check, student, seed, context=None):
    try:
        check(student, np.random.default_rng([seed, 3]), context or Context())
    except CheckFailed as failure:
        return str(failure)
    return None


def test_wrong_implementations_are_built_on_the_reference():
    assert {"wrong_default_iterations", "wrong_return_loss", "wrong_fill_value", "wrong_changes_inputs",
            "wrong_check_shaped_start"} <= set(WRONG)  # fmt: skip
    for name, variant in WRONG.items():
        assert variant.__doc__, name
        assert variant.LOSES, name
        assert variant.BASE == "reference", name


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("seed", [11, 2**40 + 7])
@pytest.mark.parametrize("name", sorted(n for n, v in WRONG.items() if set(v.LOSES) <= set(FUNCTION_TESTS)))
def test_wrong_implementation_loses_exactly_its_tests(name, seed):
    assert grade_in_process(WRONG[name].ANSWERS, seed) == set(WRONG[name].LOSES)


def _default_iterations(count):
    source = WRONG["wrong_default_iterations"].ANSWERS["non_negative"]
    return {"non_negative": source.replace("num_iterations=150", f"num_iterations={count}")}


@pytest.mark.parametrize(("count", "passes"), [(150, False), (290, False), (300, True), (1000, True)])
def test_the_default_iteration_count_has_the_same_verdict_on_every_seed(count, passes):
    """Compared with the correct run from the same start, a default of fewer than
    MIN_ITERATIONS fails on every seed and one of at least that passes on every seed."""
    student = _functions(_default_iterations(count))
    verdicts = [_verdict(ex08.check_reconstruction, student, seed) for seed in range(4)]
    assert [v is None for v in verdicts] == [passes] * 4, verdicts
    if not passes:
        assert all("default number of iterations" in v for v in verdicts), verdicts


def test_the_reconstruction_baseline_is_never_the_students_start():
    """A start that num_iterations=0 returns only for digit-like data does not make the baseline."""
    student = _functions(WRONG["wrong_check_shaped_start"].ANSWERS)
    for seed in range(3):
        assert "not the multiplicative updates run from its own start" in _verdict(
            ex08.check_reconstruction, student, seed
        )


def test_a_loss_history_must_be_the_squared_loss_of_each_iteration():
    good = _functions({})
    for seed in range(2):
        assert _verdict(ex08.check_iterations, good, seed) is None
        assert _verdict(ex08.check_reconstruction, good, seed) is None
    wrong = _functions(WRONG["wrong_return_loss"].ANSWERS)
    assert "is not the squared loss" in _verdict(ex08.check_iterations, wrong, 0)
    assert "is not the squared loss" in _verdict(ex08.check_reconstruction, wrong, 0)
    # the right losses computed every 10 iterations only, or the factors changed by return_loss
    source = WRONG["wrong_return_loss"].ANSWERS["non_negative"]
    sparse = source.replace("np.linalg.norm(X - Z @ H) / np.linalg.norm(X)", "np.sum((X - Z @ H) ** 2)")
    sparse = sparse.replace("        losses.append(", "        if _ % 10 == 9: losses.append(")
    assert "is not the squared loss" in _verdict(
        ex08.check_iterations, _functions({"non_negative": sparse}), 0
    )


_UPDATE_IN_PLACE = """
EPS = 1e-10


def update_h(data, Z, H, eps=EPS):
    X = np.asarray(data, dtype=float)
    H *= (Z.T @ X) / np.clip(Z.T @ Z @ H, eps, None)
    return H


def update_z(data, Z, H, eps=EPS):
    X = np.asarray(data, dtype=float)
    return Z * (X @ H.T) / np.clip(Z @ H @ H.T, eps, None)
"""


def test_a_function_that_changes_its_inputs_fails_every_check_that_calls_it():
    wrong = _functions(WRONG["wrong_changes_inputs"].ANSWERS)
    for check in (ex08.check_recommend_unseen, ex08.check_recommend_order, ex08.check_recommend_user):
        assert "recommend_movies changed its 1st argument (reconstruction) in place" in _verdict(
            check, wrong, 0
        )
    in_place = _functions({"update_rules": _UPDATE_IN_PLACE})
    assert "update_h changed its 3rd argument (H) in place" in _verdict(ex08.check_update_steps, in_place, 0)
    assert "update_h changed" in _verdict(ex08.check_monotone, in_place, 0)
    good = _functions({})
    for check in (ex08.check_update_steps, ex08.check_monotone, ex08.check_recommend_unseen):
        assert _verdict(check, good, 0) is None


_RATINGS = """
from nmf_course.data import read_ratings
ratings = read_ratings(folder / "u.data")
"""


def _rating_matrix(folder, cell):
    import pandas as pd

    namespace = {"np": np, "pd": pd, "folder": folder}
    exec(_RATINGS + cell, namespace)
    return InProcessStudent(namespace)


@pytest.mark.parametrize(
    "fill",
    ["0", "2.5", 'ratings["rating"].mean()', 'ratings.groupby("movie id")["rating"].mean()'],
)
def test_rat_df_holds_the_ratings_and_fill_value(movielens_parent, fill):
    context = Context(movielens_parent)
    cell = (
        f'fill_value = {fill}\nrat_df = ratings.pivot(index="user id", columns="movie id", values="rating")'
    )
    good = _rating_matrix(context.movielens_folder(), cell + ".fillna(fill_value)\n")
    assert _verdict(ex08.check_rating_matrix, good, 0, context) is None
    other = _rating_matrix(context.movielens_folder(), cell + ".fillna(fill_value + 1)\n")
    assert "do not hold fill_value" in _verdict(ex08.check_rating_matrix, other, 0, context)


def test_rat_df_of_the_wrong_fill_value_handin_fails(movielens_parent):
    context = Context(movielens_parent)
    wrong = _rating_matrix(context.movielens_folder(), WRONG["wrong_fill_value"].ANSWERS["rating_matrix"])
    assert "do not hold fill_value" in _verdict(ex08.check_rating_matrix, wrong, 0, context)
    undefined = _rating_matrix(
        context.movielens_folder(),
        'rat_df = ratings.pivot(index="user id", columns="movie id", values="rating").fillna(0)\n',
    )
    assert "fill_value is not defined" in _verdict(ex08.check_rating_matrix, undefined, 0, context)

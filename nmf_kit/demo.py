"""The kit's main job, end to end on a fresh course folder.

release -> hand-ins (the reference solution, the untouched release, one with
a known bug) zipped as an LMS gives them -> collection -> autograding ->
feedback HTML -> grades.csv -> the grade table.
"""

import contextlib
import logging
import os
import zipfile
from pathlib import Path

import nbformat

from nmf_course.movielens import ENV_DATA, MovieLensNotFound, movielens_folder

from .collect import collect
from .course import ASSIGNMENT, NOTEBOOK, new_course
from .errors import KitError
from .feedback import generate_feedback
from .gradebook import grade_table
from .handins import make_handin
from .pages import html_exporter
from .progress import log, step
from .runner import autograde, nbgrader

# The demo's buggy student: recommends movies the user has already rated.
BUGGY_RECOMMEND = '''
def recommend_movies(reconstruction, user_id, movies, ratings, n=20):
    """Return the n movies that user `user_id` has not rated, best predicted first."""
    predicted = reconstruction.loc[user_id]  # forgot to drop the movies already rated
    best = predicted.sort_values(ascending=False).head(n)
    titles = movies.set_index("movie id")["movie title"]
    return pd.DataFrame({"movie id": best.index, "movie title": titles.loc[best.index].to_numpy(),
                         "predicted rating": best.to_numpy()})
'''.strip()


@contextlib.contextmanager
def _quiet_pooch():
    """pooch announces a download on stderr; the demo says it in its own line."""
    import pooch

    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def find_data(download=True):
    """``(folder, description)``: the real ml-100k folder, else the synthetic stand-in.

    A wrong ``NMF_HELPERS_DATA`` is a mistake to fix (KitError), not a reason to
    fall back.
    """
    from nmf_helpers.data import synthetic_folder

    try:
        with _quiet_pooch():
            folder = movielens_folder(download=download)
        return folder, str(folder)
    except MovieLensNotFound as exc:
        if os.environ.get(ENV_DATA):
            raise KitError(str(exc)) from exc
        if exc.__cause__ is not None:
            reason = f"download failed: {type(exc.__cause__).__name__}"
        else:
            reason = "not on this machine" + ("" if download else ", --offline")
        folder = synthetic_folder(quiet=True)
        return folder, f"MovieLens-100k unavailable ({reason}): the SYNTHETIC stand-in in {folder}"


def data_environment(download=True):
    """``({NMF_HELPERS_DATA: parent}, folder)`` for the graders' kernels: real data, else synthetic."""
    folder, _ = find_data(download)
    return {ENV_DATA: str(folder.parent)}, folder


def write_handin_zip(notebook, zip_path):
    """What a student uploads: nmf.ipynb and its HTML export in one zip."""
    html, _ = html_exporter().from_notebook_node(notebook)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(NOTEBOOK, nbformat.writes(notebook))
        archive.writestr(Path(NOTEBOOK).stem + ".html", html)


def demo_handins(course):
    """The three demo students and their notebooks."""
    release = course / "release" / ASSIGNMENT / NOTEBOOK
    source = course / "source" / ASSIGNMENT / NOTEBOOK
    return {
        "alice": make_handin(release, source),  # the reference solution
        "bob": nbformat.read(release, as_version=4),  # handed in untouched
        "carol": make_handin(release, source, {"recommend_movies": BUGGY_RECOMMEND}),
    }


@contextlib.contextmanager
def _environment(variables):
    old = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_demo(workdir, download=True):
    """Run the whole pipeline in ``workdir``; return the grade table (a DataFrame).

    Progress goes to the ``nmf_kit`` logger, one line per step.
    """
    workdir = Path(workdir).resolve()
    with step(f"making a fresh course in {workdir}"):
        course = new_course(workdir)

    with step("finding MovieLens-100k") as done:
        folder, done.note = find_data(download)
    env = {ENV_DATA: str(folder.parent)}

    with step(f"nbgrader generate_assignment {ASSIGNMENT} (the student release)"):
        nbgrader(course, "generate_assignment", ASSIGNMENT, "--force", env=env)

    with step(f"writing hand-ins as an LMS gives them (downloads/<student>_{ASSIGNMENT}.zip)") as done:
        for student, notebook in demo_handins(course).items():
            write_handin_zip(notebook, course / "downloads" / f"{student}_{ASSIGNMENT}.zip")
        done.note = "alice = reference solution, bob = untouched release, carol = recommends rated movies"

    log.info("- collecting the hand-ins into submitted/:")
    outcomes = collect(course / "downloads", course, ASSIGNMENT, log=lambda line: log.info("    " + line))
    if any(o.status == "skipped" for o in outcomes):
        raise KitError("some hand-ins could not be collected (see above)", status=1)

    log.info("- nmf-kit autograde (nbgrader autograde for each student, in parallel, sandboxed):")
    with _environment(env):
        results = autograde(course, ASSIGNMENT)
    if any(r.status != "graded" for r in results):
        raise KitError("some hand-ins could not be graded (see above)", status=1)

    # The written answers wait for the formgrader: the kit says so and sends the automatic points.
    with _environment(env):
        generate_feedback(course, ASSIGNMENT, force=True)

    with step("nbgrader export (grades.csv)"):
        nbgrader(course, "export", env=env)

    table = grade_table(course)
    log.info("\n%s", table.to_string(index=False))
    log.info(f"\nCourse folder: {course}")
    log.info(f"  feedback:    {course / 'feedback'}")
    log.info(f"  grades:      {course / 'grades.csv'}")
    log.info(f"  formgrader (manual grading): cd {course} && jupyter lab  (Nbgrader -> Formgrader)")
    return table

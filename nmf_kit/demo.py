"""The kit's main job, end to end on a fresh course folder.

release -> hand-ins (the reference solution, the untouched release, one with
a known bug) zipped as an LMS gives them -> collection -> autograding ->
feedback HTML -> grades.csv -> the grade table.
"""

import os
import zipfile
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from nmf_course.movielens import ENV_DATA
from nmf_helpers.data import find_movielens

from .collect import collect
from .course import ASSIGNMENT, NOTEBOOK, grade_table, nbgrader, new_course, step
from .grader import autograde_class
from .handins import make_handin

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


def data_environment(download=True):
    """``{NMF_HELPERS_DATA: folder}`` for the graders' kernels: real data, else synthetic."""
    folder = find_movielens(download=download)
    return {ENV_DATA: str(folder.parent)}, folder


def write_handin_zip(notebook, zip_path):
    """What a student uploads: nmf.ipynb and its HTML export in one zip."""
    html, _ = HTMLExporter().from_notebook_node(notebook)
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


def run_demo(workdir, download=True):
    """Run the whole pipeline in ``workdir``; return the grade table (a DataFrame)."""
    workdir = Path(workdir).resolve()
    done = step("finding MovieLens-100k")
    env, folder = data_environment(download)
    done(f" ({folder})")

    done = step(f"making a fresh course in {workdir}")
    course = new_course(workdir)
    done()

    done = step("nbgrader generate_assignment ex08 (the student release)")
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force", env=env)
    done()

    done = step("writing hand-ins as an LMS gives them (downloads/<student>_ex08.zip)")
    for student, notebook in demo_handins(course).items():
        write_handin_zip(notebook, course / "downloads" / f"{student}_{ASSIGNMENT}.zip")
    done(": alice = reference solution, bob = untouched release, carol = recommends rated movies")

    print("- collecting the hand-ins into submitted/:")
    outcomes = collect(course / "downloads", course, ASSIGNMENT, log=lambda line: print("    " + line))
    if any(o.status == "skipped" for o in outcomes):
        raise RuntimeError("some hand-ins could not be collected (see above)")

    print("- nmf-kit autograde (nbgrader autograde for each student, in parallel, sandboxed):")
    os.environ.update(env)
    results = autograde_class(course, ASSIGNMENT, log=lambda line: print("    " + line))
    if any(r.status != "graded" for r in results):
        raise RuntimeError("some hand-ins could not be graded (see above)")

    done = step("nbgrader generate_feedback (feedback/<student>/ex08/nmf.html)")
    nbgrader(course, "generate_feedback", ASSIGNMENT, env=env)
    done()

    done = step("nbgrader export (grades.csv)")
    nbgrader(course, "export", env=env)
    done()

    table = grade_table(course)
    print()
    print(table.to_string(index=False))
    print(
        f"\nCourse folder: {course}\n  feedback:    {course / 'feedback'}\n  grades:      {course / 'grades.csv'}\n"
        f"  formgrader (manual grading): cd {course} && jupyter lab  (Nbgrader -> Formgrader)"
    )
    return table

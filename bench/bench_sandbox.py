"""Benchmark: what the grading sandbox costs per hand-in.

The same reference hand-ins graded by ``nmf-kit autograde`` (one worker, trusted checks) in two
courses, one with ``c.Sandbox.tool = 'none'`` and one with bubblewrap, rounds interleaved in the
same run so that both see the same load. Prints seconds per hand-in (median over rounds), the
ratio, and how long the sandbox's self-test (run once per grading run) took.

    python bench/bench_sandbox.py [--students 4] [--rounds 3]
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import nbformat

from nmf_helpers.data import find_movielens
from nmf_kit.course import ASSIGNMENT, kit_root, new_course
from nmf_kit.gradebook import grade_table
from nmf_kit.grading.batch import autograde_class
from nmf_kit.grading.sandbox import Sandbox, self_test
from nmf_kit.handins import make_handin
from nmf_kit.runner import nbgrader


def _course(folder, tool, students, env):
    course = new_course(folder, kit_root())
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text() + f'\nc.Sandbox.tool = "{tool}"\n')
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force", env=env)
    handin = make_handin(
        course / "release" / ASSIGNMENT / "nmf.ipynb", course / "source" / ASSIGNMENT / "nmf.ipynb"
    )
    for student in students:
        path = course / "submitted" / student / ASSIGNMENT / "nmf.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(handin, path)
    return course


def _seconds_per_handin(course, students):
    start = time.perf_counter()
    results = autograde_class(course, ASSIGNMENT, students, workers=1, force=True)
    seconds = (time.perf_counter() - start) / len(students)
    assert all(r.status == "graded" for r in results), results
    assert (grade_table(course).set_index("student").loc[students, "tests"] == 12).all()
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    folder = find_movielens()
    env = {"NMF_HELPERS_DATA": str(folder.parent)}
    os.environ.update(env)
    root = Path(tempfile.mkdtemp(prefix="bench-sandbox-"))
    students = [f"s{k:02d}" for k in range(args.students)]
    courses = {tool: _course(root / tool, tool, students, env) for tool in ("none", "bwrap")}
    times = {tool: [] for tool in courses}
    for round_ in range(args.rounds):
        for tool in courses if round_ % 2 == 0 else reversed(list(courses)):
            times[tool].append(_seconds_per_handin(courses[tool], students))
            print(f"round {round_ + 1}: {tool:5s} {times[tool][-1]:.2f} s per hand-in", flush=True)
    test = self_test(Sandbox(), assignment=ASSIGNMENT, data_folder=str(folder.parent))
    medians = {tool: statistics.median(values) for tool, values in times.items()}
    ratio = medians["bwrap"] / medians["none"]
    print(f"\nper hand-in (median of {args.rounds} rounds of {args.students}; data: {folder}):")
    for tool, value in medians.items():
        print(f"  {tool:5s} {value:.2f} s  (rounds: {', '.join(f'{t:.2f}' for t in times[tool])})")
    print(
        f"sandbox cost: {100 * (ratio - 1):+.1f}% per hand-in ({ratio:.3f}x);"
        f" its self-test: {test['seconds']:.2f} s per run"
    )


if __name__ == "__main__":
    main()

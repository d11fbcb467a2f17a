"""Benchmark: grading a class serially and with N workers (nmf-kit autograde).

Makes --students hand-ins (the reference solution and faulty variants in turn),
grades them once with 1 worker and once with --workers workers, each in a fresh
course, and prints both wall times and the speed-up. The grades must agree.

    python bench/bench_parallel.py [--students 40] [--workers 2]
"""

import argparse
import tempfile
import time
from pathlib import Path

import nbformat

from nmf_kit.course import ASSIGNMENT, grade_table, kit_root, nbgrader, new_course
from nmf_kit.demo import BUGGY_RECOMMEND, data_environment
from nmf_kit.grader import autograde_class
from nmf_kit.handins import make_handin


def graded_course(folder, students, workers, env):
    course = new_course(folder, kit_root())
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force", env=env)
    release, source = course / "release/ex08/nmf.ipynb", course / "source/ex08/nmf.ipynb"
    handins = [
        make_handin(release, source),
        make_handin(release, source, {"recommend_movies": BUGGY_RECOMMEND}),
    ]
    for k in range(students):
        path = course / "submitted" / f"s{k:03d}" / ASSIGNMENT / "nmf.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(handins[k % 2], path)
    start = time.perf_counter()
    results = autograde_class(course, workers=workers, log=lambda line: None)
    seconds = time.perf_counter() - start
    assert all(r.status == "graded" for r in results), [r for r in results if r.status != "graded"]
    return seconds, grade_table(course).set_index("student")["tests"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    env, folder = data_environment()
    import os

    os.environ.update(env)
    root = Path(tempfile.mkdtemp(prefix="bench-parallel-"))
    serial, grades_serial = graded_course(root / "serial", args.students, 1, env)
    print(
        f"{args.students} submissions, 1 worker: {serial:.1f} s ({serial / args.students:.1f} s each)",
        flush=True,
    )
    parallel, grades_parallel = graded_course(root / "parallel", args.students, args.workers, env)
    print(
        f"{args.students} submissions, {args.workers} workers: {parallel:.1f} s ({parallel / args.students:.1f} s each)"
    )
    print(
        f"speed-up {serial / parallel:.2f}x; grades identical: {grades_serial.equals(grades_parallel)}; data: {folder}"
    )


if __name__ == "__main__":
    main()

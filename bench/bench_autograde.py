"""Benchmark: autograding one full submission, and the hidden tests' share of it.

Grades the reference hand-in as --students students, one `nbgrader autograde
--student` call each (process start, kernel start, all cells, gradebook row),
and prints the median and range. Then times the hidden tests alone: the
grading checks on the reference functions, in this process.

    python bench/bench_autograde.py [--students 5] [--workdir DIR]
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from nmf_helpers import grading
from nmf_kit.collect import collect
from nmf_kit.course import ASSIGNMENT, kit_root, nbgrader, new_course
from nmf_kit.demo import data_environment, write_handin_zip
from nmf_kit.handins import function_namespace, make_handin

CHECKS = (
    ("check_update_steps", ("update_h", "update_z")),
    ("check_factor_shapes", ("non_negative",)),
    ("check_monotone", ("update_h", "update_z")),
    ("check_zero_rows", ("non_negative",)),
    ("check_reconstruction", ("non_negative",)),
    ("check_recommend_unseen", ("recommend_movies",)),
    ("check_recommend_order", ("recommend_movies",)),
    ("check_recommend_user", ("recommend_movies",)),
)


def hidden_tests_seconds(source):
    namespace = function_namespace(source)
    times = {}
    for check, names in CHECKS:
        start = time.perf_counter()
        getattr(grading, check)(*(namespace[n] for n in names))
        times[check] = time.perf_counter() - start
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)

    env, folder = data_environment()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-autograde-")) / "course"
    course = new_course(workdir, kit_root())
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force", env=env)
    handin = make_handin(course / "release/ex08/nmf.ipynb", course / "source/ex08/nmf.ipynb")
    for k in range(args.students):
        write_handin_zip(handin, course / "downloads" / f"student{k:02d}_{ASSIGNMENT}.zip")
    collect(course / "downloads", course, log=lambda line: None)

    seconds = []
    for k in range(args.students):
        start = time.perf_counter()
        nbgrader(course, "autograde", ASSIGNMENT, "--student", f"student{k:02d}", env=env)
        seconds.append(time.perf_counter() - start)
        print(f"student{k:02d}: {seconds[-1]:.1f} s", flush=True)
    hidden = hidden_tests_seconds(course / "source/ex08/nmf.ipynb")
    median = statistics.median(seconds)
    print(f"\ndata: {folder}")
    print(
        f"autograde one submission: median {median:.1f} s (min {min(seconds):.1f}, max {max(seconds):.1f}) over {len(seconds)}"
    )
    print("hidden tests alone:")
    for check, value in hidden.items():
        print(f"  {check:24s} {value:6.2f} s")
    total = sum(hidden.values())
    print(f"  {'total':24s} {total:6.2f} s = {100 * total / median:.0f}% of a submission")


if __name__ == "__main__":
    main()

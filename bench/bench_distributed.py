"""Benchmark: grading a class on a Dask cluster against the local pool, and its throughput.

The same ``--students`` hand-ins (the reference and faulty variants in turn) graded, each time in
a fresh course, by:

1. the local pool with ``--workers`` workers;
2. a Dask ``LocalCluster`` with the same number of worker processes (the cluster's overhead:
   shipping the hand-ins and results, the client recording them);
3. a ``LocalCluster`` with one worker (throughput with 1 and N workers).

The grades of all three must agree. Prints wall times, seconds per hand-in, the overhead and the
speed-up, and the estimate for a class of ``--class-size`` students.

    python bench/bench_distributed.py [--students 40] [--workers 2] [--class-size 1000]
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import nbformat

from nmf_helpers.data import find_movielens
from nmf_kit.course import ASSIGNMENT, kit_root, new_course
from nmf_kit.gradebook import grade_table
from nmf_kit.grading.batch import autograde_class
from nmf_kit.grading.jobs import SECRET
from nmf_kit.handins import make_handin
from nmf_kit.runner import nbgrader

BUGS = {
    "recommend_movies": "def recommend_movies(reconstruction, user_id, movies, ratings, n=20):\n"
    "    best = reconstruction.loc[user_id].sort_values(ascending=False).head(n)\n"
    "    return pd.DataFrame(\n"
    "        {'movie id': best.index, 'movie title': '', 'predicted rating': best.to_numpy()}\n"
    "    )\n"
}


def _course(folder, students, env, secret=None):
    course = new_course(folder, kit_root())
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force", env=env)
    release, source = (
        course / "release" / ASSIGNMENT / "nmf.ipynb",
        course / "source" / ASSIGNMENT / "nmf.ipynb",
    )
    handins = [make_handin(release, source), make_handin(release, source, BUGS)]
    for k, student in enumerate(students):
        path = course / "submitted" / student / ASSIGNMENT / "nmf.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(handins[k % 2], path)
    if secret:  # the same seeds everywhere, so the same hidden inputs
        (course / SECRET).parent.mkdir(parents=True, exist_ok=True)
        (course / SECRET).write_bytes(secret)
    return course


def _grade(course, **where):
    start = time.perf_counter()
    results = autograde_class(course, ASSIGNMENT, **where)
    seconds = time.perf_counter() - start
    assert all(r.status == "graded" for r in results), [r for r in results if r.status != "graded"]
    return seconds, grade_table(course).set_index("student")["tests"].to_dict()


def main(argv=None):
    from distributed import LocalCluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--class-size", type=int, default=1000)
    args = parser.parse_args(argv)
    folder = find_movielens()
    env = {"NMF_HELPERS_DATA": str(folder.parent)}
    os.environ.update(env)
    root = Path(tempfile.mkdtemp(prefix="bench-distributed-"))
    students = [f"s{k:03d}" for k in range(args.students)]
    secret = os.urandom(32).hex().encode()
    runs = {}
    runs["local pool"] = _grade(_course(root / "local", students, env, secret), workers=args.workers)
    print(f"local pool, {args.workers} workers: {runs['local pool'][0]:.1f} s", flush=True)
    for n in (args.workers, 1):
        with LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster:
            name = f"cluster, {n} worker(s)"
            runs[name] = _grade(
                _course(root / f"cluster{n}", students, env, secret), scheduler=cluster.scheduler_address
            )
            print(f"{name}: {runs[name][0]:.1f} s", flush=True)
    grades = [g for _, g in runs.values()]
    assert all(g == grades[0] for g in grades), "the grades differ between runs"
    local, many, one = (
        runs["local pool"][0],
        runs[f"cluster, {args.workers} worker(s)"][0],
        runs["cluster, 1 worker(s)"][0],
    )
    print(f"\n{args.students} hand-ins (data: {folder}); grades identical in all runs")
    for name, (seconds, _) in runs.items():
        print(f"  {name:22s} {seconds:7.1f} s  ({seconds / args.students:.2f} s per hand-in)")
    print(f"cluster overhead against the local pool: {100 * (many / local - 1):+.1f}%")
    print(f"throughput, {args.workers} workers against 1: {one / many:.2f}x")
    per_core = one / args.students  # seconds of one worker per hand-in
    for minutes in (30,):
        needed = per_core * args.class_size / (minutes * 60)
        print(
            f"{args.class_size} students in {minutes} minutes: {per_core:.1f} s of one worker per hand-in"
            f" -> {needed:.1f} workers busy (plan {int(needed * 1.25) + 1} with 25% margin)"
        )


if __name__ == "__main__":
    main()

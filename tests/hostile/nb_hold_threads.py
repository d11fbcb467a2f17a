"""Holds as many threads as RLIMIT_NPROC lets it, for 40 s, in its first answer cell. Every
hand-in's kernel runs as the same host user (nobody as root, the grader's user otherwise), and
where no cgroup is made (cgroup v1 hosts: nmf_kit.grading.cgroups.create returns None) the
sandbox relies on RLIMIT_NPROC, which counts the threads of that host user across all sandboxes:
kernels of hand-ins that start meanwhile cannot be created, and those hand-ins "fail" with a
zero. Its name sorts just before "neighbour", so that the correct neighbour of
tests/test_hostile.py starts while it holds them."""

ANSWERS = {
    "update_rules": r"""
import threading, time
_stop = threading.Event()
_held = []
try:
    for _ in range(400):
        _thread = threading.Thread(target=_stop.wait, daemon=True)
        _thread.start()
        _held.append(_thread)
except RuntimeError as exc:
    print("threads held:", len(_held), exc)
time.sleep(40)
_stop.set()
""",
}

"""A cgroup per hand-in, when the grader runs as root: bounded memory and processes, killed whole.

cgroup v1 (``/sys/fs/cgroup/{memory,pids}``) and v2 (``/sys/fs/cgroup`` with the
``memory`` and ``pids`` controllers) are both handled. Without root, or where
neither is available, :func:`create` returns None and the sandbox falls back to
per-process limits.
"""

import contextlib
import os
import signal
import time
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PARENT = "nmf-kit"


class HandinCgroup:
    """The cgroup folders of one hand-in (one per v1 controller, or one v2 folder)."""

    def __init__(self, folders, version):
        self.folders, self.version = [Path(f) for f in folders], version

    def pids(self):
        found = set()
        for folder in self.folders:
            with contextlib.suppress(OSError):
                found |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
        return found

    def out_of_memory(self):
        """Whether the memory limit was hit (a kernel that died is then explained)."""
        for folder in self.folders:
            # v1: memory.failcnt stays 0 on some kernels when the OOM killer acts; oom_control
            # counts the kills. v2: memory.events.
            checks = (("memory.failcnt", lambda t: int(t) > 0), ("memory.oom_control", _events_oom),
                      ("memory.events", _events_oom))  # fmt: skip
            for name, test in checks:
                path = folder / name
                if path.is_file() and test(path.read_text()):
                    return True
        return False

    def kill(self, wait=5.0):
        """Kill every process of the hand-in; True when none is left."""
        kill_file = self.folders[0] / "cgroup.kill"
        if self.version == 2 and kill_file.exists():
            kill_file.write_text("1")
        deadline = time.monotonic() + wait
        while (left := self.pids()) and time.monotonic() < deadline:
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)
        return not self.pids()

    def remove(self, wait=3.0):
        self.kill()
        deadline = time.monotonic() + wait
        for folder in self.folders:
            while folder.exists():
                try:
                    folder.rmdir()
                except OSError:  # busy while a killed process still frees its memory
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.05)


def sweep(max_age=6 * 3600):
    """Remove hand-in groups that a run killed before its clean-up left behind (empty, old)."""
    now = time.time()
    for parent in (ROOT / "memory" / PARENT, ROOT / "pids" / PARENT, ROOT / PARENT):
        with contextlib.suppress(OSError):
            for folder in parent.iterdir():
                if folder.is_dir() and now - folder.stat().st_mtime > max_age:
                    with contextlib.suppress(OSError):  # not empty, or not ours to remove: left alone
                        folder.rmdir()


def _events_oom(text):
    counts = dict(line.split()[:2] for line in text.splitlines() if len(line.split()) >= 2)
    return int(counts.get("oom", 0)) > 0 or int(counts.get("oom_kill", 0)) > 0


def _write(path, value):
    Path(path).write_text(str(value))


def create(name, *, memory, processes):
    """A fresh cgroup named ``name`` with the limits, or None where it cannot be made."""
    if os.geteuid() != 0:
        return None
    sweep()
    try:
        # cgroup v1: one hierarchy per controller (the root of the pids one has no pids.max)
        if (ROOT / "memory" / "memory.limit_in_bytes").exists() and (ROOT / "pids" / "cgroup.procs").exists():
            memory_dir, pids_dir = ROOT / "memory" / PARENT / name, ROOT / "pids" / PARENT / name
            for folder in (memory_dir, pids_dir):
                folder.mkdir(parents=True, exist_ok=True)
            _write(memory_dir / "memory.limit_in_bytes", memory)
            if (memory_dir / "memory.memsw.limit_in_bytes").exists():
                _write(memory_dir / "memory.memsw.limit_in_bytes", memory)  # no way round it through swap
            _write(pids_dir / "pids.max", processes)
            return HandinCgroup([memory_dir, pids_dir], 1)
        controllers = (ROOT / "cgroup.controllers").read_text().split()
        if {"memory", "pids"} <= set(controllers):
            parent = ROOT / PARENT
            parent.mkdir(exist_ok=True)
            _write(ROOT / "cgroup.subtree_control", "+memory +pids")
            _write(parent / "cgroup.subtree_control", "+memory +pids")
            folder = parent / name
            folder.mkdir(exist_ok=True)
            _write(folder / "memory.max", memory)
            if (folder / "memory.swap.max").exists():
                _write(folder / "memory.swap.max", 0)
            _write(folder / "pids.max", processes)
            return HandinCgroup([folder], 2)
    except OSError:
        return None
    return None

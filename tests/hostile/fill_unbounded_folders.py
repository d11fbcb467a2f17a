"""Writes where the sandbox sets no size: 600 MB into /dev/shm (bwrap's --dev makes /dev a tmpfs
of the default size, half the machine's RAM, writable by the kernel) and 600 MB into the
connection file's folder (bound writable from the grader's own disk, with no quota; only each
file is capped by RLIMIT_FSIZE). /tmp and the scratch folder are bounded (c.Sandbox.tmp_size,
scratch_size: 512 MB); these are not, so one hand-in can fill the grader's RAM (no cgroup
counts it without root) or its disk."""

REPORTS = ["DEVSHM-600MB-WRITTEN", "RUNTIME-600MB-WRITTEN"]
ANSWERS = {
    "update_rules": """
import os, sys
def _fill(folder, marker):
    paths = [os.path.join(folder, f"fill{k}.bin") for k in range(3)]
    try:
        for path in paths:
            with open(path, "wb") as handle:
                for _ in range(20):
                    handle.write(b"\\1" * 10_000_000)
        print(marker)
    except OSError as exc:
        print("bounded:", folder, exc)
    finally:
        for path in paths:
            if os.path.exists(path):
                os.remove(path)
_fill("/dev/shm", "DEVSHM-600MB-WRITTEN")
_fill(os.path.dirname(os.path.abspath(sys.argv[sys.argv.index("-f") + 1])), "RUNTIME-600MB-WRITTEN")
""",
}

"""Grading each hand-in's kernel in a bubblewrap sandbox.

nbgrader runs student code with the grader's rights (its issue #483). With the
sandbox, the kernel that nbgrader starts for a hand-in is wrapped in
`bwrap <https://github.com/containers/bubblewrap>`_ (Debian/Ubuntu package
``bubblewrap``) and sees:

- the system and the course environment read-only (Python, packages, the
  reference helpers that the hidden tests import), and the data set;
- its own working folder (``autograded/<student>/<assignment>``) read-write,
  and a private, empty ``/tmp``;
- nothing else of the course (not ``source/``, not other students' folders,
  not ``gradebook.db``) and not the grader's home folder;
- no network (a new, empty network namespace);
- an address-space limit (``memory`` bytes), so that a huge allocation fails
  with MemoryError in that hand-in alone.

The kernel talks to nbgrader over Unix sockets (``KernelManager.transport =
ipc``) in a runtime folder private to that submission.

How it plugs in: :func:`install_kernelspec` writes a kernel ``nmf-sandbox``
whose command is ``python .../nmf_helpers/sandbox.py {connection_file}``; this
module's :func:`main` then builds the bwrap command from its working folder
(nbgrader starts kernels in the notebook's folder) and the environment the
grader set (``NMF_KIT_COURSE``, ``NMF_KIT_MEMORY``, ``NMF_HELPERS_DATA``).
"""

import json
import os
import resource
import shutil
import site
import sys
from pathlib import Path

KERNEL_NAME = "nmf-sandbox"
ENV_COURSE = "NMF_KIT_COURSE"
ENV_MEMORY = "NMF_KIT_MEMORY"
DEFAULT_MEMORY = 8 * 2**30
INSTALL_HINT = (
    "bubblewrap (bwrap) is needed to grade hand-ins in a sandbox: install it with "
    "`sudo apt-get install bubblewrap` (Debian/Ubuntu) or `sudo dnf install bubblewrap`; "
    "or, to grade without a sandbox (student code then runs with your rights), set "
    "`c.Sandbox.tool = 'none'` in nbgrader_config.py."
)


class SandboxUnavailable(RuntimeError):
    pass


def bwrap_path():
    return shutil.which("bwrap")


def check_available():
    """Raise SandboxUnavailable, saying how to install bwrap, when it cannot run here."""
    path = bwrap_path()
    if path is None:
        raise SandboxUnavailable(INSTALL_HINT)
    import subprocess

    probe = subprocess.run(
        [path, "--ro-bind", "/", "/", "--unshare-net", "true"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        raise SandboxUnavailable(
            f"bwrap is installed but cannot create a sandbox here: {probe.stderr.strip()}. {INSTALL_HINT}"
        )
    return path


def install_kernelspec(folder):
    """Write the ``nmf-sandbox`` kernelspec under ``folder/kernels``; return ``folder``
    (to be put on ``JUPYTER_PATH``)."""
    spec = Path(folder) / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                # The file itself, not `-m nmf_kit.sandbox`: importing the package
                # (pandas, scikit-learn, ...) would add a second to every kernel start.
                "argv": [sys.executable, "-s", str(Path(__file__).resolve()), "{connection_file}"],
                "display_name": "Python 3 (grading sandbox)",
                "language": "python",
                # bwrap does not pass signals on: interrupt (after a cell timeout) by message.
                "interrupt_mode": "message",
            },
            indent=1,
        )
    )
    return Path(folder)


def _python_paths():
    """Folders the kernel's Python needs to read: prefixes, the import path, and
    this package (the hidden tests import it; an editable install may live in
    the course folder itself)."""
    import nmf_course
    import nmf_helpers

    packages = {Path(module.__file__).resolve().parent for module in (nmf_helpers, nmf_course)}
    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix), *packages}
    paths.update(Path(p) for p in sys.path if p and Path(p).exists())
    paths.update(Path(p) for p in site.getsitepackages())
    return {p.resolve() for p in paths}


def bwrap_command(cwd, connection_file, course, data=None, kernel=None):
    """The bwrap argv that runs ``kernel`` (default: ipykernel) with the rules above."""
    cwd, course = Path(cwd).resolve(), Path(course).resolve()
    runtime = Path(connection_file).resolve().parent
    if course not in cwd.parents:
        raise ValueError(f"the kernel's folder {cwd} is not inside the course {course}")
    if (
        runtime in (Path("/"), Path("/tmp"), Path.home().resolve())
        or runtime == course
        or runtime in course.parents
    ):
        raise ValueError(
            f"the kernel's connection file is in {runtime}, which is not private to this hand-in; "
            "the grader sets TMPDIR and JUPYTER_RUNTIME_DIR to a folder of its own."
        )
    home = Path.home().resolve()
    command = [
        bwrap_path() or "bwrap",
        "--die-with-parent", "--new-session",
        "--unshare-net", "--unshare-ipc", "--unshare-uts",  # not pid: ipykernel watches its parent
        "--ro-bind", "/", "/",
        "--dev", "/dev", "--proc", "/proc",
        "--tmpfs", "/tmp",
    ]  # fmt: skip
    hidden = [course]
    if home != Path("/") and home not in course.parents:
        hidden.append(home)
    for folder in hidden:
        command += ["--tmpfs", str(folder)]
    # What the kernel may read again inside the hidden folders: Python and the data.
    # (Never a hidden folder itself or one above it: that would show it all again.)
    readable = [
        p
        for p in sorted(_python_paths())
        if any(h in p.parents for h in hidden) and not any(p == h or p in h.parents for h in hidden)
    ]
    if data:
        readable.append(Path(data).resolve())
    for path in readable:
        if path.exists() and cwd != path and path not in cwd.parents:
            command += ["--ro-bind", str(path), str(path)]
    command += ["--bind", str(runtime), str(runtime)]  # private to this submission (set by the grader)
    command += ["--bind", str(cwd), str(cwd), "--chdir", str(cwd)]
    for folder in hidden:  # the empty stand-ins cannot be written either (the binds inside stay as they are)
        command += ["--remount-ro", str(folder)]
    # A private, throw-away home: IPython's profile and matplotlib's cache go to /tmp.
    command += ["--setenv", "HOME", "/tmp", "--setenv", "MPLCONFIGDIR", "/tmp/matplotlib"]
    command += ["--"] + (kernel or [sys.executable, "-m", "ipykernel_launcher", "-f", str(connection_file)])
    return command


def main(argv=None):
    """Kernel launcher: ``python sandbox.py CONNECTION_FILE``."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.exit("usage: python sandbox.py CONNECTION_FILE")
    course = os.environ.get(ENV_COURSE)
    if not course:
        sys.exit(f"{ENV_COURSE} is not set: the sandboxed kernel is started by `nmf-kit autograde`.")
    memory = int(os.environ.get(ENV_MEMORY, DEFAULT_MEMORY))
    command = bwrap_command(os.getcwd(), argv[0], course, os.environ.get("NMF_HELPERS_DATA"))
    # The limit is inherited by bwrap and the kernel: a huge allocation fails there.
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    if os.environ.get("NMF_KIT_SANDBOX_DEBUG"):
        print("sandbox:", command, file=sys.stderr, flush=True)
    os.execv(command[0], command)


if __name__ == "__main__":
    main()

"""Grade one hand-in in a throw-away course: what a worker does, here or on a cluster.

A :class:`~nmf_kit.grading.jobs.Job` (:mod:`nmf_kit.grading.jobs`) is plain data: the
hand-in's files, its seed and the course's grading bundle. :func:`grade` builds a
private course from it, runs ``nbgrader autograde`` there with the kernel in the
sandbox and the hidden checks decided outside it (:mod:`nmf_kit.grading.trusted`),
and returns an :class:`Outcome`: the executed notebook, the trusted verdicts and a
status. Nothing of the instructor's course folder is read or written here, so the
same function runs on a Dask worker with no shared file system; the course's own
gradebook and ``autograded/`` folder are written only by the coordinator
(:mod:`nmf_kit.grading.batch`), from the outcome.
"""

import contextlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import nbformat

from ..command import nbgrader_command, nbgrader_environment
from . import cgroups, sandbox
from .check_kernel import ENV_CHECK_KERNEL, ENV_CHECK_RUNTIME
from .jobs import MAX_HANDIN_BYTES, Outcome, write_tree
from .trusted import ENV_GRADER, ENV_SEED, ENV_VERDICTS

GiB = 2**30
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def grader_memory(workers=None):
    """Address space for the nbgrader process that grades one hand-in (it holds the notebook, its
    outputs and the checks' answers): a share of this machine's memory such that ``workers`` of
    them, beside their kernels, fit (None: one per core), between 2 and 16 GiB."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    share = total // (2 * max(1, workers or os.cpu_count() or 1))
    return int(min(16 * GiB, max(2 * GiB, share)))


_checked = {}  # sandbox self-test, once per process and settings
_checking = threading.Lock()  # the pool's threads wait for one self-test instead of racing it


def _sandbox_ready(settings, assignment, data_folder):
    key = json.dumps([settings, assignment, data_folder], sort_keys=True)
    with _checking:
        if key not in _checked:
            try:
                sandbox.self_test(sandbox.Sandbox(**settings), assignment=assignment, data_folder=data_folder)
                _checked[key] = ""
            except sandbox.SandboxUnavailable as exc:
                _checked[key] = str(exc)
        return _checked[key]


def _data_folder(options):
    if options.data_folder:
        return options.data_folder
    if os.environ.get("NMF_HELPERS_DATA"):
        return os.environ["NMF_HELPERS_DATA"]
    from nmf_helpers.data import find_movielens

    return str(find_movielens(download=False, allow_synthetic=False).parent)


def _unreadable(job):
    """Why a hand-in's notebooks cannot be graded at all (not notebook JSON), or ''."""
    for name in job.bundle.notebooks:
        data = job.files.get(Path(name).name)
        if data is None:
            continue  # nbgrader scores a missing notebook as zero itself
        try:
            nbformat.reads(data.decode("utf-8"), as_version=4)
        except Exception as exc:  # noqa: BLE001 - any parse error means the same
            return f"{Path(name).name} is not valid notebook JSON ({type(exc).__name__})"
    return ""


def grade(job):
    """Grade ``job`` in a private course; return its :class:`Outcome`. Never raises for a bad hand-in."""
    start = time.perf_counter()

    def outcome(status, reason="", **extra):
        return Outcome(job.student, status, time.perf_counter() - start, reason, **extra)

    size = sum(len(data) for data in job.files.values())
    if size > MAX_HANDIN_BYTES:
        return outcome(
            "failed", f"the hand-in holds {size // 2**20} MB, more than {MAX_HANDIN_BYTES // 2**20} MB"
        )
    unreadable = _unreadable(job)
    if unreadable:
        return outcome("failed", unreadable)
    settings = dict(job.options.sandbox)
    boxed = settings.get("tool", "bwrap") != "none"
    data_folder = _data_folder(job.options)
    problem = _sandbox_ready(settings, job.bundle.assignment, data_folder) if boxed else ""
    if problem:
        return outcome("error", problem)
    work = Path(tempfile.mkdtemp(prefix="nmf-kit-handin-"))
    os.chmod(work, 0o711)  # the sandbox's unprivileged user passes through to its stage; lists nothing
    group = cgroups.create(work.name, **_limits(settings)) if boxed else None
    if boxed and group is None and os.geteuid() == 0:
        shutil.rmtree(work, ignore_errors=True)
        return outcome("error", sandbox.NO_CGROUPS)
    try:
        course = _private_course(job, work)
        env = _environment(job.options, data_folder, job.seed, work)
        args = _sandbox(job, work, data_folder, settings, group, env) if boxed else []
        status = _run_nbgrader(
            course, job.bundle.assignment, job.student, args, env, job.options, work / "nbgrader.log"
        )
        log = _tail(work / "nbgrader.log")
        if status == "timeout":
            return outcome(
                "failed", f"grading took longer than {job.options.handin_timeout} s in all", log=log
            )
        executed = course / "autograded" / job.student / job.bundle.assignment
        notebooks = {p.name: p.read_text(encoding="utf-8") for p in sorted(executed.glob("*.ipynb"))}
        records = {
            p.stem: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((work / "verdicts").glob("*.json"))
        }
        failures = [(r["error"], r.get("detail", "")) for r in records.values() if r.get("error")]
        if status == 0 and notebooks and not failures and len(records) == len(notebooks):
            return outcome("graded", notebooks=notebooks, records=records, log=log)
        kind, reason = _reason(failures, group, status)
        return outcome(kind, reason, log=log)
    finally:
        if group is not None:
            group.remove()
        shutil.rmtree(work, ignore_errors=True)


def _limits(settings):
    config = sandbox.Sandbox(**settings)
    return {"memory": config.memory, "processes": config.processes}


def _private_course(job, work):
    """A course holding only what grading this hand-in needs: config, source, gradebook, submission."""
    course = work / "course"
    write_tree(
        course, {"nbgrader_config.py": job.bundle.config.encode(), "gradebook.db": job.bundle.gradebook}
    )
    write_tree(course / "source" / job.bundle.assignment, job.bundle.source)
    write_tree(course / "submitted" / job.student / job.bundle.assignment, job.files)
    for name, mode in (("runtime", 0o700), ("tmp", 0o700), ("verdicts", 0o755)):
        (work / name).mkdir(mode=mode)
    return course


def _sandbox(job, work, data_folder, settings, group, env):
    """Set ``env`` and return nbgrader's arguments for kernels in the sandbox."""
    runtime, check_runtime = work / "runtime", work / "check-runtime"
    check_runtime.mkdir(mode=0o700)
    threads = {name: str(job.options.threads) for name in THREAD_VARIABLES}
    folder = sandbox.spec(
        sandbox.Sandbox(**settings), assignment=job.bundle.assignment, data_folder=data_folder,
        folder=work / "sandbox", runtime=runtime, cgroups=group.folders if group else (), env=threads,
        files=[name for name in job.bundle.source if not name.endswith(".ipynb")],
        check_runtime=check_runtime,
    )  # fmt: skip
    env["JUPYTER_PATH"] = str(folder)
    env[ENV_CHECK_KERNEL], env[ENV_CHECK_RUNTIME] = sandbox.CHECK_KERNEL_NAME, str(check_runtime)
    return [
        f"--Execute.kernel_name={sandbox.KERNEL_NAME}",
        "--KernelManager.transport=ipc",
        f"--KernelManager.ip={runtime}/kernel-ipc",
        f"--KernelManager.connection_file={runtime}/kernel.json",
    ]


def _environment(options, data_folder, seed, work):
    """nbgrader's environment: the seed, the data, one BLAS thread per kernel, and its own
    temporary folders (the connection file and sockets apart from the grader's other files)."""
    env = nbgrader_environment(
        {ENV_GRADER: "1", ENV_SEED: str(int(seed)), "NMF_HELPERS_DATA": str(data_folder)}
    )
    env.update({name: str(options.threads) for name in THREAD_VARIABLES})
    env.update(
        JUPYTER_RUNTIME_DIR=str(work / "runtime"),
        TMPDIR=str(work / "tmp"),
        **{ENV_VERDICTS: str(work / "verdicts" / "{notebook}.json")},
    )
    return env


def _run_nbgrader(course, assignment, student, args, env, options, log_path):
    """Run ``nbgrader autograde`` for one student; its output goes to a file, never a pipe
    (a process that outlives it cannot hold the grader). Returns the exit status or "timeout"."""
    command = nbgrader_command(
        "autograde", assignment, "--student", student, "--force",
        f"--Execute.timeout={int(options.cell_timeout)}", *args,
        root=course, db_url=f"sqlite:///{course / 'gradebook.db'}",
    )  # fmt: skip

    runtime = env["JUPYTER_RUNTIME_DIR"]
    private = _private_runtime(runtime) if "--Execute.kernel_name=nmf-sandbox" in args else None
    memory = options.grader_memory or grader_memory()

    def limits():
        os.setsid()
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        if private:
            private()

    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=course, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, preexec_fn=limits)  # fmt: skip
        try:
            return process.wait(timeout=options.handin_timeout)
        except subprocess.TimeoutExpired:
            return "timeout"
        finally:
            with contextlib.suppress(ProcessLookupError):  # what is left of its process group
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _private_runtime(runtime, size="16m"):
    """A function that, run in nbgrader's process before it starts, gives it (and the kernels it
    starts) a mount namespace of its own with a size-bounded tmpfs on ``runtime``: the folder
    bound writable into the sandbox then cannot fill the grader's disk, and vanishes with
    nbgrader. Needs root or unprivileged user namespaces; without them the folder stays on disk."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    root, uid, gid = os.geteuid() == 0, os.getuid(), os.getgid()
    newns, newuser, private, rec, nosuid, nodev = 0x00020000, 0x10000000, 1 << 18, 16384, 2, 4

    def apply():  # after fork, before exec: no imports, no locks
        if libc.unshare(newns if root else newns | newuser) != 0:
            return
        if not root:  # map ourselves to ourselves in the new user namespace
            for name, text in (
                ("setgroups", "deny"),
                ("uid_map", f"{uid} {uid} 1"),
                ("gid_map", f"{gid} {gid} 1"),
            ):
                with open(f"/proc/self/{name}", "w") as handle:
                    handle.write(text)
        libc.mount(None, b"/", None, rec | private, None)
        libc.mount(
            b"nmf-kit-runtime", runtime.encode(), b"tmpfs", nosuid | nodev, f"size={size},mode=0700".encode()
        )

    return apply


def _tail(path, lines=40):
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def _reason(failures, group, status):
    """("failed" or "error", why) for a hand-in that was not graded, in the grader's own words:
    nothing a hand-in can write (its outputs, the kernel's log, nbgrader's log) is quoted.
    "failed" is the hand-in's doing for certain; "error" is decided by a control
    (:mod:`nmf_kit.grading.blame`): it is the grader's only if a known-good hand-in fails too."""
    for failure, _detail in failures:
        if failure == "DeadKernelError":
            if group is not None and group.out_of_memory():
                return "failed", "the notebook ran out of memory (its kernel was stopped at the limit)"
            return "failed", "the kernel died while running the notebook (e.g. os._exit or a crash)"
        if failure == "CellTimeoutError":  # a reply whose output never ended: a flood of output
            return "failed", "the notebook's output did not end after a cell finished (a flood of output?)"
        if failure == "KernelStartError":
            return "error", "the notebook's kernel did not start in the sandbox"
        if failure == "GraderError":
            return "error", "the grader's hidden checks stopped while running on this hand-in"
        return "error", f"the grader stopped on a {printable(failure)[:80]} while running the notebook"
    return "error", f"nbgrader ended (status {status}) without grading the notebook"


def printable(text):
    """``text`` without control characters or terminal escapes (a hand-in may write them)."""
    return re.sub(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*(\x07|\x1b\\)|[\x00-\x1f\x7f]", "", str(text))

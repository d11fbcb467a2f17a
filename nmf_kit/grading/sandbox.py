"""The grading sandbox: what a hand-in's kernel may see and use, and a self-test before grading.

Every hand-in's kernel runs under `bubblewrap <https://github.com/containers/bubblewrap>`_
(Debian/Ubuntu package ``bubblewrap``), started by
:mod:`nmf_kit.grading.kernel_launcher` from a spec this module writes:

- **no privilege**: its own user namespace (uid 1000 inside, no capabilities, no
  further user namespaces); when the grader runs as root, the kernel runs on the
  host as an unprivileged user (``c.Sandbox.user``, default ``nobody``);
- **its own processes**: a pid namespace (nothing of the grader or of other
  hand-ins is visible or signalable), no network, its own IPC and hostname; it
  dies with the grader, and every process it started dies with it;
- **only what it needs**: the system and the Python environment read-only, the
  data set read-only, a private scratch folder (a copy of the notebook folder's
  plain files) and ``/tmp``, both size-bounded; not the course, not the grader's
  home, not the reference solutions (the kit's packages are masked even where
  the environment has them), and nothing writable outside its scratch;
- **bounded**: with root, a cgroup per hand-in caps memory (``/tmp`` included) and
  processes; otherwise per-process limits (address space, processes of the
  sandbox's user namespace, file size). Wall time per hand-in is capped by the
  grader (``c.Grader.handin_timeout``).

Options are traitlets (``c.Sandbox.*`` in the course's ``nbgrader_config.py``).
"""

import json
import os
import pwd
import shutil
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

from traitlets import Enum, Integer, Unicode
from traitlets.config import Configurable

from ..errors import KitError

KERNEL_NAME = "nmf-sandbox"
CHECK_KERNEL_NAME = "nmf-check"  # where the hidden checks call the student's functions
# What the check kernel can import besides the standard library (with their requirements):
# the assignment's rule, "your functions may use numpy, scipy and pandas only" ...
CHECK_PACKAGES = ("numpy", "scipy", "pandas")
# ... and what an IPython kernel needs to run at all.
KERNEL_PACKAGES = ("ipykernel",)
INSTALL_HINT = (
    "install bubblewrap (`sudo apt-get install bubblewrap` on Debian/Ubuntu, "
    "`sudo dnf install bubblewrap` on "
    "Fedora), or grade without a sandbox (student code then runs with your rights) with "
    "`c.Sandbox.tool = 'none'` in nbgrader_config.py"
)
GiB, MiB = 2**30, 2**20
# Packages the kernel must not import: the reference solutions and the grader.
HIDDEN_PACKAGES = ("nmf_helpers", "nmf_kit", "nmf_course")
# System folders the kernel reads (when present); the rest of /etc is generated or left out.
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt/conda")
# Where the kernel finds the data set: always this path, wherever it lives on the host (a home
# folder's cache, /tmp, a shared disk), so that nothing around it becomes visible.
SANDBOX_DATA = "/srv/nmf-data"
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "fonts", "alternatives", "nsswitch.conf",
       "mime.types", "ssl", "ca-certificates", "timezone", "os-release")  # fmt: skip


NO_CGROUPS = (
    "grading as root bounds each hand-in's memory and processes with a cgroup, and none could be made "
    "here: mount the cgroup v1 `memory` and `pids` controllers or cgroup v2 with both enabled, or grade "
    "as an unprivileged user (limits per process only; see the README's threat model)"
)


class SandboxUnavailable(KitError):
    """The sandbox cannot run a kernel here: the cause and the fix, for the instructor."""


class Sandbox(Configurable):
    """How hand-ins' kernels are confined (``c.Sandbox.*``)."""

    tool = Enum(
        ["bwrap", "none"], "bwrap", help="'bwrap' (bubblewrap) or 'none' (no sandbox: a warning every run)"
    ).tag(config=True)
    memory = Integer(
        4 * GiB, min=256 * MiB, help="bytes of memory per hand-in, /tmp included (cgroup, as root)"
    ).tag(config=True)
    address_space = Integer(8 * GiB, min=512 * MiB, help="bytes of address space per process").tag(
        config=True
    )
    processes = Integer(256, min=16, help="processes and threads per hand-in").tag(config=True)
    tmp_size = Integer(512 * MiB, min=16 * MiB, help="bytes of the kernel's /tmp").tag(config=True)
    scratch_size = Integer(512 * MiB, min=16 * MiB, help="bytes of the kernel's working folder").tag(
        config=True
    )
    file_size = Integer(256 * MiB, min=MiB, help="largest file the kernel may write, in bytes").tag(
        config=True
    )
    user = Unicode("nobody", help="host user the kernel runs as when grading as root").tag(config=True)


def bwrap_path():
    return shutil.which("bwrap")


def _uid_gid(user):
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise SandboxUnavailable(
            f"c.Sandbox.user is {user!r}, which is not a user of this machine."
        ) from None
    if entry.pw_uid == 0:
        raise SandboxUnavailable("c.Sandbox.user must not be root.")
    return entry.pw_uid, entry.pw_gid


def _package_folders():
    import importlib.util

    folders = []
    for name in HIDDEN_PACKAGES:
        spec = importlib.util.find_spec(name)
        folders += [str(Path(p).resolve()) for p in (spec.submodule_search_locations or [])] if spec else []
    return folders


def _python_trees():
    """The folders the kernel's Python needs: its prefixes (the environment and the base install)."""
    return sorted(
        {str(Path(p).resolve()) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix) if Path(p).is_dir()}
    )


def _read_only(data_folder):
    """(host path, sandbox path) pairs to bind read-only, and the symlinks of a merged /usr."""
    binds, links = [], []
    for path in SYSTEM:
        if os.path.islink(path):
            links.append((path, os.readlink(path)))
        elif os.path.isdir(path):
            binds.append((path, path))
    binds += [(f"/etc/{name}", f"/etc/{name}") for name in ETC if os.path.exists(f"/etc/{name}")]
    for tree in _python_trees():
        if not any(tree == b or tree.startswith(b + "/") for b, _ in binds):
            binds.append((tree, tree))
    if data_folder:
        binds.append((str(dataset(data_folder)), f"{SANDBOX_DATA}/ml-100k"))
    return binds, links


def dataset(data_folder):
    """The extracted ``ml-100k`` folder that ``data_folder`` (a folder holding ``ml-100k/``, as
    ``NMF_HELPERS_DATA`` names it, or that folder itself) stands for, resolved."""
    from nmf_helpers.data import find_movielens

    folder = find_movielens(data_folder).resolve()
    if (folder / "u.data").is_file():
        return folder
    raise SandboxUnavailable(
        f"the data folder {data_folder} holds no extracted ml-100k/ (with u.data): point "
        "NMF_HELPERS_DATA at the folder that contains ml-100k/, or run `nmf-kit data` once online."
    )


def spec(
    sandbox, *, assignment, data_folder, folder, runtime, cgroups=(), env=None, files=(), check_runtime=None
):
    """Write the launcher's spec and the kernelspec into ``folder``; return ``folder``
    (to be put on ``JUPYTER_PATH``). ``folder`` and ``runtime`` (where jupyter_client puts
    the connection file and the kernel its sockets) must be private to one hand-in; ``files``
    (relative paths) are the notebook folder's files the kernel gets a copy of. With
    ``check_runtime`` (another private folder), also the check kernel's spec
    (:data:`CHECK_KERNEL_NAME`)."""
    folder = Path(folder)
    bwrap = bwrap_path()
    if bwrap is None:
        raise SandboxUnavailable(f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}.")
    binds, links = _read_only(data_folder)
    trees = [b for b, _ in binds]
    masked = [p for p in _package_folders() if any(p.startswith(t + "/") for t in trees)]
    root = os.geteuid() == 0
    stage = folder / "stage"
    stage.mkdir(parents=True, exist_ok=True)
    if root:
        os.chmod(folder, 0o711)  # the unprivileged sandbox user passes through, sees nothing
        os.chmod(stage, 0o711)
    environment = {"NBGRADER_EXECUTION": "autograde", **(env or {})}
    if data_folder:
        environment["NMF_HELPERS_DATA"] = SANDBOX_DATA
    document = {
        "bwrap": bwrap,
        "python": sys.executable,
        "assignment": assignment,
        "read_only": binds,
        "symlinks": links,
        "mask": masked,
        "stage": str(stage),
        "runtime": str(runtime),
        "drop_to": list(_uid_gid(sandbox.user)) if root else None,
        "cgroups": [str(c) for c in cgroups],
        "log": str(folder / "kernel.log"),
        "path": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "env": environment,
        "etc": {
            "passwd": "student:x:1000:1000:student:/home/student:/usr/sbin/nologin\n",
            "group": "student:x:1000:\n",
            "hosts": "127.0.0.1 localhost grading\n::1 localhost\n",
        },
        "address_space": sandbox.address_space,
        "nproc": None if cgroups else sandbox.processes,
        "tmp_bytes": sandbox.tmp_size,
        "scratch_bytes": sandbox.scratch_size,
        "file_bytes": sandbox.file_size,
        "files_bytes": 64 * MiB,
        "files": sorted(files),
    }
    _kernelspec(folder, KERNEL_NAME, "Python 3 (grading sandbox)", document, "sandbox.json")
    if check_runtime is not None:
        # The check kernel: the same sandbox, its own sockets' folder (the student's kernel can
        # write into its own, never into this one), and every site-packages folder sealed but
        # for the allowed packages, so that a library NMF cannot be imported whatever the code.
        sealed, allowed = allowed_packages(trees)
        check = {**document, "runtime": str(check_runtime), "log": str(folder / "check-kernel.log"),
                 "seal": sealed, "allow": allowed}  # fmt: skip
        _kernelspec(folder, CHECK_KERNEL_NAME, "Python 3 (grading checks)", check, "check.json")
    return folder


def _kernelspec(folder, name, title, document, spec_name):
    (folder / spec_name).write_text(json.dumps(document, indent=1), encoding="utf-8")
    kernel = folder / "kernels" / name
    kernel.mkdir(parents=True, exist_ok=True)
    (kernel / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-s", "-m", "nmf_kit.grading.kernel_launcher", "{connection_file}"],
                "display_name": title,
                "language": "python",
                "env": {"NMF_KIT_SANDBOX": str(folder / spec_name)},
                "interrupt_mode": "message",  # bwrap does not pass signals on
            },
            indent=1,
        ),
        encoding="utf-8",
    )


def _site_folders(trees):
    """Every folder of installed packages under the folders the kernel reads."""
    found = set()
    for tree in trees:
        for pattern in ("lib/python3*/site-packages", "lib/python3*/dist-packages",
                        "local/lib/python3*/dist-packages", "local/lib/python3*/site-packages"):  # fmt: skip
            found.update(str(p.resolve()) for p in Path(tree).glob(pattern) if p.is_dir())
    return sorted(found)


def _distributions(names):
    """The installed distributions ``names`` need, with everything they require (no extras)."""
    from importlib.metadata import PackageNotFoundError, distribution

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    found, todo = {}, list(names)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in found:
            continue
        try:
            found[name] = dist = distribution(name)
        except PackageNotFoundError:
            continue
        for text in dist.requires or ():
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return found


def allowed_packages(trees):
    """(sealed site folders, [(host path, path inside)] to put back): what the check kernel can import.

    The check kernel sees the standard library, :data:`CHECK_PACKAGES` and what the kernel
    itself needs (:data:`KERNEL_PACKAGES`, with their requirements), nothing else installed.
    """
    sealed = _site_folders(trees)
    allowed = set()
    for dist in _distributions((*KERNEL_PACKAGES, *CHECK_PACKAGES)).values():
        base = Path(dist.locate_file("")).resolve()
        site = next((s for s in sealed if str(base) == s), None)
        if site is None:
            continue
        for file in dist.files or ():
            top = file.parts[0] if file.parts else ""
            if top and top not in ("..", "__pycache__") and not top.endswith(".pth"):
                allowed.add(str(base / top))
    pairs = sorted((path, path) for path in allowed if os.path.exists(path))
    return sealed, pairs


def kernel_log(folder, lines=12, name="kernel.log"):
    """The last lines the sandbox (bwrap) and the kernel wrote outside the notebook."""
    path = Path(folder) / name
    if not path.is_file():
        return ""
    with open(path, "rb") as handle:
        handle.seek(max(0, path.stat().st_size - 20_000))
        text = handle.read().decode("utf-8", "replace")
    return "\n".join(text.strip().splitlines()[-lines:])


_PROBE = textwrap.dedent(
    """
    import importlib.util, json, os, socket
    def importable(name):
        try:
            return importlib.util.find_spec(name) is not None
        except ImportError:
            return False
    pids = [p for p in os.listdir("/proc") if p.isdigit()]
    report = {"uid": os.getuid(), "cwd": os.getcwd(), "pids": len(pids)}
    report["caps"] = open("/proc/self/status").read().split("CapEff:")[1].split()[0]
    report["imports"] = {m: importable(m) for m in ("numpy", "pandas", "sklearn", "matplotlib")}
    report["reference"] = [m for m in %(hidden)r if importable(m + ".nmf") or importable(m + ".grading")]
    report["visible"] = [p for p in %(secret)r if os.path.exists(p)]
    data = os.environ.get("NMF_HELPERS_DATA")
    report["data"] = bool(data) and os.access(os.path.join(data, "ml-100k", "u.data"), os.R_OK)
    try:
        socket.create_connection(("1.1.1.1", 53), timeout=2)
        report["network"] = True
    except OSError:
        report["network"] = False
    open("probe.txt", "w").write("ok")
    print(json.dumps(report))
    """
)


# What the check kernel must and must not import (a library NMF, the plotting stack, the kit).
_NOT_FOR_CHECKS = (
    "sklearn",
    "matplotlib",
    "nmf_helpers",
    "nmf_kit",
    "nmf_course",
    "nbgrader",
    "threadpoolctl",
)
_CHECK_PROBE = textwrap.dedent(
    f"""
    import importlib.util, json
    def importable(name):
        try:
            return importlib.util.find_spec(name) is not None
        except ImportError:
            return False
    print(json.dumps({{m: importable(m) for m in {(*CHECK_PACKAGES, *_NOT_FOR_CHECKS)!r}}}))
    """
)


def _probe(folder, kernel_name, runtime, work, code, timeout):
    """Start ``kernel_name`` of the spec in ``folder``, run ``code``, return its last printed line."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    manager = KernelManager(
        kernel_name=kernel_name,
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(folder / "kernels")]),
        transport="ipc",
        ip=str(runtime / "kernel-ipc"),
        connection_file=str(runtime / "kernel.json"),
    )
    printed = []
    try:
        manager.start_kernel(cwd=str(work))
        client = manager.client()
        client.start_channels()
        client.wait_for_ready(timeout=timeout)
        reply = client.execute_interactive(
            code, timeout=timeout, output_hook=lambda m: printed.append(m["content"].get("text", ""))
        )
        client.stop_channels()
    except Exception as exc:  # noqa: BLE001 - whatever it is, the sandbox did not start a kernel
        log = kernel_log(
            folder, name="check-kernel.log" if kernel_name == CHECK_KERNEL_NAME else "kernel.log"
        )
        raise SandboxUnavailable(_diagnosis(log, exc)) from None
    finally:
        if manager.has_kernel:
            manager.shutdown_kernel(now=True)
    if reply["content"]["status"] != "ok":
        raise SandboxUnavailable(
            f"the sandbox's kernel could not run the probe: {reply['content'].get('evalue')}"
        )
    return json.loads("".join(printed).strip().splitlines()[-1])


def self_test(sandbox, *, assignment, data_folder, secret_paths=(), timeout=90):
    """Start a kernel and a check kernel in the sandbox and check the boundary before grading anything.

    Raises :class:`SandboxUnavailable` with the cause and the fix; returns the probe's report.
    """
    from . import cgroups

    group = None
    if os.geteuid() == 0:
        # Unique per call: two threads of one grader testing at once must not share (and then
        # remove, killing the other's kernel) one group.
        name = f"selftest-{os.getpid()}-{threading.get_ident()}-{time.monotonic_ns()}"
        group = cgroups.create(name, memory=sandbox.memory, processes=sandbox.processes)
        if group is None:
            raise SandboxUnavailable(NO_CGROUPS)
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="nmf-kit-selftest-") as tmp:
            tmp = Path(tmp)
            folder, work, runtime, checks = tmp / "sandbox", tmp / "work", tmp / "runtime", tmp / "checks"
            for path in (folder, work, runtime, checks):
                path.mkdir()
            os.chmod(tmp, 0o711)
            spec(sandbox, assignment=assignment, data_folder=data_folder, folder=folder, runtime=runtime,
                 cgroups=group.folders if group else (), check_runtime=checks)  # fmt: skip
            # The data set is seen at SANDBOX_DATA only, never where it lives on the host.
            # (unless it lies in the system or Python folders the kernel reads anyway)
            shared = [b for b, _ in _read_only(None)[0]]
            data = [dataset(data_folder)] if data_folder else []
            secret = [
                *secret_paths,
                *(d for d in data if not any(str(d).startswith(b + "/") for b in shared)),
            ]
            probe = _PROBE % {"hidden": HIDDEN_PACKAGES, "secret": [str(p) for p in secret]}
            report = _probe(folder, KERNEL_NAME, runtime, work, probe, timeout)
            checked = _probe(folder, CHECK_KERNEL_NAME, checks, work, _CHECK_PROBE, timeout)
    finally:
        if group is not None:
            group.remove()
    problems = []
    missing = [m for m in CHECK_PACKAGES if not checked.get(m)]
    if missing:
        problems.append(f"the check kernel cannot import {', '.join(missing)}")
    extra = [m for m in _NOT_FOR_CHECKS if checked.get(m)]
    if extra:
        problems.append(f"the check kernel can import {', '.join(extra)}")
    if report["uid"] == 0 or int(report["caps"], 16) != 0:
        problems.append(f"the kernel has privileges (uid {report['uid']}, capabilities {report['caps']})")
    if report["network"]:
        problems.append("the kernel reached the network")
    if report["reference"]:
        problems.append(f"the kernel can import the reference solutions ({', '.join(report['reference'])})")
    if report["visible"]:
        problems.append(f"the kernel sees {', '.join(report['visible'])}")
    if not all(report["imports"].values()):
        missing = [m for m, ok in report["imports"].items() if not ok]
        problems.append(f"the kernel cannot import {', '.join(missing)}")
    if data_folder and not report["data"]:
        problems.append(f"the kernel cannot read the data set in {data_folder} (at {SANDBOX_DATA} inside)")
    if problems:
        raise SandboxUnavailable("the grading sandbox is not sound here: " + "; ".join(problems) + ".")
    report["seconds"] = time.perf_counter() - started
    return report


def _diagnosis(log, exc):
    """Cause and fix of a sandbox that did not start a kernel, from bwrap's own words."""
    text = "\n".join(filter(None, [log, f"{type(exc).__name__}: {exc}"]))
    fixes = []
    if "No such file or directory" in text and "execvp" in text:
        fixes.append("the kernel's Python is not visible inside the sandbox: report this with the log above")
    if (
        "Operation not permitted" in text
        or "setting up uid map" in text
        or "No permissions to create" in text
    ):
        fixes.append(
            "user namespaces are not available to the grader "
            "(check `sysctl kernel.unprivileged_userns_clone` "
            "and `user.max_user_namespaces`, or AppArmor's `kernel.apparmor_restrict_unprivileged_userns`)"
        )
    if "Permission denied" in text:
        fixes.append("a folder the kernel needs is not readable by the sandbox user (c.Sandbox.user)")
    fix = "; ".join(fixes) or f"see the log above, or {INSTALL_HINT}"
    return f"the grading sandbox could not start a kernel, so nothing was graded.\n{text}\nWhat to do: {fix}."

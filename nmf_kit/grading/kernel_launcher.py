"""Start a notebook's kernel inside the grading sandbox.

Usage: ``python -m nmf_kit.grading.kernel_launcher CONNECTION_FILE``.

jupyter_client starts this (the ``nmf-sandbox`` kernelspec) in the folder of the
notebook being graded, with ``NMF_KIT_SANDBOX`` naming the JSON spec the grader
wrote for this hand-in (see :mod:`nmf_kit.grading.sandbox`). It then:

1. joins the hand-in's cgroups (when the grader runs as root) and sets its
   resource limits, which bubblewrap and the kernel inherit;
2. as root, binds every folder the kernel must read into a private mount
   namespace under a stage folder, and drops to the sandbox's unprivileged
   host user (so that the kernel is that user, not root, on the host);
3. copies the plain files of the notebook's folder (never links, devices or
   fifos) into the kernel's private scratch folder, sends the kernel's stdout
   and stderr to a log file, and
4. replaces itself with ``bwrap``: new user (uid 1000, no capabilities), pid,
   network, IPC and UTS namespaces; the system and Python read-only, the data
   read-only, a size-bounded scratch folder and ``/tmp``; nothing else.

Standard library only: it runs once per kernel start.
"""

import ctypes
import json
import os
import resource
import stat
import sys
from pathlib import Path

SANDBOX_HOME = "/home/student"
SANDBOX_UID = 1000
_MS_RDONLY, _MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18
_CLONE_NEWNS = 0x00020000


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    return libc


def _mount(libc, source, target, flags):
    if libc.mount(source.encode() if source else None, target.encode(), None, flags, None) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {source} on {target}: {os.strerror(errno)}")


def plain_files(folder, limit_bytes):
    """Regular files under ``folder`` (relative paths), links and special files skipped, size-capped."""
    found, total = [], 0
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d)) and not d.startswith(".")]
        for name in sorted(files):
            path = os.path.join(root, name)
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode) or name.endswith(".ipynb"):
                continue
            total += info.st_size
            if total > limit_bytes:
                return found
            found.append(os.path.relpath(path, folder))
    return found


def _stage(spec, runtime, libc):
    """Root only: a private mount namespace where every source the sandbox binds is
    reachable by its unprivileged user (a Python under /root, a course under a home
    folder), under ``spec['stage']``. Returns {source: staged path}."""
    if libc.unshare(_CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    _mount(libc, None, "/", _MS_REC | _MS_PRIVATE)
    staged = {}
    sources = [(src, True) for src, _ in spec["read_only"]] + [(runtime, False)]
    for number, (source, read_only) in enumerate(dict.fromkeys(sources)):
        target = os.path.join(spec["stage"], str(number))
        if os.path.isdir(source):
            os.makedirs(target, exist_ok=True)
        else:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600))
        _mount(libc, source, target, _MS_BIND | _MS_REC)
        if read_only:
            _mount(libc, None, target, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_REC)
        staged[source] = target
    return staged


def _staged(path, staged):
    """Where ``path`` is reachable after staging: under the staged copy of a folder holding it."""
    holders = [s for s in staged if path == s or path.startswith(s.rstrip("/") + "/")]
    if not holders:
        return path
    source = max(holders, key=len)
    return staged[source] + path[len(source.rstrip("/")) :]


def bwrap_argv(spec, cwd, connection_file, staged, file_fds):
    """The bubblewrap command line for this kernel."""
    scratch = f"{SANDBOX_HOME}/{spec['assignment']}"
    argv = [
        spec["bwrap"],
        "--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--disable-userns",
        "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        "--hostname", "grading", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
        "--proc", "/proc", "--dev", "/dev", "--size", str(spec["tmp_bytes"]), "--tmpfs", "/dev/shm",
        "--dir", "/etc",
        # /tmp first: a Python or a data folder that lives under /tmp is bound into it below.
        "--size", str(spec["tmp_bytes"]), "--tmpfs", "/tmp",
    ]  # fmt: skip
    for source, target in spec["read_only"]:
        argv += ["--ro-bind", staged.get(source, source), target]
    for folder in spec["mask"]:  # packages the kernel must not import (the reference solutions)
        argv += ["--tmpfs", folder, "--remount-ro", folder]
    # The check kernel: every folder of installed packages emptied, the allowed ones put back.
    for folder in spec.get("seal", []):
        argv += ["--tmpfs", folder]
    for source, target in spec.get("allow", []):
        argv += ["--ro-bind", _staged(source, staged), target]
    for folder in spec.get("seal", []):
        argv += ["--remount-ro", folder]
    for link, target in spec["symlinks"]:
        argv += ["--symlink", target, link]
    argv += ["--size", str(spec["scratch_bytes"]), "--tmpfs", SANDBOX_HOME]
    argv += ["--dir", scratch]
    for relative, fd in file_fds:
        parent = os.path.dirname(relative)
        if parent:
            argv += ["--dir", f"{scratch}/{parent}"]
        argv += ["--perms", "0644", "--file", str(fd), f"{scratch}/{relative}"]
    for name, fd in spec.get("etc_fds", []):
        argv += ["--perms", "0644", "--file", str(fd), f"/etc/{name}"]
    runtime = os.path.dirname(os.path.abspath(connection_file))
    argv += ["--bind", staged.get(runtime, runtime), runtime]  # the connection file and the kernel's sockets
    # Only the scratch folder, /tmp, /dev/shm and the sockets' folder are writable.
    argv += ["--remount-ro", "/dev", "--remount-ro", "/"]
    argv += ["--chdir", scratch, "--clearenv"]
    environment = {
        "HOME": SANDBOX_HOME, "USER": "student", "LANG": "C.UTF-8", "PATH": spec["path"],
        "MPLCONFIGDIR": "/tmp/matplotlib", "PYTHONNOUSERSITE": "1", **spec["env"],
    }  # fmt: skip
    for name, value in environment.items():
        argv += ["--setenv", name, value]
    argv += ["--", spec["python"], "-s", "-m", "ipykernel_launcher", "-f", os.path.abspath(connection_file)]
    return argv


def _limits(spec):
    for name, value in (("RLIMIT_AS", spec["address_space"]), ("RLIMIT_FSIZE", spec["file_bytes"]),
                        ("RLIMIT_CORE", 0), ("RLIMIT_NOFILE", 1024)):  # fmt: skip
        limit = getattr(resource, name)
        hard = resource.getrlimit(limit)[1]
        if hard != resource.RLIM_INFINITY:  # never above what the grader itself may use
            value = min(value, hard)
        resource.setrlimit(limit, (value, value))
    if spec.get("nproc"):  # without a pids cgroup: processes of the sandbox's user namespace
        resource.setrlimit(resource.RLIMIT_NPROC, (spec["nproc"], spec["nproc"]))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or "NMF_KIT_SANDBOX" not in os.environ:
        sys.exit("usage: NMF_KIT_SANDBOX=spec.json python -m nmf_kit.grading.kernel_launcher CONNECTION_FILE")
    spec = json.loads(Path(os.environ["NMF_KIT_SANDBOX"]).read_text(encoding="utf-8"))
    connection_file, cwd = argv[0], os.getcwd()
    runtime = os.path.dirname(os.path.realpath(connection_file))
    if runtime != os.path.realpath(spec["runtime"]):
        # The sockets' folder is bound writable into the sandbox (and, as root, handed to its
        # user): it must be the hand-in's own, never a shared one such as /tmp.
        sys.exit(f"nmf-kit sandbox: the connection file {connection_file} is not in {spec['runtime']}")
    log = os.open(spec["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # nothing in the sandbox holds the grader's pipes
    os.dup2(log, 1)
    os.dup2(log, 2)
    for group in spec["cgroups"]:
        Path(group, "cgroup.procs").write_text(str(os.getpid()))
    fds = []
    given = set(spec.get("files", ()))  # the course's own files: a hand-in's extra files stay out
    for relative in plain_files(cwd, spec["files_bytes"]):
        if relative not in given:
            continue
        fd = os.open(os.path.join(cwd, relative), os.O_RDONLY | os.O_NOFOLLOW)
        if stat.S_ISREG(os.fstat(fd).st_mode):
            fds.append((relative, fd))
    etc = []
    for name, text in spec["etc"].items():
        read, write = os.pipe()
        os.write(write, text.encode())
        os.close(write)
        etc.append((name, read))
    spec["etc_fds"] = etc
    staged = {}
    if spec["drop_to"]:
        uid, gid = spec["drop_to"]
        os.chown(runtime, uid, gid)
        os.chown(connection_file, uid, gid)
        staged = _stage(spec, runtime, _libc())
    _limits(spec)
    if spec["drop_to"]:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    command = bwrap_argv(spec, cwd, connection_file, staged, fds)
    for _, fd in fds + etc:
        os.set_inheritable(fd, True)
    # bwrap stays pid 1 of the sandbox, where the kernel can read its command line and
    # environment: it gets its arguments through a pipe and no environment at all (the
    # grader's holds the hand-in's seed; the kernel's own is set by --setenv).
    split = command.index("--")
    options, kernel = command[1:split], command[split:]
    arguments = os.memfd_create("bwrap-args", 0)  # inheritable: no MFD_CLOEXEC
    os.write(arguments, b"\0".join(arg.encode() for arg in options) + b"\0")
    os.lseek(arguments, 0, os.SEEK_SET)
    if spec.get("debug") or os.environ.get("NMF_KIT_SANDBOX_DEBUG"):
        print("nmf-kit sandbox:", command, flush=True)
    os.execve(command[0], [command[0], "--args", str(arguments), *kernel], {})


if __name__ == "__main__":
    main()

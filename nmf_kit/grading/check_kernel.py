"""The check kernel: where the hidden checks of an implementation call the student's functions.

Delegation to a library NMF is decided by a boundary, not by reading code: the checks of
``update_h``, ``update_z`` and ``non_negative`` (those whose registry entry names the
functions they test, :class:`nmf_helpers.grading.Check` ``implements``) call them in a
second kernel of the hand-in, sandboxed like the notebook's own, in which only the
standard library, numpy, scipy and pandas can be imported
(:func:`nmf_kit.grading.sandbox.allowed_packages`). A function that reaches scikit-learn,
however it is written, raises there, and the check says why.

What the check kernel runs: every code cell the notebook ran before the test cell, except
the test cells, each top-level statement on its own (a statement that fails, such as
``import matplotlib.pyplot as plt`` or a plot, is skipped, so a correct hand-in with its own
helper functions and imports keeps its marks). Parsing that code happens inside the
sandboxed kernel, never in the grader.

Without the sandbox (``c.Sandbox.tool = "none"``) there is no check kernel: the checks call
the notebook's own kernel, and nothing stops a library NMF (the run warns about it).
"""

import os
import secrets
from pathlib import Path

from nmf_helpers.grading import _wire as wire
from nmf_helpers.grading.student import CheckFailed, Student, answer, request

ENV_CHECK_KERNEL = "NMF_KIT_CHECK_KERNEL"  # the check kernel's kernelspec name (set by the worker)
ENV_CHECK_RUNTIME = "NMF_KIT_CHECK_RUNTIME"  # its private sockets' folder
MAX_ANSWER_BYTES = 64 * 2**20  # what one batch of calls may send back; more is dropped while it streams
RULE = (
    "the hidden checks run your functions where only the standard library, numpy, scipy and pandas "
    "can be imported: implement the multiplicative updates yourself"
)
MISSING = ("ModuleNotFoundError", "ImportError", "NameError")  # errors the rule explains

# The wire module's own source runs in a fresh namespace and answers from the kernel's.
DRIVER = """\
def _nmf_kit_answer():
    import IPython.display
    namespace = {{"__name__": "nmf_kit_wire"}}
    exec(compile({source!r}, "<nmf-kit wire>", "exec"), namespace)
    namespace["serve"]({request!r}, get_ipython().user_ns, IPython.display.display)
_nmf_kit_answer()
del _nmf_kit_answer
"""
WIRE_SOURCE = Path(wire.__file__).read_text(encoding="utf-8")

# One cell of the notebook, statement by statement: what fails is skipped.
_RUN_CELL = """\
def _nmf_kit_run(source):
    import ast
    shell = get_ipython()
    try:
        tree = ast.parse(shell.transform_cell(source))
    except BaseException:
        return
    for node in tree.body:
        try:
            exec(compile(ast.Module([node], []), "<cell>", "exec"), shell.user_ns)
        except BaseException:
            pass
_nmf_kit_run({source!r})
del _nmf_kit_run
"""


def available():
    """Whether this grading run has a check kernel (the worker set it up in the sandbox)."""
    return bool(os.environ.get(ENV_CHECK_KERNEL) and os.environ.get(ENV_CHECK_RUNTIME))


class CheckKernel:
    """A hand-in's check kernel, started on first use and fed the notebook's cells as they run."""

    def __init__(self, cwd, timeout):
        self.cwd, self.timeout = cwd, timeout
        self.manager = self.client = None
        self.fed = 0  # how many of the notebook's cells it has run

    def _start(self):
        from jupyter_client.manager import KernelManager

        runtime = Path(os.environ[ENV_CHECK_RUNTIME])
        self.manager = KernelManager(
            kernel_name=os.environ[ENV_CHECK_KERNEL],
            transport="ipc",
            ip=str(runtime / "check-ipc"),
            connection_file=str(runtime / "check.json"),
        )
        self.manager.start_kernel(cwd=self.cwd)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=self.timeout)
        self.fed = 0

    def feed(self, cells):
        """Run the cells of ``cells`` (sources, in order) it has not run yet."""
        if self.manager is None or not self.manager.is_alive():
            self.shutdown()
            self._start()
        for source in cells[self.fed :]:
            self.execute(_RUN_CELL.format(source=source))
        self.fed = len(cells)

    def execute(self, code, keep=None):
        """Run ``code``; pass its display data to ``keep``. Returns the reply's content, or None
        when it did not finish in time (the kernel is then stopped: the next use starts another)."""
        budget = [MAX_ANSWER_BYTES]

        def output(message):
            if keep is None or message["msg_type"] != "display_data":
                return
            data = message["content"].get("data", {})
            if wire.MIME in data:
                size = len(str(data[wire.MIME]))
                if size <= budget[0]:
                    budget[0] -= size
                    keep(data[wire.MIME])

        try:
            reply = self.client.execute_interactive(
                code, timeout=self.timeout, store_history=False, allow_stdin=False, output_hook=output
            )
        except TimeoutError:
            self.shutdown()
            return None
        return reply["content"]

    def shutdown(self):
        if self.client is not None:
            self.client.stop_channels()
        if self.manager is not None and self.manager.has_kernel:
            self.manager.shutdown_kernel(now=True)
        self.manager = self.client = None


class CheckKernelStudent(Student):
    """The student's functions as the check kernel runs them."""

    def __init__(self, kernel, cells):
        self.kernel, self.cells = kernel, cells

    def run(self, calls):
        self.kernel.feed(self.cells)
        nonce = secrets.token_hex(12)
        messages = []
        reply = self.kernel.execute(
            DRIVER.format(source=WIRE_SOURCE, request=request(calls, nonce)), keep=messages.append
        )
        asked = ", ".join(dict.fromkeys(c.name for c in calls))
        if reply is None:
            raise CheckFailed(f"{asked} did not return within {self.kernel.timeout} s.")
        try:
            outcomes = answer(messages, nonce, len(calls))
        except wire.WireError as exc:
            raise CheckFailed(f"the grader got no readable answer when calling {asked} ({exc}).") from None
        for outcome in outcomes:
            # A NameError here is most often a name bound by an import the check kernel skipped
            # (``from sklearn.decomposition import NMF`` in the imports cell).
            if not outcome.ok and outcome.error.startswith(MISSING):
                outcome.error = f"{outcome.error} ({RULE})"
        return outcomes

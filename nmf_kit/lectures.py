"""Executing the lecture notebooks and rendering them to HTML for reading."""

import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from .errors import KitError
from .pages import html_exporter
from .progress import log as _log


def lecture_notebooks(folder):
    """The lecture notebooks in ``folder``, in their numbered order."""
    return sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))


def execute(path, timeout=900):
    """Run a notebook top to bottom in its own folder; return the executed copy.

    Raises nbclient's CellExecutionError (naming the cell) when a cell fails.
    """
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(Path(path).parent)}},
    )
    client.execute()
    return notebook


def render(folder, output, timeout=900, log=None):
    """Execute every lecture notebook of ``folder`` and write ``output/<name>.html``.

    The HTML shows its formulas with no network (:mod:`nmf_kit.pages`). The
    notebooks themselves are not modified (they stay committed without outputs).
    Progress goes to ``log`` (a callable given each line), else the ``nmf_kit`` logger.
    Returns ``{name: (html_path, seconds, executed_notebook)}``.
    """
    log = log or _log.info
    notebooks = lecture_notebooks(folder)
    if not notebooks:
        raise KitError(f"no lecture notebooks (NN_name.ipynb) in {folder}: pass --folder <their folder>.")
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    done = {}
    for path in notebooks:
        start = time.perf_counter()
        log(f"- executing {path.name} ...")
        executed = execute(path, timeout)
        html, _ = html_exporter().from_notebook_node(executed)
        target = output / (path.stem + ".html")
        target.write_text(html, encoding="utf-8")
        done[path.name] = (target, time.perf_counter() - start, executed)
        log(f"  wrote {target} ({done[path.name][1]:.1f} s)")
    return done

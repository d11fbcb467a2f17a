"""Hand in exercise 8: check the notebook, export nmf.html, write <student id>_ex08.zip.

Run it in a terminal, in the folder of the notebook, after saving it:

    python handin.py                 (asks for your student id)
    python handin.py --id s1234567

It checks that nmf.ipynb is a readable notebook that you have run, names every
question you have not answered yet, runs the notebook again on a fresh kernel
with nbgrader's validator (the visible tests), showing its progress, exports
nmf.html from your saved notebook and writes <student id>_ex08.zip holding
nmf.ipynb and nmf.html. When something is missing or failing it says what and
writes no zip (--allow-failures hands in anyway, e.g. an unfinished exercise
before the deadline). A zip of the same name already there is kept as
<student id>_ex08.previous.zip. The summary it prints is also written to
handin_summary.txt: read it there rather than in the small box of JupyterLab's
Validate button.

Options: --id ID, --skip-validation (no re-run; faster, less safe),
--allow-failures, --notebook PATH (default nmf.ipynb next to this file).
"""

import argparse
import os
import re
import shutil
import sys
import time
import zipfile
from pathlib import Path

ASSIGNMENT = "ex08"
NOTEBOOK = "nmf.ipynb"
SUMMARY = "handin_summary.txt"
# Letters, digits, '.', '-' and '_', starting with a letter or digit: a file name on every system.
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
PLACEHOLDERS = ("YOUR ANSWER HERE", "raise NotImplementedError()")
# Terminal colour codes (ipykernel colours its tracebacks): unreadable in handin_summary.txt.
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class HandInError(Exception):
    """Something the student has to fix before handing in."""


def read_notebook(path):
    """The notebook at ``path``, checked to be a valid notebook that was run."""
    import nbformat

    path = Path(path)
    if not path.is_file():
        raise HandInError(
            f"{path} does not exist. Run this in the folder of the exercise, next to {NOTEBOOK}."
        )
    try:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
    except Exception as exc:
        raise HandInError(
            f"{path} is not a valid notebook ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}). "
            "Re-download the exercise and copy your answers over."
        ) from exc
    code_cells = [c for c in notebook.cells if c.cell_type == "code" and c.source.strip()]
    if not any(c.get("execution_count") for c in code_cells):
        raise HandInError(
            f"{path.name} has not been run: Kernel -> Restart Kernel and Run All Cells, save, and try again."
        )
    return notebook


def check_student_id(student_id):
    """The student id, stripped, or HandInError saying what a valid one looks like."""
    student_id = (student_id or "").strip()
    if not STUDENT_ID.match(student_id):
        raise HandInError(
            f"{student_id!r} is not a valid student id: use the id of your university account, "
            "letters and digits (and '.', '-', '_'), e.g. s1234567."
        )
    return student_id


def ask_student_id(given, ask=input, interactive=None):
    """The student id from --id, else asked for in the terminal (``interactive``: None checks stdin)."""
    if given is not None:
        return check_student_id(given)
    if interactive is None:
        interactive = bool(sys.stdin) and sys.stdin.isatty()
    if not interactive:
        raise HandInError("no student id: run python handin.py --id <your student id>, e.g. --id s1234567.")
    return check_student_id(ask("Your student id (e.g. s1234567): "))


def _question(cells, index):
    """What the answer cell at ``index`` answers: the first line of the markdown cell before it."""
    for cell in reversed(cells[:index]):
        if cell.cell_type == "markdown" and cell.source.strip():
            first = cell.source.strip().splitlines()[0].lstrip("#").strip()
            return first if len(first) <= 100 else first[:97] + "..."
    return "(no question text)"


def unanswered(notebook):
    """The questions whose answer cells still hold the placeholder, as text lines."""
    missing = []
    for index, cell in enumerate(notebook.cells):
        nbgrader = cell.metadata.get("nbgrader", {})
        if nbgrader.get("solution") and any(p in cell.source for p in PLACEHOLDERS):
            points = nbgrader.get("points")
            worth = f", {points:g} point{'s' if points != 1 else ''}" if points else ""
            where = f"{nbgrader.get('grade_id', '?')}{worth}"
            missing.append(f"not answered yet ({where}): {_question(notebook.cells, index)}")
    return missing


def _progress(total, out=sys.stdout):
    """An nbclient hook printing "cell k of n" as the fresh kernel works through the notebook."""
    state = {"done": 0, "start": time.perf_counter()}

    def on_cell_complete(cell=None, cell_index=None, **kwargs):
        if cell is None or cell.cell_type != "code":
            return
        state["done"] += 1
        seconds = time.perf_counter() - state["start"]
        end = "\n" if state["done"] >= total else ""
        out.write(f"\r  ran cell {state['done']} of {total} ({seconds:.0f} s)" + end)
        out.flush()

    return on_cell_complete


def validate(path, notebook=None, progress=True):
    """Run the notebook on a fresh kernel and return the failing tests as text lines.

    Unanswered questions are not among them (:func:`unanswered` names those).
    """
    from nbgrader.validator import Validator
    from traitlets.config import Config

    config = Config()
    if progress and notebook is not None:
        total = sum(1 for c in notebook.cells if c.cell_type == "code")
        config.Execute.on_cell_complete = _progress(total)  # nbgrader uses on_cell_executed itself
    results = Validator(config=config).validate(str(path))
    # nbgrader's results give a cell's source only: its grade_id comes from the notebook
    cells = (notebook or read_notebook(path)).cells
    grade_ids = {c.source.strip(): c.metadata.get("nbgrader", {}).get("grade_id") for c in cells}
    problems = []
    for key, what in (
        ("type_changed", "a graded cell changed its type"),
        ("changed", "a read-only cell was edited"),
    ):
        for cell in results.get(key, []):
            problems.append(f"{what}: {cell['source'].splitlines()[0][:80] if cell['source'] else '(empty)'}")
    for cell in results.get("failed", []):
        error = (cell.get("raw_error") or "").strip()
        if error == "You did not provide a response." or any(p in cell["source"] for p in PLACEHOLDERS):
            continue  # named by unanswered()
        lines = ANSI.sub("", error).splitlines()
        name = _test_name(cell["source"], grade_ids.get(cell["source"].strip()))
        problems.append(f"failing: {name}\n      {lines[-1][:200] if lines else ''}")
    return problems


def _test_name(source, grade_id=None):
    """A failing test cell as "grade_id: what it checks" (its docstring without the quotes)."""
    source = source.strip()
    first = source.splitlines()[0].strip() if source else "(empty cell)"
    for quotes in ('"""', "'''", '"', "'"):
        if first.startswith(quotes):
            first = first[len(quotes) :].removesuffix(quotes).strip()
            break
    first = first if len(first) <= 90 else first[:87] + "..."
    return f"{grade_id}: {first}" if grade_id else first


# nbconvert's lab template without the scripts it fetches from a CDN (MathJax, require.js,
# widgets, mermaid): the formulas are MathML already, which browsers draw with no script.
OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


def tex_to_mathml(tex, display=False):
    """MathML for the LaTeX formula ``tex`` (without ``$``), or None when it cannot be converted."""
    from latex2mathml.converter import convert

    try:
        return convert(tex.strip(), display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - the parser raises many kinds; the formula is shown as written
        return None


def _latex_output_as_html(data):
    """A MathML ``text/html`` version of a ``text/latex`` output holding one formula, or None."""
    tex = data.get("text/latex")
    if not isinstance(tex, str) or "text/html" in data:
        return None
    tex = tex.strip()
    for opening, closing, display in (("$$", "$$", True), ("\\[", "\\]", True), ("$", "$", False)):
        if tex.startswith(opening) and tex.endswith(closing) and len(tex) > len(opening) + len(closing):
            return tex_to_mathml(tex[len(opening) : -len(closing)], display)
    return None


def _offline_exporter():
    """An HTML exporter whose page shows its formulas with no network (MathML, no MathJax)."""
    from jinja2 import pass_context
    from nbconvert import HTMLExporter
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    class MathMLRenderer(IPythonRenderer):
        def _math(self, tex, display, source):
            mathml = tex_to_mathml(tex, display)
            if mathml is None:  # shown as written, marked for the reader
                return f'<code title="formula not rendered">{self.escape_html(source)}</code>'
            return mathml

        def block_math(self, body):
            return self._math(body, True, f"$${body}$$")

        def inline_math(self, body):
            return self._math(body, False, f"${body}$")

        def latex_environment(self, name, body):
            source = f"\\begin{{{name}}}{body}\\end{{{name}}}"
            return self._math(source, True, source)

    class OfflineHTMLExporter(HTMLExporter):
        @pass_context  # a Jinja filter that sees the cell being rendered (its attachments)
        def markdown2html(self, context, source):
            renderer = MathMLRenderer(
                escape=False,
                attachments=context.get("cell", {}).get("attachments", {}),
                embed_images=self.embed_images,
                path=context.get("resources", {}).get("metadata", {}).get("path", ""),
                anchor_link_text=self.anchor_link_text,
                exclude_anchor_links=self.exclude_anchor_links,
                **self.lexer_options,
            )
            return MarkdownWithMath(renderer=renderer).render(source)

    return OfflineHTMLExporter(template_name="lab", raw_template=OFFLINE_TEMPLATE)


def export_html(notebook, html_path):
    """Write the notebook, outputs as saved, to HTML that shows its formulas offline.

    The formulas become MathML (with latex2mathml, part of the course environment), so that
    an instructor opening the hand-in without network reads formulas, not LaTeX. Without
    latex2mathml the page loads MathJax from the network, as nbconvert's pages do.
    Returns whether the formulas were rendered.
    """
    import copy

    from nbconvert import HTMLExporter

    try:
        import latex2mathml  # noqa: F401
    except ImportError:
        body, _ = HTMLExporter().from_notebook_node(notebook)
        Path(html_path).write_text(body, encoding="utf-8")
        return False
    notebook = copy.deepcopy(notebook)
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            rendered = _latex_output_as_html(output.get("data", {}))
            if rendered is not None:
                output["data"]["text/html"] = rendered
    body, _ = _offline_exporter().from_notebook_node(notebook)
    Path(html_path).write_text(body, encoding="utf-8")
    return True


def write_zip(zip_path, files):
    """Write ``files`` (paths) flat into ``zip_path``; keep an existing zip as *.previous.zip."""
    zip_path = Path(zip_path)
    kept = None
    if zip_path.exists():
        kept = zip_path.with_name(zip_path.stem + ".previous.zip")
        shutil.move(zip_path, kept)
    partial = zip_path.with_name(zip_path.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            archive.write(file, arcname=Path(file).name)
    os.replace(partial, zip_path)
    return kept


class _Summary:
    """Prints lines as they come and writes them all to handin_summary.txt at the end."""

    def __init__(self, path):
        self.path, self.lines = Path(path), []

    def __call__(self, line="", error=False):
        line = ANSI.sub("", line)
        print(line, file=sys.stderr if error else sys.stdout, flush=True)
        self.lines.append(line)

    def write(self):
        stamp = time.strftime("%Y-%m-%d %H:%M")
        self.path.write_text(
            f"python handin.py, {stamp}\n\n" + "\n".join(self.lines) + "\n", encoding="utf-8"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Hand in exercise 8: validate, export nmf.html, write <student id>_ex08.zip."
    )
    parser.add_argument(
        "--id", dest="student_id", help="your student id, e.g. s1234567 (asked for if omitted)"
    )
    parser.add_argument("--notebook", default=str(Path(__file__).with_name(NOTEBOOK)))
    parser.add_argument("--skip-validation", action="store_true", help="do not re-run the notebook")
    parser.add_argument("--allow-failures", action="store_true", help="write the zip even if tests fail")
    args = parser.parse_args(argv)
    if os.environ.get("NBGRADER_EXECUTION"):
        return 0  # run from inside a notebook being graded or validated: nothing to hand in

    notebook_path = Path(args.notebook).resolve()
    folder = notebook_path.parent
    say = _Summary(folder / SUMMARY)
    try:
        try:
            student_id = ask_student_id(args.student_id)
            notebook = read_notebook(notebook_path)
            problems = unanswered(notebook)
            if not args.skip_validation:
                say(f"Running {notebook_path.name} on a fresh kernel (this takes a minute or two) ...")
                problems += validate(notebook_path, notebook)
            if problems:
                say(f"{len(problems)} problem(s):")
                for problem in problems:
                    say(f"  - {problem}")
                if not args.allow_failures:
                    raise HandInError(
                        "fix them and run this again, or hand in as it is with --allow-failures."
                    )
                say("Handing in anyway (--allow-failures).")
            elif not args.skip_validation:
                say("All questions answered; all visible tests pass.")
            html_path = notebook_path.with_suffix(".html")
            if not export_html(notebook, html_path):
                say(
                    f"Note: {html_path.name} needs the network to show its formulas "
                    "(python -m pip install latex2mathml renders them offline)."
                )
            zip_name = f"{student_id}_{ASSIGNMENT}.zip"
            kept = write_zip(folder / zip_name, [notebook_path, html_path])
        except HandInError as exc:
            say(f"No zip written: {exc}", error=True)
            return 1
        say(f"Wrote {folder / zip_name} with {notebook_path.name} and {html_path.name}.")
        if kept:
            say(f"The previous {zip_name} is kept as {kept.name}.")
        say(f"Upload {zip_name}.")
        return 0
    finally:
        say.write()
        print(f"(This summary is also in {folder / SUMMARY}.)")


if __name__ == "__main__":
    sys.exit(main())

"""Hand in exercise 8: check the notebook, export nmf.html, write ex08.zip.

Run it in a terminal, in the folder of the notebook, after saving it:

    python handin.py

It checks that nmf.ipynb is a readable notebook that you have run, runs it
again on a fresh kernel with nbgrader's validator (the visible tests), exports
nmf.html from your saved notebook and writes ex08.zip holding nmf.ipynb and
nmf.html. When something is missing or failing it says what and writes no zip
(--allow-failures hands in anyway, e.g. an unfinished exercise before the
deadline). An ex08.zip already there is kept as ex08.previous.zip.

Options: --skip-validation (no re-run; faster, less safe), --allow-failures,
--notebook PATH (default nmf.ipynb next to this file).
"""

import argparse
import os
import shutil
import sys
import zipfile
from pathlib import Path

ASSIGNMENT = "ex08"
NOTEBOOK = "nmf.ipynb"


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


def validate(path):
    """Run the notebook on a fresh kernel and return the failing tests as text lines."""
    from nbgrader.validator import Validator

    results = Validator().validate(str(path))
    problems = []
    for key, what in (
        ("type_changed", "a graded cell changed its type"),
        ("changed", "a read-only cell was edited"),
    ):
        for cell in results.get(key, []):
            problems.append(f"{what}: {cell['source'].splitlines()[0][:80] if cell['source'] else '(empty)'}")
    for cell in results.get("failed", []):
        first = cell["source"].strip().splitlines()[0] if cell["source"].strip() else "(empty cell)"
        error = (cell.get("raw_error") or "").strip().splitlines()
        problems.append(f"failing: {first[:90]}\n      {error[-1][:200] if error else ''}")
    return problems


def export_html(notebook, html_path):
    """Write the notebook, outputs as saved, to HTML."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(notebook)
    Path(html_path).write_text(body, encoding="utf-8")


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


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Hand in exercise 8: validate, export nmf.html, write ex08.zip."
    )
    parser.add_argument("--notebook", default=str(Path(__file__).with_name(NOTEBOOK)))
    parser.add_argument("--skip-validation", action="store_true", help="do not re-run the notebook")
    parser.add_argument("--allow-failures", action="store_true", help="write the zip even if tests fail")
    args = parser.parse_args(argv)
    if os.environ.get("NBGRADER_EXECUTION"):
        return 0  # run from inside a notebook being graded or validated: nothing to hand in

    notebook_path = Path(args.notebook).resolve()
    folder = notebook_path.parent
    try:
        notebook = read_notebook(notebook_path)
        if not args.skip_validation:
            print(f"Running {notebook_path.name} on a fresh kernel (this takes a minute) ...", flush=True)
            problems = validate(notebook_path)
            if problems:
                print(f"{len(problems)} problem(s):", *(f"  - {p}" for p in problems), sep="\n")
                if not args.allow_failures:
                    raise HandInError(
                        "fix them and run this again, or hand in as it is with --allow-failures."
                    )
                print("Handing in anyway (--allow-failures).")
            else:
                print("All visible tests pass.")
        html_path = notebook_path.with_suffix(".html")
        export_html(notebook, html_path)
        kept = write_zip(folder / f"{ASSIGNMENT}.zip", [notebook_path, html_path])
    except HandInError as exc:
        print(f"No zip written: {exc}", file=sys.stderr)
        return 1
    print(f"Wrote {folder / (ASSIGNMENT + '.zip')} with {notebook_path.name} and {html_path.name}.")
    if kept:
        print(f"The previous {ASSIGNMENT}.zip is kept as {kept.name}.")
    print(f"Upload it as <your student id>_{ASSIGNMENT}.zip.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The TAs' marking sheet (`nmf-kit marking-sheet`): every manual question, its points, its key."""

import re

import nbformat
import pytest
from conftest import ROOT

from nmf_kit.cli import main
from nmf_kit.errors import KitError
from nmf_kit.marking import manual_questions, marking_sheet

SOURCE = ROOT / "source" / "ex08" / "nmf.ipynb"
SECTION = re.compile(
    r"^## (\d+)\. `(\w+)` \((\d+(?:\.\d+)?) points?, (?:written answer|figure / code)\)$", re.M
)


def _manual_cells(notebook):
    return [
        c
        for c in notebook.cells
        if c.metadata.get("nbgrader", {}).get("grade") and c.metadata.get("nbgrader", {}).get("solution")
    ]


def test_sheet_lists_every_manual_cell_with_the_points_of_its_metadata():
    notebook = nbformat.read(SOURCE, as_version=4)
    expected = [
        (c.metadata.nbgrader["grade_id"], float(c.metadata.nbgrader["points"]))
        for c in _manual_cells(notebook)
    ]
    assert len(expected) == 7
    sheet = marking_sheet(SOURCE)
    listed = [(gid, float(points)) for _, gid, points in SECTION.findall(sheet)]
    assert listed == expected  # every manual cell, in the notebook's order, with its metadata's points
    total = sum(points for _, points in expected)
    assert f"| | **total** | | **{total:g}** |" in sheet
    assert sheet.startswith(f"# Marking sheet: ex08 ({total:g} points graded by hand)")
    for gid, _ in expected:
        assert f"| `{gid}` |" in sheet
        section = sheet.split(f"`{gid}` (")[1].split("\n## ")[0]
        assert "Model answer and marking" in section, gid  # the key
        assert "**What the students were asked:**" in section
    # what the TAs were missing: partial credit, no double credit, other fills
    assert "Partial credit: 0.5 points" in sheet.split("`own_ratings_answer` (")[1].split("\n## ")[0]
    assert "no double credit" in sheet.split("`digits_basis` (")[1].split("\n## ")[0]
    assert "**Other fills.**" in sheet.split("`genre_answer` (")[1].split("\n## ")[0]
    # a code answer's key is its rubric comment, not the reference solution
    figure = sheet.split("`genre_histograms` (")[1].split("\n## ")[0]
    assert "0.5 points for raw counts" in figure
    assert "def shares_of" not in sheet
    assert "BEGIN SOLUTION" not in sheet


def test_sheet_follows_the_metadata_not_the_text(tmp_path):
    notebook = nbformat.read(SOURCE, as_version=4)
    cell = next(c for c in _manual_cells(notebook) if c.metadata.nbgrader["grade_id"] == "prototypes_answer")
    cell.metadata.nbgrader["points"] = 3
    changed = tmp_path / "ex08" / "nmf.ipynb"
    changed.parent.mkdir()
    nbformat.write(notebook, changed)
    questions = {q["grade_id"]: q["points"] for q in manual_questions(nbformat.read(changed, as_version=4))}
    assert questions["prototypes_answer"] == 3
    assert "## 7. `prototypes_answer` (3 points, written answer)" in marking_sheet(changed)


def test_bad_sources_are_refused_with_what_to_do(tmp_path):
    with pytest.raises(
        KitError, match=r"no source notebook at .*: pass the assignment's source/<assignment>/nmf\.ipynb"
    ):
        marking_sheet(tmp_path / "missing.ipynb")
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    with pytest.raises(KitError, match="is not a readable notebook"):
        marking_sheet(broken)
    empty = tmp_path / "empty.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("hello")]), empty)
    with pytest.raises(KitError, match="has no manually graded cell"):
        marking_sheet(empty)


def test_cli_writes_the_sheet_of_a_course(tmp_path, capsys):
    from nmf_kit.course import new_course

    course = new_course(tmp_path / "course", ROOT)
    assert main(["marking-sheet", "--course", str(course)]) == 0
    page = course / "marking-sheet-ex08.md"
    assert (
        page.read_text(encoding="utf-8")
        == marking_sheet(course / "source" / "ex08" / "nmf.ipynb", "ex08") + "\n"
    )
    output = tmp_path / "sheets" / "ex08.md"
    assert main(["marking-sheet", "--course", str(course), "--output", str(output)]) == 0
    assert output.read_text(encoding="utf-8") == page.read_text(encoding="utf-8")
    assert main(["marking-sheet", "--course", str(course), "--assignment", "ex99"]) != 0
    assert "no assignment 'ex99'" in capsys.readouterr().err

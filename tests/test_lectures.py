"""The lecture notebooks run top to bottom, teach what they claim, and are committed clean."""

import re

import nbformat
import pytest
from conftest import ROOT

from nmf_kit.lectures import render

NOTEBOOKS = ROOT / "notebooks"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def executed(data_env, tmp_path_factory):
    """Every lecture notebook executed once, and rendered to HTML."""
    import os

    saved = os.environ.get("NMF_HELPERS_DATA")
    os.environ.update(data_env)
    try:
        rendered = render(NOTEBOOKS, tmp_path_factory.mktemp("html"), log=lambda line: None)
        return {name: notebook for name, (_, _, notebook) in rendered.items()}, rendered
    finally:
        if saved is None:
            os.environ.pop("NMF_HELPERS_DATA", None)
        else:
            os.environ["NMF_HELPERS_DATA"] = saved


def _outputs(notebook):
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            yield cell, output


def test_three_notebooks_render_to_html(executed):
    notebooks, rendered = executed
    assert sorted(notebooks) == [
        "01_reading_w_and_h.ipynb",
        "02_zero_filling_vs_masking.ipynb",
        "03_new_user.ipynb",
    ]
    for name, (html, _, _) in rendered.items():
        text = html.read_text(encoding="utf-8")
        assert "data:image/png;base64" in text, name
    for name, notebook in notebooks.items():
        errors = [o for _, o in _outputs(notebook) if o.output_type == "error"]
        assert not errors, (name, errors)


def _table(notebook, tag):
    """{row name: {column: value}} from the text of a DataFrame output (one line per row)."""
    cell = next(c for c in notebook.cells if tag in c.metadata.get("tags", []))
    lines = next(o["data"]["text/plain"] for o in cell.outputs if "data" in o).splitlines()
    columns = re.split(r"\s{2,}", lines[0].strip())
    table = {}
    for line in lines[1:]:
        name, *values = re.split(r"\s{2,}", line.strip())
        table[name] = dict(zip(columns, map(float, values), strict=False))
    return table


def test_zero_filling_is_worse_than_the_mean_and_masking_beats_biases(executed, movielens):
    table = _table(executed[0]["02_zero_filling_vs_masking.ipynb"], "results-table")
    mean = {name: row["mean"] for name, row in table.items()}
    assert mean["masked NMF + biases (nmf_helpers)"] < mean["user + movie biases"] < mean["global mean"]
    assert mean["NMF, movie-mean-filled"] < mean["NMF, zero-filled (Frobenius)"]
    if not movielens.synthetic:
        assert mean["NMF, zero-filled (Frobenius)"] > 2.5 > 2 * mean["global mean"]
        assert mean["masked NMF + biases (nmf_helpers)"] < 0.925


def test_committed_notebooks_are_clean():
    paths = [
        *NOTEBOOKS.glob("*.ipynb"),
        *(ROOT / "source").rglob("*.ipynb"),
        *(ROOT / "release").rglob("*.ipynb"),
    ]
    assert len(paths) >= 5
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, path

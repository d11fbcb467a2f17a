"""The lecture notebooks run top to bottom as students get them, teach what they claim, and are
committed clean.

Every lecture is executed in a kernel whose Python refuses to import the reference solutions
(``nmf_helpers``, ``nmf_kit``), from ``notebooks/`` (where ``nmf_course/`` sits), on the real
MovieLens-100k (when ``NMF_HELPERS_DATA`` gives it) and on the synthetic stand-in. The claims the
lectures' text makes about the real data are checked against the executed outputs.
"""

import ast
import itertools
import json
import os
import re
import subprocess
import sys

import nbformat
import numpy as np
import pytest
from conftest import ROOT
from nbclient import NotebookClient
from nbconvert import HTMLExporter

NOTEBOOKS = ROOT / "notebooks"
LECTURES = ("01_reading_w_and_h.ipynb", "02_zero_filling_vs_masking.ipynb", "03_new_user.ipynb")
BLOCKED = ("nmf_helpers", "nmf_kit")
# What a lecture may import: the course environment (environment.yml) and the course library.
ALLOWED_IMPORTS = {
    "inspect", "tempfile", "time", "warnings", "pathlib",
    "matplotlib", "numpy", "pandas", "scipy", "sklearn", "nmf_course",
}  # fmt: skip

SITECUSTOMIZE = f'''
"""Test kernel: the reference solutions cannot be imported, as on a student's machine."""
import sys


class _BlockReferenceSolutions:
    blocked = {BLOCKED!r}

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.blocked:
            message = f"No module named {{name!r}} (blocked: students do not get it)"
            raise ModuleNotFoundError(message, name=name)
        return None


sys.meta_path.insert(0, _BlockReferenceSolutions())
'''

# Appended to each lecture: what the kernel imported, and proof that the blocker was active.
PROBE = f"""
import json as _json
import sys as _sys

import nmf_course as _nmf_course

_blocked = {{}}
for _name in {BLOCKED!r}:
    try:
        __import__(_name)
        _blocked[_name] = False
    except ModuleNotFoundError:
        _blocked[_name] = True
print("PROBE " + _json.dumps({{
    "blocked": _blocked,
    "loaded": sorted(m for m in _sys.modules if m.split(".")[0] in {BLOCKED!r}),
    "nmf_course": _nmf_course.__file__,
}}))
"""


@pytest.fixture(scope="session")
def student_env(tmp_path_factory):
    """Environment variables for a kernel that cannot import nmf_helpers or nmf_kit."""
    folder = tmp_path_factory.mktemp("blocker")
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE)
    path = os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path}


def test_the_blocker_blocks_the_reference_solutions(student_env):
    for name in BLOCKED:
        result = subprocess.run(
            [sys.executable, "-c", f"import {name}"], env=student_env, capture_output=True, text=True
        )
        assert result.returncode != 0
        assert "blocked: students do not get it" in result.stderr
    ok = subprocess.run(
        [sys.executable, "-c", "import nmf_course, numpy, sklearn; print(nmf_course.__name__)"],
        env=student_env,
        capture_output=True,
        text=True,
        cwd=NOTEBOOKS,
    )
    assert ok.returncode == 0, ok.stderr
    # and without the blocker the same interpreter does import them: it is the blocker that refuses
    assert subprocess.run([sys.executable, "-c", "import nmf_helpers, nmf_kit"]).returncode == 0


def _execute(name, env, data_folder):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(PROBE))
    client = NotebookClient(
        notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute(env={**env, "NMF_HELPERS_DATA": str(data_folder)})
    probe = _printed(notebook.cells[-1])
    assert probe.startswith("PROBE "), probe
    notebook.cells.pop()
    return notebook, json.loads(probe[len("PROBE ") :])


def _executed_lectures(env, data_folder):
    return {name: _execute(name, env, data_folder) for name in LECTURES}


@pytest.fixture(scope="module")
def real(student_env, movielens, movielens_parent):
    if movielens.synthetic:
        pytest.skip("needs the real MovieLens-100k: set NMF_HELPERS_DATA (CI does)")
    return _executed_lectures(student_env, movielens_parent)


@pytest.fixture(scope="module")
def synthetic_run(student_env, synthetic):
    return _executed_lectures(student_env, synthetic.folder.parent)


def _printed(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


def _cell(notebook, tag):
    return next(c for c in notebook.cells if tag in c.metadata.get("tags", []))


def _table(notebook, tag):
    """{row name: {column: value}} from the text of a DataFrame output (one line per row)."""
    cell = _cell(notebook, tag)
    result = next(o for o in cell.outputs if o.output_type == "execute_result")
    lines = result["data"]["text/plain"].splitlines()
    columns = re.split(r"\s{2,}", lines[0].strip())
    table = {}
    for line in lines[1:]:
        name, *values = re.split(r"\s{2,}", line.strip())
        if values:  # not the line naming the index
            table[name] = dict(zip(columns[-len(values) :], values, strict=True))
    return table


def _markdown(notebook):
    return "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")


# ----------------------------------------------------------------------------- every run
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["real", "synthetic"])
def test_lectures_run_without_the_reference_solutions(kind, request, tmp_path):
    executed = request.getfixturevalue("real" if kind == "real" else "synthetic_run")
    assert sorted(executed) == sorted(LECTURES)
    for name, (notebook, probe) in executed.items():
        assert probe["blocked"] == dict.fromkeys(BLOCKED, True), (name, probe)
        assert probe["loaded"] == [], (name, probe)
        assert probe["nmf_course"].startswith(str(NOTEBOOKS / "nmf_course")), probe  # the shipped copy
        errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
        assert not errors, (name, errors)
        html, _ = HTMLExporter().from_notebook_node(notebook)
        assert "data:image/png;base64" in html, name


# ----------------------------------------------------------------------------- lecture 1
@pytest.mark.slow
def test_lecture_1_shows_a_unique_and_a_non_unique_factorisation(real):
    notebook, _ = real["01_reading_w_and_h.ipynb"]
    increase = float(re.search(r"largest increase between two iterations: (\S+)", _printed(
        _cell(notebook, "loss-curve"))).group(1))  # fmt: skip
    assert increase <= 1e-9  # the loss never increases
    spread_r = float(re.search(r"normalised H: (\S+)", _printed(_cell(notebook, "spread-R"))).group(1))
    assert spread_r < 1e-6  # R: the same factors from every start
    printed = _printed(_cell(notebook, "spread-P"))
    spread_p = float(re.search(r"between the runs' H: (\S+)", printed).group(1))
    worst_loss = float(re.search(r"every loss below (\S+);", printed).group(1))
    assert worst_loss < 1e-12  # every run fits P exactly ...
    assert spread_p > 0.1  # ... with other factors
    sheared = _printed(_cell(notebook, "sheared"))
    assert float(re.search(r"\|\|P - W1 H1\|\| = (\S+)", sheared).group(1)) < 1e-10
    assert "not unique" not in _markdown(notebook).split("## Is the factorisation unique?")[0]
    # the derivation: the multiplicative update is a gradient step, and G >= F (auxiliary function)
    printed = _printed(_cell(notebook, "auxiliary"))
    assert float(re.search(r"and the gradient step: (\S+)", printed)[1]) < 1e-12
    assert float(re.search(r"smallest (\S+) \(never negative\)", printed)[1]) >= 0
    before, after = (float(v) for v in re.search(r"before the update (\S+), after (\S+)", printed).groups())
    assert after < before


# ----------------------------------------------------------------------------- lecture 2
def _sweep_table(notebook):
    """{column group: [(train, validation) per sweep count]} and the sweep counts, from the output."""
    table = next(o for o in _cell(notebook, "sweep-curves").outputs if o.output_type == "execute_result")
    lines = table["data"]["text/plain"].splitlines()
    groups = re.split(r"\s{2,}", lines[0].strip())[1:]  # "model", then one label per (train, validation)
    rows = [[float(v) for v in line.split()] for line in lines[3:]]
    curves = {g: [(r[1 + 2 * k], r[2 + 2 * k]) for r in rows] for k, g in enumerate(groups)}
    return curves, [int(r[0]) for r in rows]


@pytest.mark.slow
def test_lecture_2_results_match_its_text(real):
    notebook, _ = real["02_zero_filling_vs_masking.ipynb"]
    text = _markdown(notebook)
    mean = {name: float(row["mean"]) for name, row in _table(notebook, "results-table").items()}
    assert mean["masked NMF + biases"] < mean["user + movie biases"] < mean["global mean"]
    assert mean["user + movie biases"] < mean["NMF, movie-mean-filled"] < mean["NMF, zero-filled"]
    assert "none beats the bias baseline" in text
    assert mean["NMF, zero-filled"] > 2 * mean["global mean"]
    # the assignment's own fit (fill 0, M = 20) gives scores, not ratings: the text quotes them
    flat = " ".join(text.split())
    printed = _printed(_cell(notebook, "score-scale"))
    scale = re.search(
        r"best unseen movie: median score (\S+), below 2 for (\d+)% of the users; their 20th: median (\S+),",
        printed,
    )
    assert 2.5 < float(scale[1]) < 3.2  # not "mostly below 2, even for a user's best"
    assert 10 <= int(scale[2]) <= 25
    assert f"median of {scale[1]}, and below 2 for only {scale[2]}% of the users" in flat
    assert f"the 20th recommendation scores a median of {scale[3]}." in flat
    assert "mostly below 2" not in flat
    # "a different loss does not cure it": KL on the same zeros predicts as badly
    kl = re.search(r"KL loss on the zero-filled u1 matrix: RMSE (\S+), median prediction (\S+)", printed)
    assert float(kl[1]) > 2 * mean["global mean"]
    assert float(kl[2]) < 1
    assert f"RMSE {float(kl[1]):.2f}, a median prediction of {kl[2]}" in flat
    # the grid: "more components help a little" at the best penalty; too little: "the smallest M is
    # then the best"; too much: "less than half of the gain over the biases alone is left"
    grid = {
        M: {float(l2): float(v) for l2, v in row.items()}
        for M, row in _table(notebook, "validation-grid").items()
    }
    strengths = sorted(next(iter(grid.values())))
    counts = sorted(grid, key=int)
    printed = _printed(_cell(notebook, "validation-grid"))
    chosen = re.search(r"M = (\d+), lambda = (\S+) \(validation RMSE (\S+)\); biases only: (\S+)", printed)
    best_l2, best, biases_only = float(chosen[2]), float(chosen[3]), float(chosen[4])
    assert best == min(v for row in grid.values() for v in row.values())
    at_best = [grid[M][best_l2] for M in counts]
    assert all(b < a for a, b in itertools.pairwise(at_best))
    assert min(counts, key=lambda M: grid[M][strengths[0]]) == counts[0]
    assert biases_only - min(grid[M][strengths[-1]] for M in counts) < (biases_only - best) / 2
    assert "the smallest $M$ is then the best" in text
    assert "less than half of the gain" in text
    # sweep curves: one fit "rises from the first sweep on" without regularisation; with it, "falls
    # and stays near its minimum"; the averaged fits "lie below the single fit at every length"
    curves, sweeps = _sweep_table(notebook)
    assert sweeps == [1, 2, 3, 5, 8, 12, 20, 30]
    assert list(curves) == [
        "lambda 0, 1 fit",
        f"lambda {best_l2:.3g}, 1 fit",
        f"lambda {best_l2:.3g}, 4 fits",
    ]
    unregularised, one, averaged = ([v for _, v in curve] for curve in curves.values())
    assert all(b > a for a, b in itertools.pairwise(unregularised))
    best = int(np.argmin(one))
    assert best > 0  # "falls for the first sweeps"
    assert max(one[best:]) - one[best] < 0.005  # "stays close to its minimum"
    assert "stays close to its minimum" in text
    assert one[-1] < unregularised[-1] - 0.1
    assert "rises from the first sweep on" in text
    assert all(a < o for a, o in zip(averaged, one, strict=True))
    assert "lie below the single fit at every length" in " ".join(text.split())
    after = re.search(
        r"after (\d+) sweeps: one fit (\S+), 4 fits averaged (\S+)", _printed(_cell(notebook, "sweep-curves"))
    )
    assert float(after[2]) - float(after[3]) > 0.003  # averaging helps by more than noise
    median = int(re.search(r"median (\d+)", _printed(_cell(notebook, "sweep-curves"))).group(1))
    assert f"median of about {median} ratings" in text
    # a lower RMSE is not a better top-10
    ranking = {
        name: {k: float(v) for k, v in row.items()} for name, row in _table(notebook, "ranking-table").items()
    }
    best = max(ranking, key=lambda name: ranking[name]["precision@10"])
    assert best.startswith("NMF, zero-filled")
    assert ranking["NMF, movie-mean-filled"]["median ratings of recommended"] <= 5
    filtered = ranking["NMF, movie-mean-filled, > 20 ratings"]["precision@10"]
    assert filtered > 5 * ranking["NMF, movie-mean-filled"]["precision@10"]
    # "well-rated films that fewer people have seen"
    median_seen = {name: row["median ratings of recommended"] for name, row in ranking.items()}
    assert median_seen["masked NMF + biases"] < median_seen["NMF, zero-filled"]
    # histograms as densities on common bins
    assert "density" in _markdown(notebook) or "densities" in _markdown(notebook)


def test_lecture_2_states_how_the_defaults_were_chosen_and_leaves_the_history_to_the_readme():
    """Lecture 2 says how the library's defaults were chosen, as the README does; the candidates
    tried (engineering, not teaching) are in the README's Performance section, not the lecture."""
    notebook = nbformat.read(NOTEBOOKS / "02_zero_filling_vs_masking.ipynb", as_version=4)
    text = _markdown(notebook)
    readme = (ROOT / "README.md").read_text()
    quoted = text.split("### How the library's defaults were chosen")[1].split("## The test set, once")[0]
    flat = " ".join(quoted.split())
    for fact in ("10%", "$\\lambda = 0.07$", "4 fits of 8 sweeps", "2.5", "validation_split", "README"):
        assert fact in flat, fact
    # every u*.test lies inside the other bases: "never scored while choosing", not "never used"
    assert "never *scored* while choosing" in flat
    assert "never used to choose anything" not in " ".join(text.split())
    assert "| masked NMF + biases |" not in text
    assert "old defaults" not in text
    history = readme.split("#### How the masked NMF's defaults were chosen")[1].split("\n## ")[0]
    for row in ("user + movie biases", "old defaults", "tuned defaults", "M = 50, `n_fits=8`"):
        line = next(line for line in readme.splitlines() if line.startswith("|") and row in line)
        mean_test = line.split("|")[3].strip().strip("*")
        assert re.fullmatch(r"0\.9\d{3}", mean_test), line
        assert mean_test in history, (row, mean_test)
    assert "never scored while choosing" in " ".join(history.split())


def test_notation_is_one_across_the_course():
    """M counts components everywhere (the mask is Omega), a bias penalty sums scalars' squares, and
    lecture 1's W is mapped once to the Z of the assignment and the other lectures."""
    texts = {name: _markdown(nbformat.read(NOTEBOOKS / name, as_version=4)) for name in LECTURES}
    source = nbformat.read(ROOT / "source" / "ex08" / "nmf.ipynb", as_version=4)
    texts["assignment"] = "\n".join(c.source for c in source.cells if c.cell_type == "markdown")
    for name, text in texts.items():
        assert not re.search(r"\bM \\odot|\\odot M\b|m_\{ui\}", text), name  # M is not a mask
        assert not re.search(r"\\\|b_[ui]\\\|", text), name  # b_u is a number: sum_u b_u^2
    lecture_1, lecture_2 = texts[LECTURES[0]], texts[LECTURES[1]]
    assert "call this $W$ **$Z$**" in lecture_1
    assert "Lecture 1 calls $Z$ $W$" in texts["assignment"]
    assert "\\Omega \\odot" in lecture_2
    assert "\\sum_u b_u^2 + \\sum_i b_i^2" in lecture_2
    # the derivation the assignment points to, and why another loss does not cure zero-filling
    assert "\\eta = \\frac{H}{W^\\top W H}" in lecture_1
    assert "*auxiliary function*" in lecture_1
    assert "Why the loss never increases" in texts["assignment"]
    assert "A different loss does not cure it" in lecture_2


# ----------------------------------------------------------------------------- lecture 3
@pytest.mark.slow
def test_lecture_3_conclusions_match_its_figures(real):
    notebook, _ = real["03_new_user.ipynb"]
    text = _markdown(notebook)
    # one factorisation, said so: its components are read below
    assert "MaskedNMF(n_rows=943, n_columns=919, n_components=30, biases=True)" in _printed(
        _cell(notebook, "fit")
    )
    assert "n_fits=1, num_iterations=50" in text
    recommendations = _table(notebook, "recommendations")
    titles = [row["movie title"] for row in recommendations.values()]
    assert len(titles) == len(set(titles)) == 10  # no film twice (duplicate titles merged)
    # "large parts go to ... the third Star Wars film, but the largest go to films a Star Wars fan
    # never asked for"
    personal = sorted(recommendations.values(), key=lambda r: -float(r["from components"]))[:3]
    assert "Return of the Jedi (1983)" in [r["movie title"] for r in personal]
    assert personal[0]["movie title"] != "Return of the Jedi (1983)"
    # "part of the list is what everybody gets"
    in_both = int(
        re.search(r"(\d+) of the 10 recommendations are also", _printed(_cell(notebook, "bias-share")))[1]
    )
    assert 2 <= in_both <= 8
    genres = {g: {k: float(v) for k, v in row.items()} for g, row in _table(notebook, "genre-table").items()}
    assert {"liked", "disliked", "recommended", "catalogue"} <= set(genres["Action"])
    flat = " ".join(text.split())
    for genre in ("Action", "Adventure"):  # "fall far"
        assert genres[genre]["recommended"] < genres[genre]["liked"] / 2
    # "Adventure to about its base rate, Action to about half of its base rate (a share of x against y)"
    assert 0.75 < genres["Adventure"]["recommended"] / genres["Adventure"]["catalogue"] < 1.33
    assert 0.4 < genres["Action"]["recommended"] / genres["Action"]["catalogue"] < 0.65
    action = genres["Action"]
    assert f"a share of {action['recommended']:.3f} against {action['catalogue']:.3f}" in flat
    assert genres["Action"]["liked"] + genres["Adventure"]["liked"] > 0.4  # "over two fifths"
    # "Animation and Comedy, a sixth of what the user liked, take their place with half of the list"
    for genre in ("Animation", "Comedy"):
        assert genres[genre]["recommended"] > genres[genre]["liked"]
    assert 0.15 < genres["Animation"]["liked"] + genres["Comedy"]["liked"] < 0.2
    assert 0.45 < genres["Animation"]["recommended"] + genres["Comedy"]["recommended"] < 0.55
    # "the acclaimed Aardman animations of the list"
    aardman = [
        r
        for r in recommendations.values()
        if re.search(r"Wallace|Wrong Trousers|Close Shave", r["movie title"])
    ]
    assert len(aardman) >= 2
    assert all(float(r["movie bias"]) > 0.5 for r in aardman)
    # "nor do the two disliked romances keep romance off the list: recommended above its base rate"
    assert genres["Romance"]["disliked"] > 0.3
    assert genres["Romance"]["recommended"] > genres["Romance"]["catalogue"]
    assert "do **not** follow the genres of the liked movies" in text
    # the strongest components are high on the films rated 5 and (near) zero on the romances
    contribution = next(o for o in _cell(notebook, "components").outputs if o.output_type == "execute_result")
    rows = [re.split(r"\s{2,}", line.strip()) for line in contribution["data"]["text/plain"].splitlines()[1:]]
    components = [(name, values) for name, *values in rows if name.startswith("component")]
    assert len(components) == 3
    for name, values in components:
        loved, romances = [float(v) for v in values[:2]], [float(v) for v in values[4:6]]
        assert min(loved) > 3 * max(romances) + 0.01, (name, values)
    # the fold-in is a unique, under-determined regression, not lecture 1's non-uniqueness
    assert "non-uniqueness of lecture 1 at work" not in flat
    assert "This is **not** the non-uniqueness of lecture 1" in flat
    assert "its solution is unique" in flat
    # when folding in works: 6 ratings against 30, and the zero-filled transform
    rmse = {n: {k: float(v) for k, v in row.items()} for n, row in _table(notebook, "fold-in-counts").items()}
    six, thirty = ({name: rmse[name][f"{n} ratings"] for name in rmse} for n in (6, 30))
    assert six["fold-in"] < six["everybody (mu + b_i)"] - 0.03  # "better than what everybody gets"
    assert abs(six["fold-in"] - six["user bias only (z = 0)"]) < 0.005  # "the bias alone does as well"
    assert thirty["fold-in"] < thirty["user bias only (z = 0)"] - 0.01  # "the components pay off"
    assert thirty["fold-in"] < six["fold-in"]
    for n, column in ((6, six), (30, thirty)):
        assert column["zero-filled transform"] > 2.5, n  # "about 2.8 whatever the number of ratings"
    assert abs(six["zero-filled transform"] - thirty["zero-filled transform"]) < 0.1
    for figures in (
        f"(RMSE {six['fold-in']:.3f} against {six['everybody (mu + b_i)']:.3f})",
        f"the bias alone does as well ({six['user bias only (z = 0)']:.3f})",
        f"({thirty['fold-in']:.3f} against {thirty['user bias only (z = 0)']:.3f} for the bias alone)",
        f"about {round(six['zero-filled transform'], 1)} whatever",
    ):
        assert figures in flat, figures
    printed = _printed(_cell(notebook, "fold-in-counts"))
    medians = re.findall(r"median value from (\d+) ratings (\S+?)[,\n]", printed)
    assert [n for n, _ in medians] == ["6", "30"]
    assert all(float(value) < 0.5 for _, value in medians)  # "scores near 0"
    assert f"a median of {medians[0][1]} from six ratings, {medians[1][1]} from 30" in flat


# ----------------------------------------------------------------------------- static
def test_lectures_import_only_the_course_environment():
    for name in LECTURES:
        notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type != "code":
                continue
            source = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    assert module.split(".")[0] in ALLOWED_IMPORTS, (name, module)
        assert "nmf_helpers" not in json.dumps(notebook), name
    for path in (NOTEBOOKS / "nmf_course").glob("*.py"):  # the shipped library imports no solutions
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert not any(n.split(".")[0] in BLOCKED for n in names), path


def test_legends_sit_beside_the_data():
    """No legend inside the axes, where it can cover the curve or bar the text talks about: every
    legend call in the lectures and in nmf_course.plots is placed outside (bbox_to_anchor)."""
    sources = {path.name: path.read_text() for path in [NOTEBOOKS / "nmf_course" / "plots.py"]}
    for name in LECTURES:
        notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
        sources[name] = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    calls = 0
    for name, text in sources.items():
        for node in ast.walk(ast.parse("\n".join(ln for ln in text.splitlines() if not ln.startswith("%")))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "legend":
                calls += 1
                keywords = {k.arg for k in node.keywords}
                placed = "bbox_to_anchor" in keywords or any(
                    k.arg is None and getattr(k.value, "id", "") == "OUTSIDE" for k in node.keywords
                )
                assert placed, (name, ast.unparse(node))
    assert calls >= 5
    from nmf_course.plots import OUTSIDE

    assert OUTSIDE["bbox_to_anchor"][0] > 1  # right of the axes


def test_committed_notebooks_are_clean():
    paths = [
        *NOTEBOOKS.glob("*.ipynb"),
        *(ROOT / "source").rglob("*.ipynb"),
        *(ROOT / "release").rglob("*.ipynb"),
    ]
    assert len(paths) >= 5
    from ipykernel.ipkernel import IPythonKernel

    # JupyterLab writes the kernel's language_info and kernelspec into a notebook it opens (and
    # then shows it as modified) unless they are equal already: ship them as the kernel gives them
    # (the Python patch version, which the kernel reports too, can only match one environment)
    language_info = {k: v for k, v in IPythonKernel.language_info.items() if k != "version"}
    kernelspec = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        shipped = dict(notebook.metadata["language_info"])
        assert shipped.pop("version").startswith("3.11."), path  # the course's Python (environment.yml)
        assert shipped == language_info, path
        assert notebook.metadata["kernelspec"] == kernelspec, path
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert not cell.outputs, path
                assert cell.execution_count is None, path

"""Pages built from a hand-in hold it as data (fast: no grading, no browser).

The sanitiser (``nmf_kit.pages.clean_fragment``) on each class of vector, and the three
kinds of page (the kit's export, the formgrader's submission page, the feedback) rendered by
their real templates from every hand-in of ``tests/hostile/pages/`` as handed in (its stored
outputs, metadata and attachments untouched): no active markup survives, and formulas and
figures still show. ``tests/test_browser.py`` loads the graded pages in Chromium.
"""

import copy
import json
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import nbformat
import pytest
from corpus import variants
from traitlets.config import Config

from nmf_kit.handins import fill_answers
from nmf_kit.pages import clean_fragment, filters_config, html_exporter, nbgrader_templates, template_basedirs

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "release" / "ex08" / "nmf.ipynb"
PAGES = variants(Path(__file__).parent / "hostile" / "pages")
CANARY = "http://127.0.0.1:9/nmf-canary"
PWN = "top.nmfpwned=1;fetch(atob(/aHR0cDovLzEyNy4wLjAuMTo5L25tZi1jYW5hcnkvanM=/.source))"  # as test_browser's
ACTIVE_TAGS = {
    "script", "iframe", "frame", "object", "embed", "base", "meta", "form", "input", "button", "link",
    "portal", "applet", "svg", "foreignobject", "annotation-xml", "maction", "video", "audio", "style",
    "textarea", "select", "template", "noscript",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcset", "xlink:href", "data", "ping", "poster",
                  "background", "srcdoc", "codebase", "dynsrc", "lowsrc"}  # fmt: skip


def fill(text):
    return text.replace("PWN", PWN).replace("CANARY", CANARY)


def hostile_notebook(module):
    """The release with the hand-in's answers and changes, placeholders filled in."""
    notebook = fill_answers(RELEASE, {k: fill(v) for k, v in module.ANSWERS.items()})
    if hasattr(module, "TRANSFORM"):
        notebook = module.TRANSFORM(notebook)
    return nbformat.reads(fill(nbformat.writes(notebook)), as_version=4)


class _Scan(HTMLParser):
    """Active markup in the part of a page that shows the notebook (after ``start``)."""

    def __init__(self, start_tag, nonce=None):
        super().__init__(convert_charrefs=True)
        self.start_tag, self.nonce, self.inside, self.found = start_tag, nonce, False, []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == self.start_tag:
            self.inside = True
        if not self.inside:
            return
        if tag == "script" and self.nonce and attributes.get("nonce") == self.nonce:
            return  # the formgrader's own set-up scripts, after the navigation bar
        if tag in ACTIVE_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attributes.items():
            value = (value or "").lower()
            if name.startswith("on") or name in ("srcdoc", "formaction", "ping", "srcset", "xlink:href"):
                self.found.append(f"<{tag} {name}>")
            image = tag == "img" and name == "src" and value.startswith("data:image/")
            if (
                name in URL_ATTRIBUTES
                and not value.startswith(("#", "https://", "http://", "mailto:"))
                and not image
            ):
                self.found.append(f"<{tag} {name}={value[:40]}>")
            loads = name in URL_ATTRIBUTES | {"style"} and not (tag == "a" and name == "href")
            if loads and ("nmf-canary" in value or "127.0.0.1:9" in value):
                self.found.append(f"<{tag} {name}> loads {value[:60]}")
            if name == "style" and any(s in value for s in ("url", "expression", "@import", "\\", "fixed")):
                self.found.append(f"<{tag} style={value[:40]}>")
            if tag in ("math", "mi", "mrow", "mtext", "mo", "mn") and name == "href":
                self.found.append(f"<{tag} href>")


def active_markup(page, start_tag="main", nonce=None, baseline=None):
    """Active markup in ``page`` after ``start_tag``, beyond what ``baseline`` (the same kind of
    page made from the untouched release: the template's own buttons, links, inputs) has."""
    scan = _Scan(start_tag, nonce)
    scan.feed(page)
    if baseline is None:
        return scan.found
    return sorted((Counter(scan.found) - Counter(active_markup(baseline, start_tag, nonce))).elements())


def formgrade_page(notebook):
    from nbconvert.exporters import HTMLExporter

    config = Config()
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = template_basedirs()
    config.HTMLExporter.filters = filters_config()
    resources = {
        "assignment_id": "ex08", "notebook_id": "nmf", "submission_id": "s1", "index": 0, "total": 1,
        "base_url": "", "student": "mal<b>\"'lory", "last_name": "O'Brien<script>PWN</script>",
        "first_name": "<img src=x onerror=PWN>", "notebook_path": "autograded/x\"><script>/nmf.ipynb",
    }  # fmt: skip
    page, resources = HTMLExporter(config=config).from_notebook_node(notebook, resources=resources)
    return page, resources["nmf_csp_nonce"]


def feedback_page(notebook):
    notebook = copy.deepcopy(notebook)
    for cell in notebook.cells:  # what nbgrader's GetGrades adds
        if "nbgrader" in cell.metadata:
            cell.metadata.nbgrader.setdefault("score", 0)
            cell.metadata.nbgrader.setdefault("points", cell.metadata.nbgrader.get("points", 0))
    config = Config()
    config.HTMLExporter.filters = filters_config()
    # what nbgrader's generate_feedback adds (bootstrap.min.css, inlined into the page)
    config.HTMLExporter.extra_template_paths = [
        str(nbgrader_templates().parent / "static/node_modules/bootstrap/dist/css")
    ]
    resources = {"nbgrader": {"notebook": "nmf<script>PWN</script>", "score": 0, "max_score": 20,
                              "late_penalty": 0}}  # fmt: skip
    page, _ = html_exporter(template_name="feedback", config=config).from_notebook_node(notebook, resources)
    return page


class _Untouched:
    ANSWERS: ClassVar[dict] = {}


@pytest.fixture(scope="module")
def rendered():
    pages = {}
    for name, module in [*PAGES.items(), ("untouched", _Untouched)]:
        notebook = hostile_notebook(module)
        export, _ = html_exporter().from_notebook_node(notebook)
        pages[name] = {
            "export": export,
            "formgrade": formgrade_page(notebook),
            "feedback": feedback_page(notebook),
        }
    return pages


@pytest.mark.parametrize("name", sorted(PAGES))
def test_no_active_markup_from_a_handin_in_any_page(rendered, name):
    pages, untouched = rendered[name], rendered["untouched"]
    assert active_markup(pages["export"], "main", baseline=untouched["export"]) == []
    (page, nonce), (baseline, base_nonce) = pages["formgrade"], untouched["formgrade"]
    assert active_markup(page, "body", nonce, baseline.replace(base_nonce, nonce)) == []
    assert active_markup(pages["feedback"], "body", baseline=untouched["feedback"]) == []


@pytest.mark.parametrize("kind", ["export", "formgrade", "feedback"])
def test_pages_keep_formulas_and_figures(rendered, kind):
    page = rendered["event_handlers"][kind]
    page = page[0] if isinstance(page, tuple) else page
    assert page.count("<math") >= 5  # the release's formulas, as MathML
    if kind == "export":  # the stored PNG output (at grading its outputs are made again)
        assert '<img alt="" src="data:image/png;base64,' in page or 'src="data:image/png;base64,' in page
    svg = rendered["svg"][kind]
    svg = svg[0] if isinstance(svg, tuple) else svg
    if kind == "export":
        assert 'src="data:image/svg+xml;base64,' in svg  # an SVG output shows, as an image


def test_each_page_carries_its_policy(rendered):
    pages = rendered["raw_html"]
    for page in (pages["export"], pages["feedback"]):
        head = page.split("</head>", 1)[0]
        assert "script-src 'none'" in head
        assert head.index("Content-Security-Policy") < head.index("<title")
    page, nonce = pages["formgrade"]
    head = page.split("</head>", 1)[0]
    assert f"script-src 'nonce-{nonce}' 'strict-dynamic'" in head
    assert head.index("Content-Security-Policy") < head.index("<script")
    assert "onclick" not in page  # nbgrader's navigation bar's inline handlers are gone


def test_names_and_ids_are_text_in_the_formgrader(rendered):
    page, _ = rendered["names"]["formgrade"]
    assert "O'Brien&lt;script&gt;" in page  # (nbconvert writes the page out again: ' stays as is)
    assert "&lt;img src=x onerror=" in page


VECTORS = {
    "handler": '<img src="x" onerror="alert(1)"><body onload=alert(1)><div onmouseover="x">d</div>',
    "js-url": '<a href="javascript:alert(1)">a</a><a href="  JaVa&#x09;Script:alert(1)">b</a>',
    "vbscript": '<a href="vbscript:msgbox(1)">v</a>',
    "data-html": '<a href="data:text/html,<script>alert(1)</script>">d</a>'
    '<img src="data:text/html;base64,AA==">',
    "script": "<script>alert(1)</script><SCRIPT SRC=//x/y.js></SCRIPT>",
    "svg": "<svg onload=alert(1)><script>alert(1)</script>"
    "<foreignObject><img src=x onerror=1></foreignObject></svg>",
    "mathml": '<math href="javascript:alert(1)"><maction actiontype="statusline">'
    '<mi xlink:href="javascript:x">x</mi></maction>'
    '<annotation-xml encoding="text/html"><img src=x onerror=1></annotation-xml></math>',
    "elements": '<base href="//x/"><meta http-equiv="refresh" content="0;url=javascript:alert(1)">'
    '<form action="//x"><button>b</button></form><iframe srcdoc="<script>alert(1)</script>"></iframe>'
    '<object data="x"></object><embed src="x"><link rel=stylesheet href=//x>',
    "css": '<style>@import url(//x);</style><div style="background:url(//x)">a</div>'
    '<div style="width:expression(alert(1))">b</div><div style="position:fixed">c</div>',
    "relative": '<img src="/api/contents"><a href="/api/terminals">t</a><img src="files/x.png">',
    "mxss": '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>'
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    "ids": '<h1 id="update_rules">h</h1><a name="formgrader">n</a>'
    '<span class="btn full-credit tabbable navbar-fixed-top k">c</span>',
}


@pytest.mark.parametrize("vector", sorted(VECTORS))
def test_clean_fragment_leaves_no_active_markup(vector):
    cleaned = clean_fragment(VECTORS[vector])
    assert active_markup(f"<main>{cleaned}</main>") == [], cleaned
    assert "alert(1)" not in cleaned.replace("&gt;", ">") or "<" not in cleaned.split("alert(1)")[0][-1:], (
        cleaned
    )


def test_clean_fragment_keeps_what_a_grader_reads():
    from nmf_kit.pages import tex_to_mathml

    formula = tex_to_mathml(r"\frac{1}{2} \sum_{i=1}^n \hat{Z}_{ij} \begin{pmatrix}1&2\\3&4\end{pmatrix}")
    assert clean_fragment(formula) == formula.replace("&#x0002B;", "+") or "<mfrac>" in clean_fragment(
        formula
    )
    kept = clean_fragment(
        '<table border="1" class="dataframe"><tr><th>a</th><td colspan="2">1</td></tr></table>'
        '<img src="data:image/png;base64,iVBORw0KGgo=" width="40" alt="fig">'
        '<div class="highlight"><pre><span class="k">def</span> <span class="nf">f</span></pre></div>'
        '<a href="https://example.org">w</a> <a href="mailto:a@b.org">m</a> <a href="#top">t</a>'
        '<span style="color: rgb(1, 2, 3)">c</span>'
    )
    for part in ('<td colspan="2">', 'src="data:image/png;base64,iVBORw0KGgo="', '<span class="k">def</span>',
                 'href="https://example.org"', 'href="mailto:a@b.org"', 'href="#user-content-top"',
                 'style="color:rgb(1, 2, 3)"', 'class="dataframe"'):  # fmt: skip
        assert part in kept, (part, kept)
    # ids of a hand-in cannot stand in for the formgrader's own (it finds score inputs by id)
    assert clean_fragment('<h2 id="update_rules">x</h2>') == '<h2 id="user-content-update_rules">x</h2>'
    assert clean_fragment('<span class="btn full-credit k">x</span>') == '<span class="k">x</span>'


def test_nbgrader_plugin_cleans_with_the_same_allow_list():
    from nmf_kit.nbgrader_plugins import clean_html

    assert clean_html('<a href="javascript:x" onclick="y">a</a>') == clean_fragment(
        '<a href="javascript:x">a</a>'
    )
    assert json.loads(json.dumps(clean_html("<b>b</b>"))) == "<b>b</b>"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_corpus_code_answers_are_python(name):
    """Each code answer runs at grading (a syntax error would make its outputs, the vector, vanish)."""
    for grade_id, source in PAGES[name].ANSWERS.items():
        if grade_id == "update_rules":
            compile(fill(source), grade_id, "exec")


def test_collect_refuses_ids_that_nbgrader_would_write_as_markup():
    from nmf_kit.collect import unsafe_student_id

    for student in PAGES["names"].REFUSED_IDS:
        assert "HTML or script syntax" in unsafe_student_id(student), student
    assert unsafe_student_id(PAGES["names"].STUDENT[1]) is None

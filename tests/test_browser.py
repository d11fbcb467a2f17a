"""Pages the kit writes or serves show their formulas with the network off, in a real browser.

Debian's Chromium and chromium-driver (``.ci/run`` installs them), driven headless by
Selenium. Host names resolve to nothing (``--host-resolver-rules``), and every request
a page makes is checked to stay on this machine: a ``file:`` page, or the Jupyter server
the test starts on a free localhost port. Each page must show rendered formulas (MathML),
no ``$...$`` left as text, and no console error.
"""

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from nmf_kit.collect import collect
from nmf_kit.course import ASSIGNMENT, NOTEBOOK, new_course
from nmf_kit.demo import _environment, write_handin_zip
from nmf_kit.pages import has_raw_math
from nmf_kit.runner import autograde, nbgrader, nbgrader_environment

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(  # never skipped in CI, which installs them (.ci/run)
        not (CHROMIUM and CHROMEDRIVER) and not os.environ.get("CI"),
        reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
    ),
]

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,900",
    # the network off for names: a CDN cannot even be looked up
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def _requests(driver):
    """URLs the page requested since the last call (Chrome's performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _open(driver, url, ready="true", timeout=30):
    """Load ``url`` and wait for the JavaScript condition ``ready``; drop older log entries first."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser")
    driver.get_log("performance")
    driver.get(url)
    from selenium.common.exceptions import TimeoutException

    try:
        WebDriverWait(driver, timeout).until(
            lambda d: d.execute_script(f"return document.readyState == 'complete' && ({ready})")
        )
    except TimeoutException:
        text = driver.execute_script("return document.body ? document.body.innerText : ''")[:1500]
        pytest.fail(f"{url}: not ready ({ready}); console: {driver.get_log('browser')}; page: {text}")
    time.sleep(0.5)  # late resource errors reach the log


def _check_offline_page(driver, local_prefixes):
    """Rendered formulas, no raw LaTeX, no console error, no request off this machine."""
    shown = driver.execute_script(
        "return Array.from(document.querySelectorAll('math'))"
        ".filter(m => m.getBoundingClientRect().width > 0).length"
    )
    assert shown >= 5, "formulas are not rendered"
    assert not has_raw_math(driver.page_source), "a $...$ formula is left as text"
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    outside = [u for u in _requests(driver) if not u.startswith(("data:", "about:", *local_prefixes))]
    assert outside == []


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory, data_env):
    """A course with one hand-in (the untouched release, from an LMS file naming the student),
    collected, autograded by `nmf-kit autograde`'s grader, and its feedback generated."""
    course = new_course(tmp_path_factory.mktemp("browser") / "course", ROOT)
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force", env=data_env)
    notebook = nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    write_handin_zip(notebook, course / "downloads" / f"Bob Builder_bob_{ASSIGNMENT}.zip")
    outcomes = collect(
        course / "downloads",
        course,
        pattern=r"^(?P<name>[^_]+)_(?P<student_id>[^_]+)_{assignment}",
        log=lambda line: None,
    )
    assert [o.status for o in outcomes] == ["collected"]
    with _environment(data_env):
        results = autograde(course, ASSIGNMENT, ["bob"])
    assert [r.status for r in results] == ["graded"], results
    nbgrader(course, "generate_feedback", ASSIGNMENT, env=data_env)
    return course


def test_feedback_shows_formulas_offline_from_disk(browser, graded_course):
    page = graded_course / "feedback" / "bob" / ASSIGNMENT / "nmf.html"
    assert "cdnjs" not in page.read_text()
    _open(browser, page.as_uri())
    _check_offline_page(browser, ["file:"])


def test_exported_handin_shows_formulas_offline(browser, graded_course):
    page = graded_course / "submitted" / "bob" / ASSIGNMENT / "nmf.html"  # made by the kit's exporter
    _open(browser, page.as_uri())
    _check_offline_page(browser, ["file:"])


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url, token):
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read().decode()


@contextlib.contextmanager
def _jupyter_lab(course, home):
    """``(base URL, token)`` of `jupyter lab` started in ``course`` on a free localhost port."""
    port, token = _free_port(), secrets.token_hex(16)
    env = nbgrader_environment(
        {
            "JUPYTER_CONFIG_DIR": str(home / "config"),  # nobody's own Jupyter settings
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "JUPYTER_DATA_DIR": str(home / "data"),
        }
    )
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"]  # fmt: skip
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = open(home / "lab.log", "w")  # noqa: SIM115 - open while the server runs
    server = subprocess.Popen(command, cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                _get(f"{url}/api/status", token)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"jupyter lab did not start:\n{(home / 'lab.log').read_text()[-3000:]}"
                    ) from None
                time.sleep(0.5)
        yield url, token
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def lab(graded_course, tmp_path_factory):
    """``(base URL, token)`` of `jupyter lab` started in the graded course."""
    with _jupyter_lab(graded_course, tmp_path_factory.mktemp("jupyter")) as served:
        yield served


def _log_in(browser, url, token):
    """Log in as a user does (the login page sets the session cookie for the whole server)."""
    browser.get(f"{url}/login?next=%2Fapi%2Fstatus&token={token}")


def test_formgrader_shows_formulas_offline_and_sets_up(browser, lab):
    url, token = lab
    _log_in(browser, url, token)
    (notebook,) = json.loads(_get(f"{url}/formgrader/api/submitted_notebooks/{ASSIGNMENT}/nmf", token))
    _open(
        browser,
        f"{url}/formgrader/submissions/{notebook['id']}/",
        ready="window.MathJax !== undefined && MathJax.loaded === true",
    )
    _check_offline_page(browser, [url + "/"])
    # the page's set-up ran to its end: its keyboard shortcuts are registered
    assert browser.execute_script("return formgrader.keyboard_manager !== undefined")


def test_formgrader_lists_names_and_times_and_no_exchange_warning(browser, lab):
    url, token = lab
    (submission,) = json.loads(_get(f"{url}/formgrader/api/submissions/{ASSIGNMENT}", token))
    assert (submission["first_name"], submission["last_name"]) == ("Bob", "Builder")
    assert submission["timestamp"] is not None
    _log_in(browser, url, token)
    _open(
        browser,
        f"{url}/formgrader/manage_submissions/{ASSIGNMENT}",
        ready="document.body.innerText.includes('Builder, Bob')",
    )
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    page = _get(f"{url}/formgrader/manage_assignments", token)
    assert "warning-exchange" not in page
    # what the Assignment List panel asks for: no "exchange directory ... could not be created"
    listing = json.loads(_get(f"{url}/assignments?course_id=", token))
    assert listing["success"], listing


# ----------------------------------------------------------------------------- hostile hand-ins
# tests/hostile/pages/: one hand-in per class of vector against the pages. Each is handed in
# through an LMS zip (its HTML export made by the kit's exporter beside it), collected, graded
# ONCE for the module, and every page built from it is loaded in Chromium: the feedback file,
# the kit's export, the live formgrader's submission page. A payload would set top.nmfpwned and
# ask the canary server below for a URL; neither may happen, and formulas and figures still show.
PAGES = None
FIGURE = "\nimport matplotlib.pyplot as plt\nplt.plot([0, 1, 2], [2, 0, 1])\nplt.show()\n"


class _Canary:
    """An HTTP server on 127.0.0.1 recording every path asked of it."""

    def __init__(self):
        import http.server
        import threading

        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _record(self):
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            do_GET = do_POST = do_HEAD = _record

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/nmf-canary"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def canary():
    server = _Canary()
    yield server
    server.close()


def script_payload(canary_url):
    """What a hand-in's script would do (the ``PWN`` of tests/hostile/pages): set ``top.nmfpwned``
    and ask the canary for ``/js``. No quotes and no spaces, so that it fits in any attribute,
    markdown link or Python string literal of the corpus: the URL is a base64 regex literal's
    source (padded until its base64 has no ``/`` or ``+``)."""
    import base64

    url = f"{canary_url}/js?"
    while True:
        encoded = base64.b64encode(url.encode()).decode()
        if "/" not in encoded and "+" not in encoded:
            return f"top.nmfpwned=1;fetch(atob(/{encoded}/.source))"
        url += "x"


def _figure_output():
    """A PNG figure output, as a student's plot shows in the notebook they hand in."""
    import base64
    import io

    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(2, 2))
    axes.plot([0, 1, 2], [2, 0, 1])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    data = {"image/png": base64.b64encode(buffer.getvalue()).decode(), "text/plain": "<Figure>"}
    return nbformat.v4.new_output("display_data", data=data)


def _hostile_handin(module, release, canary):
    from nmf_kit.handins import fill_answers

    pwn = script_payload(canary.url)

    def fill(text):
        return text.replace("PWN", pwn).replace("CANARY", canary.url)

    answers = {key: fill(value) for key, value in module.ANSWERS.items()}
    answers["update_rules"] = answers.get("update_rules", "") + FIGURE  # a figure to grade
    notebook = fill_answers(release, answers)
    if hasattr(module, "TRANSFORM"):
        notebook = module.TRANSFORM(notebook)
    notebook = nbformat.reads(fill(nbformat.writes(notebook)), as_version=4)
    notebook.cells[3].setdefault("outputs", []).append(_figure_output())
    return notebook


@pytest.fixture(scope="module")
def hostile_course(tmp_path_factory, synthetic_env, canary):
    """A course where each hand-in of tests/hostile/pages/ came in from the LMS, was collected,
    graded (on the synthetic stand-in: what a page shows of a hand-in does not depend on the data)
    and given feedback; ``(course, {corpus name: student id})``."""
    from corpus import variants

    global PAGES
    PAGES = variants(ROOT / "tests" / "hostile" / "pages")
    course = new_course(tmp_path_factory.mktemp("hostile-pages") / "course", ROOT)
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force", env=synthetic_env)
    release = course / "release" / ASSIGNMENT / NOTEBOOK
    students = {}
    for name, module in PAGES.items():
        person, student = getattr(module, "STUDENT", ("Page Tester", name.replace("_", "-")))
        students[name] = student
        notebook = _hostile_handin(module, release, canary)
        write_handin_zip(notebook, course / "downloads" / f"{person}_{student}_{ASSIGNMENT}.zip")
        for refused in getattr(module, "REFUSED_IDS", []):  # ids that would be markup in nbgrader's pages
            write_handin_zip(notebook, course / "downloads" / f"{person}_{refused}_{ASSIGNMENT}.zip")
    outcomes = collect(
        course / "downloads",
        course,
        pattern=r"^(?P<name>[^_]+)_(?P<student_id>[^_]+)_{assignment}",
        log=lambda line: None,
    )
    assert sorted(o.student_id for o in outcomes if o.status == "collected") == sorted(students.values())
    refused = [o for o in outcomes if o.status != "collected"]
    assert len(refused) == len(PAGES["names"].REFUSED_IDS)
    assert all("HTML or script syntax" in str(o) for o in refused), refused
    with _environment(synthetic_env):
        results = autograde(course, ASSIGNMENT, sorted(students.values()), workers=2)
    assert {r.student: r.status for r in results} == dict.fromkeys(students.values(), "graded"), results
    nbgrader(course, "generate_feedback", ASSIGNMENT, env=synthetic_env)
    assert canary.hits == []  # grading itself asked nothing of it (the kernels have no network)
    return course, students


@pytest.fixture(scope="module")
def hostile_lab(hostile_course, tmp_path_factory):
    with _jupyter_lab(hostile_course[0], tmp_path_factory.mktemp("jupyter-hostile")) as served:
        yield served


def _assert_holds(driver, canary, url, *, figures=1):
    """The page at ``url`` (already open) ran no script of the hand-in, made no request for it,
    stayed where it was, and shows its formulas and ``figures`` figures."""
    time.sleep(1.5)  # a meta refresh, a late image, a timer
    assert driver.current_url.split("?")[0] == url, "the page navigated away"  # (formgrader adds ?index=)
    assert driver.execute_script("return window.nmfpwned === undefined && !document.title.includes('PWN')")
    requested = [u for u in _requests(driver) if "nmf-canary" in u or canary.url.split("/nmf")[0] in u]
    assert requested == [], f"the hand-in made requests: {requested}"
    assert canary.hits == [], f"the canary server was asked for: {canary.hits}"
    shown = driver.execute_script(
        "const all = s => Array.from(document.querySelectorAll(s));"
        "return [all('math').filter(m => m.getBoundingClientRect().width > 0).length,"
        " all('img').filter(i => i.complete && i.naturalWidth > 40 && i.getBoundingClientRect().width > 40)"
        ".length]"
    )
    assert shown[0] >= 5, "the formulas do not show"
    assert shown[1] >= figures, "the figure does not show"


def _corpus_names():
    from corpus import variants

    return sorted(variants(ROOT / "tests" / "hostile" / "pages"))


@pytest.mark.parametrize("name", _corpus_names())
def test_hostile_handin_runs_nothing_in_the_feedback_file(browser, hostile_course, canary, name):
    course, students = hostile_course
    page = course / "feedback" / students[name] / ASSIGNMENT / "nmf.html"
    _open(browser, page.as_uri())
    _assert_holds(browser, canary, page.as_uri())


@pytest.mark.parametrize("name", _corpus_names())
def test_hostile_handin_runs_nothing_in_the_kits_export(browser, hostile_course, canary, name):
    course, students = hostile_course
    page = course / "submitted" / students[name] / ASSIGNMENT / "nmf.html"  # made by the kit's exporter
    _open(browser, page.as_uri())
    _assert_holds(browser, canary, page.as_uri())


@pytest.mark.parametrize("name", _corpus_names())
def test_hostile_handin_runs_nothing_in_the_formgrader(browser, hostile_course, hostile_lab, canary, name):
    (_, students), (url, token) = hostile_course, hostile_lab
    _log_in(browser, url, token)
    notebooks = json.loads(_get(f"{url}/formgrader/api/submitted_notebooks/{ASSIGNMENT}/nmf", token))
    (notebook,) = [n for n in notebooks if n["student"] == students[name]]
    page = f"{url}/formgrader/submissions/{notebook['id']}/"
    _open(browser, page, ready="window.MathJax !== undefined && MathJax.loaded === true")
    _assert_holds(browser, canary, page)
    # the formgrader still works: its set-up ran to the end and its own scripts ran
    assert browser.execute_script("return formgrader.keyboard_manager !== undefined")
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert [e for e in errors if "Content Security Policy" in e and "nonce" not in e] == []


def test_hostile_names_are_text_in_the_formgrader_lists(browser, hostile_course, hostile_lab, canary):
    (_, students), (url, token) = hostile_course, hostile_lab
    _log_in(browser, url, token)
    pages = {  # each page lists the students' names (the gradebook's list keeps them hidden until asked)
        f"manage_submissions/{ASSIGNMENT}": "Brien",
        f"gradebook/{ASSIGNMENT}/nmf": f"Submission #{len(students)}",
        "manage_students": "Brien",
        f"manage_students/{students['names']}": "ex08",
    }
    for path, ready in pages.items():
        _open(browser, f"{url}/formgrader/{path}", ready=f"document.body.innerText.includes({ready!r})")
        time.sleep(1)
        assert browser.execute_script("return window.nmfpwned === undefined"), path
        assert browser.execute_script("return document.querySelectorAll('td img, li img').length") == 0, path
    assert canary.hits == []

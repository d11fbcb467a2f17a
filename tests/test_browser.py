"""Pages the kit writes or serves show their formulas with the network off, in a real browser.

Debian's Chromium and chromium-driver (``.ci/run`` installs them), driven headless by
Selenium. Host names resolve to nothing (``--host-resolver-rules``), and every request
a page makes is checked to stay on this machine: a ``file:`` page, or the Jupyter server
the test starts on a free localhost port. Each page must show rendered formulas (MathML),
no ``$...$`` left as text, and no console error.
"""

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


@pytest.fixture(scope="module")
def lab(graded_course, tmp_path_factory):
    """``(base URL, token)`` of `jupyter lab` started in the course on a free localhost port."""
    home = tmp_path_factory.mktemp("jupyter")
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
    server = subprocess.Popen(command, cwd=graded_course, env=env, stdout=log, stderr=subprocess.STDOUT)
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

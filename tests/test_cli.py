"""The ``nmf-kit`` command line: it acts on the course folder it is run in, and says what is wrong.

Every mistake a user can make gets one or two lines (what is wrong, what to
do), no traceback, and a non-zero exit status.
"""

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from nmf_kit import cli
from nmf_kit.cli import main
from nmf_kit.course import ASSIGNMENT, init_course, kit_root
from nmf_kit.gradebook import open_gradebook

ROOT = Path(__file__).resolve().parents[1]


def _run(capsys, *argv):
    """``(status, stdout, stderr)`` of ``nmf-kit ARGV`` run in this process."""
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def _refused(capsys, *argv, status=2):
    """The one- or two-line message of a refused command; checks the status and that no traceback."""
    code, out, err = _run(capsys, *argv)
    assert code == status, (out, err)
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert 1 <= len(lines) <= 2, err
    assert lines[0].startswith(f"nmf-kit {argv[0]}: "), err
    return err


@pytest.fixture(scope="module")
def _course_template(tmp_path_factory):
    folder = init_course(tmp_path_factory.mktemp("template") / "course")
    with open_gradebook(folder) as gradebook:  # making a gradebook takes seconds: once
        gradebook.update_or_create_assignment(ASSIGNMENT)
    submitted = folder / "submitted" / "alice" / ASSIGNMENT
    submitted.mkdir(parents=True)
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), submitted / "nmf.ipynb")
    return folder


@pytest.fixture
def course(_course_template, tmp_path):
    """A course folder made by `nmf-kit init`, with ex08 in its gradebook and one submission."""
    return Path(shutil.copytree(_course_template, tmp_path / "course"))


def _students(course):
    with open_gradebook(course) as gradebook:
        return sorted(student.id for student in gradebook.students)


# --- the course folder --------------------------------------------------------------------


def test_init_makes_a_course_and_refuses_to_overwrite_one(tmp_path, capsys):
    status, out, _ = _run(capsys, "init", tmp_path / "term1")
    assert status == 0
    assert (tmp_path / "term1/source/ex08/nmf.ipynb").is_file()
    assert (tmp_path / "term1/nbgrader_config.py").is_file()
    assert ".nmf-kit/" in (tmp_path / "term1/.gitignore").read_text()
    assert "nmf-kit release" in out  # what to do next
    (tmp_path / "term1/source/ex08/nmf.ipynb").write_text("my edits")
    err = _refused(capsys, "init", tmp_path / "term1")
    assert "already holds a course" in err
    assert (tmp_path / "term1/source/ex08/nmf.ipynb").read_text() == "my edits"


def test_init_refuses_a_deadline_it_cannot_read_and_makes_nothing(tmp_path, capsys):
    for argv, words in (
        (("--deadline", "the friday after next"), "--deadline: 'the friday after next' is not a date"),
        (("--deadline", "2027-01-15 23:59"), "has no time zone"),
        (("--team-rules", "<b onclick=x>pairs</b>"), "--team-rules: write plain text"),
        (("--team-rules", " "), "--team-rules: empty"),
    ):
        err = _refused(capsys, "init", tmp_path / "term1", *argv)
        assert words in err, err
        assert not (tmp_path / "term1").exists()


@pytest.mark.slow
def test_init_states_the_rules_and_release_gives_nbgrader_the_deadline(tmp_path, capsys, monkeypatch):
    from datetime import datetime

    course = tmp_path / "term1"
    rules = "in pairs,   one zip per pair"
    status, out, err = _run(
        capsys, "init", course, "--deadline", "2027-01-15 23:59 +01:00", "--team-rules", rules
    )
    assert status == 0, err
    assert "deadline 2027-01-15 23:59 +01:00" in out
    config = (course / "nbgrader_config.py").read_text()
    assert "c.Policy.deadline = '2027-01-15 23:59:00+01:00'" in config
    assert "c.Policy.team_rules = 'in pairs, one zip per pair'" in config
    monkeypatch.chdir(course)
    status, out, err = _run(capsys, "release")
    assert status == 0, err
    assert "due 2027-01-15 22:59 UTC" in out
    for folder in ("source", "release"):  # the course's source, and what students get from it
        intro = nbformat.read(course / folder / ASSIGNMENT / "nmf.ipynb", as_version=4).cells[0].source
        assert "**Deadline:** 2027-01-15 23:59 +01:00." in intro
        assert "**Team rules:** in pairs, one zip per pair\n" in intro + "\n"
        assert "the one on your course page" not in intro
        assert "hand in on your own" not in intro
    with open_gradebook(course) as gradebook:
        assert gradebook.find_assignment(ASSIGNMENT).duedate == datetime(2027, 1, 15, 22, 59)


def test_kit_files_come_from_the_checkout_here_never_the_current_folder(tmp_path, monkeypatch):
    init_course(tmp_path / "other")
    monkeypatch.chdir(tmp_path / "other")  # a course folder of its own is not the kit
    assert kit_root() == ROOT


@pytest.mark.slow
def test_release_regenerates_the_course_it_is_run_in(tmp_path, capsys, monkeypatch):
    course = init_course(tmp_path / "course")
    kit_gradebook = ROOT / "gradebook.db"
    before = kit_gradebook.stat().st_mtime if kit_gradebook.exists() else None
    monkeypatch.chdir(course)
    status, out, err = _run(capsys, "release")
    assert status == 0, err
    assert f"regenerated {course / 'release' / ASSIGNMENT}" in out
    assert (course / "release/ex08/nmf.ipynb").is_file()
    with open_gradebook(course) as gradebook:
        assert [a.name for a in gradebook.assignments] == [ASSIGNMENT]
    after = kit_gradebook.stat().st_mtime if kit_gradebook.exists() else None
    assert after == before  # the kit's own folder was not touched


def test_commands_outside_a_course_folder_are_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for command in ("autograde", "release"):
        err = _refused(capsys, command)
        assert "not a course folder" in err
        assert "--course" in err
        assert "nmf-kit init" in err
    err = _refused(capsys, "collect", tmp_path, "--course", tmp_path / "nope")
    assert "does not exist" in err


# --- autograde: arguments are checked before anything is graded ------------------------------


def test_autograde_unknown_assignment_lists_the_known_ones(course, capsys):
    err = _refused(capsys, "autograde", "--course", course, "--assignment", "ex99")
    assert "no assignment 'ex99'" in err
    assert "known assignments: ex08" in err


def test_autograde_before_release_says_to_release(tmp_path, capsys):
    course = init_course(tmp_path / "course")
    err = _refused(capsys, "autograde", "--course", course)
    assert "nmf-kit release" in err


def test_autograde_unknown_student_is_refused_and_not_created(course, capsys):
    err = _refused(capsys, "autograde", "--course", course, "nosuchstudent")
    assert "nosuchstudent" in err
    assert "students with a submission: alice" in err
    assert "SAWarning" not in err
    assert _students(course) == []  # nothing was written to the gradebook


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--workers", "0", "must be at least 1, got 0"),
        ("--workers", "-3", "must be at least 1, got -3"),
        ("--timeout", "0", "must be at least 1, got 0"),
        ("--workers", "two", "must be a whole number"),
    ],
)
def test_autograde_refuses_worker_and_timeout_counts_below_one(course, capsys, option, value, words):
    with pytest.raises(SystemExit) as exit_:
        main(["autograde", "--course", str(course), option, value])
    _, err = capsys.readouterr()
    assert exit_.value.code == 2
    assert option in err
    assert words in err
    assert len(err.strip().splitlines()) == 1
    assert "nmf-kit autograde --help" in err


def test_autograde_offline_without_data_says_how_to_get_it(course, capsys, isolated_data_env):
    err = _refused(capsys, "autograde", "--course", course, status=1)
    assert "nmf-kit data" in err
    assert "NMF_HELPERS_DATA=" in err
    assert "movielens_folder(" not in err  # not a Python call: the command to run


def test_autograde_with_a_wrong_data_folder_names_it(course, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("NMF_HELPERS_DATA", str(tmp_path / "empty"))
    err = _refused(capsys, "autograde", "--course", course)
    assert "NMF_HELPERS_DATA" in err
    assert str(tmp_path / "empty") in err


def test_data_offline_without_data(capsys, isolated_data_env):
    err = _refused(capsys, "data", "--offline", status=1)
    assert "nmf-kit data" in err


# --- collect ---------------------------------------------------------------------------------


def test_collect_missing_downloads_folder(course, capsys):
    err = _refused(capsys, "collect", "/nonexistent", "--course", course)
    assert "downloads folder /nonexistent does not exist" in err


def test_collect_unknown_assignment_lists_the_known_ones(course, capsys, tmp_path):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    err = _refused(capsys, "collect", downloads, "--course", course, "--assignment", "ex99")
    assert "known assignments: ex08" in err
    assert "{assignment}" not in err


def test_collect_bad_pattern(course, capsys, tmp_path):
    (tmp_path / "d").mkdir()
    err = _refused(capsys, "collect", tmp_path / "d", "--course", course, "--pattern", "(?P<id>x)")
    assert "student_id" in err
    err = _refused(capsys, "collect", tmp_path / "d", "--course", course, "--pattern", "(unclosed")
    assert "not a valid regular expression" in err


# --- demo --------------------------------------------------------------------------------------


def test_demo_refuses_an_existing_folder(tmp_path, capsys):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("keep me")
    err = _refused(capsys, "demo", "--workdir", tmp_path / "mine", "--offline")
    assert "not a course made by nmf-kit" in err
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "keep me"


def test_demo_data_fallback_is_one_line(isolated_data_env, monkeypatch, capfd):
    """pooch's download message must not break into the step's line (the README promises one)."""
    from nmf_course import movielens
    from nmf_kit.demo import find_data
    from nmf_kit.progress import console, step

    monkeypatch.setattr(movielens, "URL", "http://127.0.0.1:9/ml-100k.zip")  # refused at once, locally
    with console(), step("finding MovieLens-100k") as done:
        folder, done.note = find_data(download=True)
    out, err = capfd.readouterr()
    lines = (out + err).strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("- finding MovieLens-100k (")
    assert "SYNTHETIC" in lines[0]
    assert "download failed" in lines[0]
    assert (folder / "u.data").is_file()


# --- help ----------------------------------------------------------------------------------------


def test_every_command_and_option_has_help():
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert set(commands) >= {"init", "demo", "collect", "autograde", "data", "release", "notebooks"}
    for name, command in commands.items():
        assert command.description, name
        for action in command._actions:
            assert action.help, f"{name} {action.option_strings or action.dest}"


def test_help_pages_print_their_description(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")  # a narrow terminal: file names must not break at a hyphen
    with pytest.raises(SystemExit) as exit_:
        main(["autograde", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "autograde-report.csv" in out
    assert "the assignment, a folder of the course's source/" in " ".join(out.split())


# --- a kit installed from a wheel ---------------------------------------------------------


def _site_packages(python):
    command = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    return Path(
        subprocess.run([python, "-c", command], capture_output=True, text=True, check=True).stdout.strip()
    )


@pytest.mark.slow
def test_a_wheel_works_without_the_checkout(tmp_path):
    """Build a wheel, install it in a fresh environment, and release in an empty course folder.

    The dependencies come from this environment (a .pth file) rather than a second
    download of JupyterLab and friends; the kit itself only from the wheel.
    """
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    (wheel,) = dist.glob("nmf_course_kit-*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = str(env_dir / "bin" / "python")
    site = _site_packages(python)
    # This environment's packages, except the kit itself (its editable finder is a .pth hook
    # that a plain path entry does not run).
    (site / "kit-dependencies.pth").write_text(str(_site_packages(sys.executable)) + "\n")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", str(wheel)],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    environment = {
        **os.environ,
        "PATH": os.pathsep.join([str(env_dir / "bin"), os.path.dirname(sys.executable), os.environ["PATH"]]),
    }
    where = subprocess.run(
        [python, "-c", "import nmf_kit; print(nmf_kit.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert str(env_dir) in where.stdout, where.stdout + where.stderr  # the wheel's copy, not the checkout

    nmf_kit = str(env_dir / "bin" / "nmf-kit")
    course = tmp_path / "term1"
    made = subprocess.run([nmf_kit, "init", str(course)], capture_output=True, text=True, env=environment)
    assert made.returncode == 0, made.stdout + made.stderr
    released = subprocess.run(
        [nmf_kit, "release"], capture_output=True, text=True, env=environment, cwd=course
    )
    assert released.returncode == 0, released.stdout + released.stderr
    assert f"regenerated {course / 'release' / ASSIGNMENT}" in released.stdout
    assert "Traceback" not in released.stderr
    assert (course / "release/ex08/nmf.ipynb").is_file()
    with open_gradebook(course) as gradebook:
        assert [a.name for a in gradebook.assignments] == [ASSIGNMENT]
    kit = Path(where.stdout.strip()).parent
    assert not (kit / "gradebook.db").exists()
    assert not (kit / "_kit" / "gradebook.db").exists()
    with zipfile.ZipFile(wheel) as archive:
        assert "nmf_kit/_kit/source/ex08/nmf.ipynb" in archive.namelist()
        assert "nmf_kit/templates/formgrade/mathjax.html.j2" in archive.namelist()


# --- set-up: one pinned student environment, without the instructors' Lab panels ----------

STUDENT_PANELS = (
    "@jupyter/nbgrader:menu",
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
    "@jupyter/nbgrader:assignment-list",
)


def _pip_requirements(text):
    from packaging.requirements import Requirement

    lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    return [Requirement(line) for line in lines if line]


def _lock():
    """The students' lock: {name: version} for this interpreter and platform."""
    pins = {}
    for requirement in _pip_requirements((ROOT / "requirements.txt").read_text()):
        if requirement.marker is None or requirement.marker.evaluate():
            (specifier,) = requirement.specifier
            assert specifier.operator == "==", requirement  # exact, nothing left to the resolver
            pins[requirement.name] = specifier.version
    return pins


def test_students_lock_is_exact_and_within_the_kits_ranges():
    import tomllib

    ranges = {r.name: r.specifier for r in _pip_requirements((ROOT / "requirements.in").read_text())}
    assert str(ranges["nbgrader"]) == "==0.9.6"  # pinned, as the graders run it
    kit = {
        r.name: r.specifier
        for r in _pip_requirements(
            "\n".join(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])
        )
    }
    for name, specifier in ranges.items():
        assert kit.get(name) == specifier, name  # students and graders allow the same versions
    pins = _lock()
    for name, specifier in ranges.items():
        assert name in pins, name
        assert pins[name] in specifier, (name, pins[name], str(specifier))
    assert not {"nmf-course-kit", "nmf_kit", "nmf_helpers"} & set(pins)


def test_conda_route_installs_the_same_lock():
    import yaml

    dependencies = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    assert "python=3.11" in dependencies
    pip = [d["pip"] for d in dependencies if isinstance(d, dict)]
    assert pip == [["-r requirements.txt"]]  # nothing conda resolves on its own but Python and pip


def test_this_environment_runs_the_students_locked_versions():
    """scripts/setup.sh installs the kit under the lock: tests and lectures run what students run."""
    from importlib.metadata import PackageNotFoundError, version

    differ = {}
    for name, pinned in _lock().items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            continue  # in the lock for a platform extra the kit does not pull in here
        if installed != pinned:
            differ[name] = (installed, pinned)
    assert not differ, f"installed vs locked: {differ}"
    assert version("numpy") == _lock()["numpy"]  # the lock's core packages are installed, not skipped


def test_students_switch_off_the_instructors_panels_by_their_real_names():
    import nbgrader

    bundle = "".join(
        p.read_text(errors="replace")
        for p in (Path(nbgrader.__file__).parent / "labextension" / "static").glob("*.js")
    )
    readme = (ROOT / "README.md").read_text()
    command = "jupyter labextension disable --level=sys_prefix " + " ".join(STUDENT_PANELS)
    assert command in readme
    for plugin in STUDENT_PANELS:
        assert f'"{plugin}"' in bundle, plugin
    assert '"@jupyter/nbgrader:validate-assignment"' in bundle  # students keep Validate


def test_the_students_command_hides_the_panels(tmp_path):
    environment = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path)}
    jupyter = [sys.executable, "-m", "jupyterlab.labextensions", "disable", "--level=user", *STUDENT_PANELS]
    done = subprocess.run(jupyter, capture_output=True, text=True, env=environment)
    assert done.returncode == 0, done.stderr
    disabled = json.loads((tmp_path / "labconfig" / "page_config.json").read_text())["disabledExtensions"]
    assert set(STUDENT_PANELS) <= {name for name, off in disabled.items() if off}

"""Collecting LMS downloads into submitted/: ids, bad archives, nothing overwritten silently."""

import shutil
import stat
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from nmf_kit.cli import main
from nmf_kit.collect import collect, unsafe_student_id
from nmf_kit.course import init_course
from nmf_kit.errors import KitError
from nmf_kit.gradebook import open_gradebook


def _notebook(text="x = 1"):
    return nbformat.writes(new_notebook(cells=[new_code_cell(text)]))


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            if isinstance(data, zipfile.ZipInfo):  # a member with its own file type
                archive.writestr(data, b"/etc/passwd")
            else:
                archive.writestr(name, data)
    return path


def _special(name, mode):
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix: the high bits of external_attr are st_mode
    info.external_attr = mode << 16
    return info


@pytest.fixture
def downloads(tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


@pytest.fixture(scope="module")
def _course_template(tmp_path_factory):
    return init_course(tmp_path_factory.mktemp("template") / "course")


@pytest.fixture
def course(_course_template, tmp_path):
    return Path(shutil.copytree(_course_template, tmp_path / "course"))


def _quiet(line):
    pass


def _statuses(outcomes):
    return {o.archive: (o.status, o.student_id) for o in outcomes}


def test_archives_land_in_submitted(downloads, course):
    _zip(downloads / "s1234567_ex08.zip", {"nmf.ipynb": _notebook(), "nmf.html": "<html/>"})
    _zip(downloads / "alice-ex08.zip", {"ex08/nmf.ipynb": _notebook("y = 2")})  # one folder too deep
    _zip(downloads / "bob_ex08.zip", {"nmf (1).ipynb": _notebook(), "__MACOSX/._nmf.ipynb": "junk"})
    outcomes = collect(downloads, course, log=_quiet)
    assert _statuses(outcomes) == {
        "alice-ex08.zip": ("collected", "alice"),
        "bob_ex08.zip": ("collected", "bob"),
        "s1234567_ex08.zip": ("collected", "s1234567"),
    }
    assert (course / "submitted/s1234567/ex08/nmf.html").read_text() == "<html/>"
    assert "y = 2" in (course / "submitted/alice/ex08/nmf.ipynb").read_text()
    assert (course / "submitted/bob/ex08/nmf.ipynb").is_file()
    assert "renamed to nmf.ipynb" in next(o for o in outcomes if o.student_id == "bob").message


def test_the_collection_time_is_the_submission_time(downloads, course):
    from datetime import UTC, datetime, timedelta

    from nbgrader.utils import parse_utc

    _zip(downloads / "alice_ex08.zip", {"nmf.ipynb": _notebook()})
    collect(downloads, course, log=_quiet)
    stamp = parse_utc((course / "submitted/alice/ex08/timestamp.txt").read_text())  # as nbgrader reads it
    assert abs(stamp.replace(tzinfo=UTC) - datetime.now(UTC)) < timedelta(minutes=5)


def test_names_from_the_file_name_go_to_the_gradebook(downloads, course):
    _zip(downloads / "Alice Ann Smith_4711_assignsubmission_file_ex08.zip", {"nmf.ipynb": _notebook()})
    _zip(downloads / "Bob Jones_4712_assignsubmission_file_ex08.zip", {"nmf.ipynb": _notebook()})
    pattern = r"^(?P<name>[^_]+)_(?P<student_id>\d+)_assignsubmission_file_{assignment}"
    outcomes = collect(downloads, course, pattern=pattern, log=_quiet)
    assert sorted(o.student_id for o in outcomes if o.status == "collected") == ["4711", "4712"]
    with open_gradebook(course) as gradebook:
        names = {s.id: (s.first_name, s.last_name) for s in gradebook.students}
    assert names == {"4711": ("Alice Ann", "Smith"), "4712": ("Bob", "Jones")}


def test_bad_archives_are_reported_by_name_and_skipped(downloads, course):
    (downloads / "carol_ex08.zip").write_bytes(b"this is not a zip")
    _zip(downloads / "dave_ex08.zip", {"notes.txt": "no notebook"})
    _zip(downloads / "erin_ex08.zip", {"a.ipynb": _notebook(), "b.ipynb": _notebook()})
    _zip(downloads / "frank_ex08.zip", {"../../evil.ipynb": _notebook()})
    _zip(downloads / "ex08.zip", {"nmf.ipynb": _notebook()})
    _zip(downloads / "gina_ex08.zip", {"nmf.ipynb": "{not json"})
    lines = []
    outcomes = collect(downloads, course, log=lines.append)
    statuses = _statuses(outcomes)
    assert statuses["carol_ex08.zip"][0] == "skipped"
    assert any("carol_ex08.zip" in line and "not a zip" in line for line in lines)
    assert statuses["dave_ex08.zip"][0] == "skipped"
    assert statuses["erin_ex08.zip"][0] == "skipped"
    assert statuses["frank_ex08.zip"][0] == "skipped"
    assert statuses["ex08.zip"] == ("skipped", None)
    # A broken notebook is kept, to be graded as it is, and flagged.
    assert statuses["gina_ex08.zip"][0] == "collected"
    assert any("gina" in line and "not valid notebook JSON" in line for line in lines)
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["gina"]
    assert all(
        name in "\n".join(lines)
        for name in ("carol_ex08.zip", "dave_ex08.zip", "erin_ex08.zip", "frank_ex08.zip")
    )


@pytest.mark.parametrize(
    ("member", "words"),
    [
        (_special("nmf.ipynb", stat.S_IFLNK | 0o777), "symbolic link"),
        (_special("nmf.ipynb", stat.S_IFCHR | 0o666), "device or special file"),
        (_special("data/fifo", stat.S_IFIFO | 0o644), "device or special file"),
    ],
)
def test_links_and_devices_inside_an_archive_are_refused(downloads, course, member, words):
    _zip(downloads / "hank_ex08.zip", {"ok.ipynb": _notebook(), member.filename: member})
    (outcome,) = collect(downloads, course, log=_quiet)
    assert outcome.status == "skipped"
    assert words in outcome.message
    assert member.filename in outcome.message
    assert "regular files only" in outcome.message
    assert not (course / "submitted").exists()


@pytest.mark.parametrize(
    ("archive", "reason"),
    [
        ("..__ex08.zip", "'..'"),
        ("a..b_ex08.zip", "'..'"),
        ("al*ce_ex08.zip", "glob character"),
        ("al[i]ce_ex08.zip", "glob character"),
        ("-rf_ex08.zip", "starts with '-'"),
        ("al\\ice_ex08.zip", "path separator"),
    ],
)
def test_student_ids_that_are_no_folder_names_are_refused(downloads, course, archive, reason):
    _zip(downloads / archive, {"nmf.ipynb": _notebook()})
    lines = []
    (outcome,) = collect(downloads, course, pattern=r"^(?P<student_id>.+)_{assignment}", log=lines.append)
    assert outcome.status == "skipped"
    assert reason in outcome.message
    assert archive in lines[0]  # which file
    assert "rename" in outcome.message  # and what to do
    assert not (course / "submitted").exists()


def test_unsafe_ids():
    assert unsafe_student_id("s1234567") is None
    assert unsafe_student_id("alice.smith-2") is None
    for bad in ("", " ", "../x", "x/y", "a..b", "*", "x?", "[x]", "-x", ".x", "x\n", " x"):
        assert unsafe_student_id(bad), bad


def test_an_archive_for_another_assignment_says_so(downloads, course):
    _zip(downloads / "alice_ex08.zip", {"nmf.ipynb": _notebook()})
    (outcome,) = collect(downloads, course, assignment="ex09", log=_quiet)
    assert outcome.status == "skipped"
    assert "does not name the assignment ex09" in outcome.message
    assert "{assignment}" not in outcome.message
    _zip(downloads / "ex09-bad name.zip", {"nmf.ipynb": _notebook()})
    outcomes = collect(downloads, course, assignment="ex09", log=_quiet)
    message = next(o.message for o in outcomes if o.archive == "ex09-bad name.zip")
    assert "no student id in the file name" in message
    assert "ex09" in message
    assert "{assignment}" not in message


def test_existing_submission_is_never_overwritten_silently(downloads, course):
    _zip(downloads / "alice_ex08.zip", {"nmf.ipynb": _notebook("first")})
    collect(downloads, course, log=_quiet)
    assert _statuses(collect(downloads, course, log=_quiet))["alice_ex08.zip"][0] == "unchanged"

    _zip(downloads / "alice_ex08.zip", {"nmf.ipynb": _notebook("second")})
    outcome = collect(downloads, course, log=_quiet)[0]
    assert outcome.status == "skipped"
    assert "--replace" in outcome.message
    assert "first" in (course / "submitted/alice/ex08/nmf.ipynb").read_text()

    outcome = collect(downloads, course, replace=True, log=_quiet)[0]
    assert outcome.status == "replaced"
    assert "second" in (course / "submitted/alice/ex08/nmf.ipynb").read_text()
    kept = list((course / "replaced/alice").glob("ex08-*/nmf.ipynb"))
    assert len(kept) == 1
    assert "first" in kept[0].read_text()


def test_custom_pattern_and_cli_exit_code(downloads, course, capsys):
    _zip(downloads / "Alice Smith_4711_assignsubmission_file_ex08.zip", {"nmf.ipynb": _notebook()})
    (downloads / "broken_ex08.zip").write_bytes(b"nope")
    code = main(
        [
            "collect",
            str(downloads),
            "--course",
            str(course),
            "--pattern",
            r"_(?P<student_id>\d+)_assignsubmission",
        ]
    )
    output = capsys.readouterr().out
    assert code == 1  # one archive could not be collected
    assert (course / "submitted/4711/ex08/nmf.ipynb").is_file()
    assert "summary: 1 collected, 1 skipped" in output
    assert "broken_ex08.zip" in output


def test_the_cli_logs_through_the_nmf_kit_logger(downloads, course, caplog):
    _zip(downloads / "alice_ex08.zip", {"nmf.ipynb": _notebook()})
    with caplog.at_level("INFO", logger="nmf_kit"):
        collect(downloads, course)
    assert any("alice_ex08.zip -> alice" in r.getMessage() for r in caplog.records)


def test_missing_downloads_folder_and_course(tmp_path, course):
    with pytest.raises(KitError, match="downloads folder"):
        collect(tmp_path / "nope", course)
    with pytest.raises(KitError, match="not a course folder"):
        collect(tmp_path, tmp_path)

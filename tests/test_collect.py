"""Collecting LMS downloads into submitted/: ids, bad archives, nothing overwritten silently."""

import zipfile

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from nmf_kit.cli import main
from nmf_kit.collect import collect


def _notebook(text="x = 1"):
    return nbformat.writes(new_notebook(cells=[new_code_cell(text)]))


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def downloads(tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


def _statuses(outcomes):
    return {o.archive: (o.status, o.student_id) for o in outcomes}


def test_archives_land_in_submitted(downloads, tmp_path):
    _zip(downloads / "s1234567_ex08.zip", {"nmf.ipynb": _notebook(), "nmf.html": "<html/>"})
    _zip(downloads / "alice-ex08.zip", {"ex08/nmf.ipynb": _notebook("y = 2")})  # one folder too deep
    _zip(downloads / "bob_ex08.zip", {"nmf (1).ipynb": _notebook(), "__MACOSX/._nmf.ipynb": "junk"})
    course = tmp_path / "course"
    outcomes = collect(downloads, course, log=lambda line: None)
    assert _statuses(outcomes) == {
        "alice-ex08.zip": ("collected", "alice"),
        "bob_ex08.zip": ("collected", "bob"),
        "s1234567_ex08.zip": ("collected", "s1234567"),
    }
    assert (course / "submitted/s1234567/ex08/nmf.html").read_text() == "<html/>"
    assert "y = 2" in (course / "submitted/alice/ex08/nmf.ipynb").read_text()
    assert (course / "submitted/bob/ex08/nmf.ipynb").is_file()
    assert "renamed to nmf.ipynb" in next(o for o in outcomes if o.student_id == "bob").message


def test_bad_archives_are_reported_by_name_and_skipped(downloads, tmp_path):
    (downloads / "carol_ex08.zip").write_bytes(b"this is not a zip")
    _zip(downloads / "dave_ex08.zip", {"notes.txt": "no notebook"})
    _zip(downloads / "erin_ex08.zip", {"a.ipynb": _notebook(), "b.ipynb": _notebook()})
    _zip(downloads / "frank_ex08.zip", {"../../evil.ipynb": _notebook()})
    _zip(downloads / "ex08.zip", {"nmf.ipynb": _notebook()})
    _zip(downloads / "gina_ex08.zip", {"nmf.ipynb": "{not json"})
    lines = []
    outcomes = collect(downloads, tmp_path / "course", log=lines.append)
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
    assert sorted(p.name for p in (tmp_path / "course/submitted").iterdir()) == ["gina"]
    assert all(
        name in "\n".join(lines)
        for name in ("carol_ex08.zip", "dave_ex08.zip", "erin_ex08.zip", "frank_ex08.zip")
    )


def test_existing_submission_is_never_overwritten_silently(downloads, tmp_path):
    course = tmp_path / "course"
    _zip(downloads / "alice_ex08.zip", {"nmf.ipynb": _notebook("first")})
    collect(downloads, course, log=lambda line: None)
    assert _statuses(collect(downloads, course, log=lambda line: None))["alice_ex08.zip"][0] == "unchanged"

    _zip(downloads / "alice_ex08.zip", {"nmf.ipynb": _notebook("second")})
    outcome = collect(downloads, course, log=lambda line: None)[0]
    assert outcome.status == "skipped"
    assert "--replace" in outcome.message
    assert "first" in (course / "submitted/alice/ex08/nmf.ipynb").read_text()

    outcome = collect(downloads, course, replace=True, log=lambda line: None)[0]
    assert outcome.status == "replaced"
    assert "second" in (course / "submitted/alice/ex08/nmf.ipynb").read_text()
    kept = list((course / "replaced/alice").glob("ex08-*/nmf.ipynb"))
    assert len(kept) == 1
    assert "first" in kept[0].read_text()


def test_custom_pattern_and_cli_exit_code(downloads, tmp_path, capsys):
    _zip(downloads / "Alice Smith_4711_assignsubmission_file_ex08.zip", {"nmf.ipynb": _notebook()})
    (downloads / "broken_ex08.zip").write_bytes(b"nope")
    code = main(
        [
            "collect",
            str(downloads),
            "--course",
            str(tmp_path / "c"),
            "--pattern",
            r"_(?P<student_id>\d+)_assignsubmission",
        ]
    )
    output = capsys.readouterr().out
    assert code == 1  # one archive could not be collected
    assert (tmp_path / "c/submitted/4711/ex08/nmf.ipynb").is_file()
    assert "summary: 1 collected, 1 skipped" in output


def test_missing_downloads_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="downloads folder"):
        collect(tmp_path / "nope", tmp_path / "course")

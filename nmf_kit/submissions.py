"""Where a hand-in's notebook is: the one place that finds a misnamed or misplaced notebook."""

import shutil
from pathlib import Path, PurePosixPath


def pick_notebook(paths, name):
    """The notebook to grade among ``paths`` (relative, POSIX) of a hand-in expecting ``name``.

    Returns ``(path, note)``: the notebook named ``name`` (wherever it sits), else the
    only notebook there is (``note`` says it was taken in its place). Raises ValueError
    saying why none can be chosen.
    """
    notebooks = [
        p
        for p in paths
        if p.lower().endswith(".ipynb") and ".ipynb_checkpoints" not in PurePosixPath(p).parts
    ]
    exact = [p for p in notebooks if PurePosixPath(p).name == name]
    if len(exact) == 1:
        return exact[0], "" if exact[0] == name else f"{exact[0]} used as {name}"
    if len(exact) > 1:
        raise ValueError(f"{len(exact)} copies of {name} inside")
    if len(notebooks) == 1:
        return notebooks[0], f"{notebooks[0]} used as {name}"
    if not notebooks:
        raise ValueError("no notebook inside")
    shown = ", ".join(notebooks[:4])
    raise ValueError(f"{len(notebooks)} notebooks and none named {name} ({shown})")


def place_notebook(folder, notebooks):
    """Make sure a submission folder holds each of ``notebooks`` (names) at its top level,
    copying a single misnamed or misplaced notebook there (the original stays).

    Returns '' or a note on what was copied; raises ValueError when it cannot be done.
    """
    folder = Path(folder)
    notes = []
    for name in notebooks:
        if (folder / name).is_file():
            continue
        paths = [p.relative_to(folder).as_posix() for p in folder.rglob("*.ipynb") if p.is_file()]
        found, _ = pick_notebook(paths, name)
        shutil.copy2(folder / found, folder / name)
        notes.append(f"graded {found} (copied to {name})")
    return "; ".join(notes)

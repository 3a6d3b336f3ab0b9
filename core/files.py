"""Files written whole or not at all."""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from core.textsafety import neutralise_formula


def write_atomically(out: Path, contents: dict[str, bytes]) -> list[Path]:
    """Stage every file under a temporary name in `out`, then move them all into place."""
    out.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for name, payload in contents.items():
            handle, staging = tempfile.mkstemp(prefix=f".{name}.", dir=out)
            with os.fdopen(handle, "wb") as stream:
                stream.write(payload)
            os.chmod(staging, 0o644)
            staged.append((Path(staging), out / name))
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, target in staged:
        os.replace(temporary, target)
    return [target for _, target in staged]


class FileExists(FileExistsError):
    """The target of a file that must never be overwritten exists already."""


@contextlib.contextmanager
def new_csv_file(target: Path, columns: list[str]) -> Iterator[Callable[[list[dict]], None]]:
    """Write rows to `target`, which appears only if the whole block succeeds and never replaces
    a file (survey links written to a file that is then lost could never be recreated).

    UTF-8 with a byte-order mark, so that spreadsheet and mail-merge tools read Chinese names;
    no cell a spreadsheet would run as a formula."""
    if target.exists():
        raise FileExists(f"{target} exists already; choose a new file (links are never overwritten)")
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8-sig", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=columns)
            writer.writeheader()
            yield lambda rows: writer.writerows(
                {k: neutralise_formula(v) for k, v in row.items()} for row in rows
            )
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)

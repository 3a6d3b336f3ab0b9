"""Files written whole or not at all."""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
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


class WriteFailed(OSError):
    """A folder of files could not be written; the message names the file and the folder, which
    was left as it was."""


def replace_folder(out: Path, contents: dict[str, bytes]) -> list[Path]:
    """Write `contents` (file name -> bytes) as the folder `out`, whole or not at all.

    The files are written into a new folder beside `out`, with every other file `out` holds
    linked in (so nothing of the user's is lost), then the new folder takes the place of the old
    one by renaming. On any failure (a full disk, a read-only folder) the staging folder is removed,
    `out` is left exactly as it was, and :class:`WriteFailed` names the file that failed."""
    out = out.absolute()
    if out.exists() and not out.is_dir():
        raise WriteFailed(f"{out} is a file, not a folder; nothing was changed")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    except OSError as exc:
        raise WriteFailed(
            f"cannot write into {out.parent}: {exc.strerror or exc}; nothing was changed"
        ) from None
    retired = out.parent / f".{out.name}.old-{staging.name.rsplit('-', 1)[-1]}"
    name = ""
    try:
        for name, payload in contents.items():
            with open(staging / name, "wb") as stream:
                stream.write(payload)
                stream.flush()
                os.fsync(stream.fileno())
        if out.is_dir():
            for entry in out.iterdir():
                if entry.name not in contents:
                    name = entry.name
                    _link_into(entry, staging / entry.name)
        os.chmod(staging, 0o755)
        name = ""
        if out.exists():
            os.rename(out, retired)
        try:
            os.rename(staging, out)
        except BaseException:
            if retired.exists():
                os.rename(retired, out)
            raise
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        what = f"cannot write {name} into {out}" if name else f"cannot replace {out}"
        raise WriteFailed(f"{what}: {exc.strerror or exc}; {out} was left as it was") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(retired, ignore_errors=True)
    return [out / name for name in contents]


def _link_into(source: Path, target: Path) -> None:
    """`source` (a file or a folder) at `target` too: hard links where the file system has them."""
    if source.is_dir() and not source.is_symlink():
        shutil.copytree(source, target, symlinks=True, copy_function=_link_or_copy)
    else:
        _link_or_copy(str(source), str(target))


def _link_or_copy(source: str, target: str) -> None:
    if os.path.islink(source):
        os.symlink(os.readlink(source), target)
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


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

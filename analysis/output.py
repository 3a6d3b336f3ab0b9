"""Writing result files so that a failure never leaves a half-written set behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


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

"""The double-materiality documentation against the code: every command the README's section
shows exists with the options it uses, and every file it says `materiality run` writes is
one the run writes."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

from cli import app
from render.dma_pack import DMA_PACK_FILES, DMA_RUN_FILES

ROOT = Path(__file__).resolve().parent.parent


def section(path: Path, heading: str) -> str:
    text = path.read_text(encoding="utf-8")
    start = text.index(f"## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end]


def test_readme_commands_exist_with_their_options():
    block = section(ROOT / "README.md", "Double materiality").split("```bash\n")[1].split("```")[0]
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.startswith("materiality ")]
    assert len(commands) >= 7
    runner = CliRunner()
    for command in commands:
        words = shlex.split(command)[1:]
        path = words[:2] if words[0] in ("iro", "dma") else words[:1]
        result = runner.invoke(app, [*path, "--help"], terminal_width=200)
        assert result.exit_code == 0, (command, result.output)
        for option in (w.split("=")[0] for w in words if w.startswith("--")):
            assert option in result.output, (command, option)


def test_files_named_in_the_docs_are_the_files_written():
    written = set(DMA_RUN_FILES) | set(DMA_PACK_FILES)
    docs = section(ROOT / "docs" / "double-materiality.md", "14. What `materiality run` writes")
    named = set(re.findall(r"`([a-z_]+\.(?:csv|svg|md|html|png|xlsx))`", docs))
    named |= (
        {f"dma_matrix.{ext}" for ext in ("png", "html")}
        if "`dma_matrix.svg`, `.png`, `.html`" in docs
        else set()
    )
    assert written <= named | {"report.xlsx"}, written - named

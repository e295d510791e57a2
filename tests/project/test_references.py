"""No comment, docstring, message or page points at a document outside the repository.

The project was specified from documents that are not in the repository; a
reader can follow only what the repository holds or what is public. Sources
are named by their public title instead (the call's API reference page, as
docs/fidelity.md lists them). Random seeds (chaos runs, hypothesis, rngs) are
another thing and stay free.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("operator/cloudnet", "operator/cloudnet_devkit", "tests", "bench", "docs", "examples")
FILES = ("README.md", "pyproject.toml", "Makefile", "Dockerfile")
CHARTS = ("deploy", "crds", "scripts")
SUFFIXES = {".py", ".md", ".yaml", ".yml", ".toml", ".txt", ".tpl", ".sh", ".json", ""}

#: Each written so that this file does not match itself.
OUTSIDE = {
    "a specification document by number": re.compile(r"\bseeds? \d{3}|\bseed-\d{3}|\bSEED_\d{3}"),
    "a specification document by name": re.compile(r"(?<![\w.])\(seeds?\)|\bseeds'\s"),
    "a file of another tree": re.compile(r"(?<![\w/.])shared[/]"),
    "a document the repository lacks": re.compile(r"\b(?:CLOUD_APIS|DESIGN|STYLE)[.]md\b"),
}


def _files() -> list[Path]:
    found = [ROOT / name for name in FILES]
    for folder in (*FOLDERS, *CHARTS):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in SUFFIXES and "__pycache__" not in path.parts:
                found.append(path)
    return found


def test_no_reference_points_outside_the_repository() -> None:
    files = _files()
    assert len(files) > 100
    hits = [
        f"{path.relative_to(ROOT)}:{number}: {what}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        for what, pattern in OUTSIDE.items()
        if pattern.search(line)
    ]
    assert not hits, "\n".join(hits)

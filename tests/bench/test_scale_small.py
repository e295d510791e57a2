"""The issue-11 benchmark, once at a small N: it keeps working (no figure is asserted).

Speed is measured by ``bench/scale.py`` as ratios against the no-op kopf
floor in the same run, never by a timed test: this only checks that the
command runs from a fresh clone and writes its report with every row.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmark_runs_at_a_small_n_and_writes_its_report(tmp_path: Path) -> None:
    report = tmp_path / "scale.md"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scale.py"), "--small", "--output", str(report)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = report.read_text()
    for row in ("P1", "P2", "P3", "P4", "P5"):
        assert f"| {row} |" in text, f"the report lacks its {row} rows"
    assert "no-op kopf floor" in text and "cloudnet run" in text
    assert (tmp_path / "scale.json").exists(), "the figures are kept as JSON"

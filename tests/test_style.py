"""The code base stays ruff clean (ruff comes with the test extra), and every
benchmark script is described where a reader looks for it."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff(command):
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    result = subprocess.run([ruff, *command, "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_benchmark_script_is_in_the_benchmarks_readme():
    """A script missing from ``benchmarks/README.md`` is one no reader finds
    (ten were, until the fifty-fifth session)."""
    listed = (ROOT / "benchmarks" / "README.md").read_text()
    scripts = sorted(p.name for p in (ROOT / "benchmarks").iterdir() if p.suffix in (".py", ".sh"))
    assert scripts, "no benchmark scripts found"
    assert [name for name in scripts if f"`{name}`" not in listed] == []

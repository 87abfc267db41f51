"""The command line: documented, thin, and honest about exit codes."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from dma_publish.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _options(command) -> list[str]:
    return sorted(
        opt
        for param in command.params
        for opt in getattr(param, "opts", [])
        if opt.startswith("--")
    )


def test_every_build_option_is_documented_in_readme():
    for opt in _options(cli.commands["build"]):
        assert f"`{opt}" in README, f"{opt} is not documented in README.md"


def test_every_command_is_documented_in_readme():
    for name in cli.commands:
        assert f"dma-publish {name}" in README, f"command {name} is not in README.md"


def test_readme_gives_the_two_commands_and_ci_calls_the_test_one():
    assert "bash scripts/build.sh" in README and "bash scripts/test.sh" in README
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_build_py_runs_the_build_subcommand():
    text = (ROOT / "build.py").read_text(encoding="utf-8")
    assert re.search(r'main\(\["build"', text)


def test_check_only_reports_counts_and_reconciliation(tmp_path):
    result = CliRunner().invoke(
        cli, ["build", "--check-only", "--report", str(tmp_path / "report.csv")]
    )
    assert result.exit_code == 0, result.output
    assert "reconciliation: answer rows read" in result.output
    assert "205 trusts, 42 ICBs, 7 regions" in result.output
    assert (tmp_path / "report.csv").exists()


def test_bad_input_exits_2_naming_the_file(tmp_path):
    # A copy of the inputs whose 2025 returns file is empty (the returns themselves are not
    # needed: the empty file stops the build as it is read).
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("dma-returns-*.csv"))
    (data / "returns").mkdir(exist_ok=True)
    (data / "returns" / "dma-returns-2025.csv").write_bytes(b"")
    result = CliRunner().invoke(
        cli, ["build", "--check-only", "--data", str(data), "--report", str(tmp_path / "r.csv")]
    )
    assert result.exit_code == 2, result.output
    assert "dma-returns-2025.csv" in result.output
    assert "[empty_file]" in result.output

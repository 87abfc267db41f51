"""Progress while a build runs: bars on a terminal, plain stage lines in CI or a pipe, nothing
with --quiet; reporting never changes what is built."""

from __future__ import annotations

import io
import threading

from click.testing import CliRunner

from dma_publish.cli import cli
from dma_publish.progress import Progress, StageLog


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_choose_bar_on_a_terminal_plain_in_ci_or_a_pipe_and_quiet(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert Progress.choose(stream=Terminal()).mode == "bar"
    assert Progress.choose(stream=io.StringIO()).mode == "plain"
    assert Progress.choose(quiet=True, stream=Terminal()).mode == "quiet"
    monkeypatch.setenv("CI", "true")
    assert Progress.choose(stream=Terminal()).mode == "plain"


def test_plain_mode_prints_one_line_per_stage_with_its_count_and_time():
    out = io.StringIO()
    log = StageLog(progress=Progress("plain", out))
    with log.stage("pages") as stage:
        stage.count(398, "pages")
    with log.stage("chart files") as stage:
        stage.total(3, "charts")
        for _ in range(3):
            stage.advance()
    with log.stage("suppress"):
        pass
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("pages") and "398 pages, " in lines[0] and lines[0].endswith(" s")
    assert "3 charts, " in lines[1]
    assert lines[2].startswith("suppress") and "," not in lines[2]
    assert "\r" not in out.getvalue() and "\033" not in out.getvalue()
    assert [name for name, _, _ in log.stages] == ["pages", "chart files", "suppress"]


def test_bar_mode_draws_a_bar_then_replaces_it_with_the_stage_line(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    out = Terminal()
    log = StageLog(progress=Progress.choose(stream=out))
    with log.stage("mkdocs") as stage:
        stage.total(40, "pages")
        workers = [
            threading.Thread(target=lambda: [stage.advance() for _ in range(10)]) for _ in range(4)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    text = out.getvalue()
    assert "40/40" in text  # the bar counted every page, from four threads
    # the bar's line is cleared (and the cursor shown again), then the stage's line is written
    last = text.rsplit("\r\033[K\033[?25h", 1)[-1]
    assert last.startswith("mkdocs") and "40 pages, " in last and last.count("\n") == 1


def test_a_failed_stage_ends_its_bar_line_and_is_not_logged(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    out = Terminal()
    log = StageLog(progress=Progress.choose(stream=out))
    try:
        with log.stage("chart files") as stage:
            stage.total(5, "charts")
            stage.advance()
            raise OSError("disk full")
    except OSError:
        pass
    assert out.getvalue().endswith("\n")
    assert log.stages == []


def test_quiet_mode_prints_nothing():
    out = io.StringIO()
    log = StageLog(progress=Progress("quiet", out))
    with log.stage("pages") as stage:
        stage.total(10, "pages")
        stage.advance(10)
    assert out.getvalue() == ""


def test_build_quiet_prints_nothing_and_plain_prints_stage_lines(tmp_path):
    args = ["build", "--check-only", "--report", str(tmp_path / "report.csv")]
    quiet = CliRunner().invoke(cli, [*args, "--quiet"])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.output == ""
    assert (tmp_path / "report.csv").exists()
    piped = CliRunner().invoke(cli, args)
    assert piped.exit_code == 0, piped.output
    lines = piped.output.splitlines()
    for name, unit in (("load", "files"), ("validate", "returns"), ("score", "domain scores")):
        assert any(line.startswith(name) and f" {unit}, " in line for line in lines), name
    assert "\033" not in piped.output

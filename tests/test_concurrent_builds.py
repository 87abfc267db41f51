"""Builds that run at the same time, are killed part way, or fill the disk (issue 15): the
published folder always holds one whole release, and every build says what happened.

The publish stage under test is the real one (lock, work folder, swap); the stages before it
are replaced, in real separate processes, by a quick one that writes a known set of files, so
that "whole" can be checked by listing the folder at any instant.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import fakes
import pytest

from dma_publish import pipeline, sitebuild, sitedir
from dma_publish.errors import PublishError

ROOT = Path(__file__).resolve().parent.parent
N_FILES = 300

# One build in a process of its own: the real pipeline.publish, with a stand-in for the data,
# charts, pages and mkdocs stages that writes N_FILES files and an index naming the build. Half
# way through it waits for a gate file, so the test decides what overlaps what (no timing).
BUILD = """
import sys, time, types
from pathlib import Path
from dma_publish import api_versions, charts, opendata, pages, pipeline, sitebuild

site, name, n_files, gate = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
opendata.publication_tables = lambda *a, **k: {}
opendata.write_open_data = lambda *a, **k: []
api_versions.write_api_versions = lambda *a, **k: []
charts.build_all = lambda *a, **k: {}
charts.write_chart_assets = lambda *a, **k: None
charts.write_chart_files = lambda *a, **k: {}
pages.build_pages = lambda *a, **k: {}
pages.save_pages = lambda *a, **k: []

def mkdocs_build(config, staging, extra, docs_dir=None, **_):
    staging = Path(staging)
    staging.mkdir(parents=True)
    for i in range(n_files):
        (staging / f"page{i:04d}.html").write_text(f"{name} {i}", encoding="utf-8")
        if i == n_files // 2:
            print("building", flush=True)
            while gate != "-" and not Path(gate).exists():  # held here until the test opens it
                time.sleep(0.01)
    (staging / "index.html").write_text(name, encoding="utf-8")

sitebuild.mkdocs_build = mkdocs_build
sys.path.insert(0, TESTS_DIR)
import fakes
pub = fakes.publication(scores=fakes.scores(domain_scores=fakes.one_domain_score()))
pipeline.publish(pub, site_dir=site, echo=lambda text: print(text, flush=True))
print("published", name, flush=True)
"""


class Build:
    """A build in its own process; its output lines are collected as they come."""

    def __init__(self, script: Path, site: Path, name: str, gate: Path | None = None) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_MKDOCS_2_WARNING": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, str(script), str(site), name, str(N_FILES), str(gate or "-")],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.strip())

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def finish(self) -> tuple[int, str]:
        stderr = self.proc.stderr.read()
        self.proc.wait(timeout=300)
        self._reader.join(timeout=60)
        return self.proc.returncode, stderr


def _previous_site(site: Path) -> set[str]:
    site.mkdir(parents=True)
    (site / "index.html").write_text("previous", encoding="utf-8")
    (site / "old.html").write_text("previous page", encoding="utf-8")
    return {"index.html", "old.html"}


class Watcher(threading.Thread):
    """Lists the published folder as fast as it can; records every state that is not a whole
    release (the previous one, or one build's complete set of files)."""

    def __init__(self, site: Path, previous: set[str]) -> None:
        super().__init__(daemon=True)
        self.site, self.previous = site, previous
        self.whole = {"index.html", *(f"page{i:04d}.html" for i in range(N_FILES))}
        self.bad: list[str] = []
        self.samples = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                fd = os.open(self.site, os.O_RDONLY | os.O_DIRECTORY)
            except FileNotFoundError:
                self.bad.append("no site at all")
                continue
            try:
                names = set(os.listdir(fd))
                inode = os.fstat(fd).st_ino
            finally:
                os.close(fd)
            self.samples += 1
            # A listing begun just before the swap reads the retired release as it is removed:
            # what the path shows is judged only when it still names the folder that was read.
            if names not in (self.previous, self.whole) and os.stat(self.site).st_ino == inode:
                self.bad.append(f"{len(names)} files")


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "build.py"
    path.write_text(BUILD.replace("TESTS_DIR", repr(str(ROOT / "tests"))), encoding="utf-8")
    return path


def _wait_for(condition: Any, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in ("site", "build.py"))


def test_two_builds_at_once_publish_one_whole_site_after_the_other(tmp_path, script) -> None:
    site, gate = tmp_path / "site", tmp_path / "gate"
    watcher = Watcher(site, _previous_site(site))
    watcher.start()
    first = Build(script, site, "first", gate)
    _wait_for(lambda: first.said("building"), "the first build to reach its mkdocs stage")
    second = Build(script, site, "second")
    _wait_for(lambda: second.said("waiting for it to finish"), "the second build to wait")
    assert not second.said("building")  # it waits before doing any work
    gate.touch()
    results = [first.finish(), second.finish()]
    watcher.stop.set()
    watcher.join()
    assert [code for code, _ in results] == [0, 0], results
    assert first.said("published first") and second.said("published second")
    assert (site / "index.html").read_text(encoding="utf-8") == "second"
    assert watcher.samples > 10 and watcher.bad == [], watcher.bad[:10]
    assert _leftovers(tmp_path) == [".site.lock", "gate"]


def test_a_build_killed_during_another_leaves_a_whole_site(tmp_path, script) -> None:
    site = tmp_path / "site"
    watcher = Watcher(site, _previous_site(site))
    watcher.start()
    first = Build(script, site, "first", tmp_path / "never-opened")
    _wait_for(lambda: first.said("building"), "the first build to reach its mkdocs stage")
    second = Build(script, site, "second")
    _wait_for(lambda: second.said("waiting for it to finish"), "the second build to wait")
    os.kill(first.proc.pid, signal.SIGKILL)
    first_code, _ = first.finish()
    second_code, err = second.finish()
    watcher.stop.set()
    watcher.join()
    assert first_code == -signal.SIGKILL
    assert second_code == 0, err
    assert (site / "index.html").read_text(encoding="utf-8") == "second"
    assert watcher.bad == [], watcher.bad[:10]
    # the killed build's half-written work folder was cleared by the next build
    assert _leftovers(tmp_path) == [".site.lock"]


def test_swap_is_one_exchange_where_the_system_offers_it(tmp_path: Path) -> None:
    new, site = tmp_path / "new", tmp_path / "site"
    new.mkdir()
    (new / "index.html").write_text("new", encoding="utf-8")
    _previous_site(site)
    sitedir.swap_in(new, site)
    assert sorted(os.listdir(site)) == ["index.html"]
    assert (site / "index.html").read_text(encoding="utf-8") == "new"
    assert sorted(os.listdir(tmp_path)) == ["site"]


def _stub_stages(monkeypatch: pytest.MonkeyPatch, seen: dict[str, Path]) -> None:
    from dma_publish import api_versions, charts, opendata, pages

    monkeypatch.setattr(opendata, "publication_tables", lambda *a, **k: {})
    monkeypatch.setattr(opendata, "write_open_data", lambda *a, **k: [])
    monkeypatch.setattr(api_versions, "write_api_versions", lambda *a, **k: [])
    monkeypatch.setattr(charts, "build_all", lambda *a, **k: {})
    monkeypatch.setattr(charts, "write_chart_assets", lambda *a, **k: None)
    monkeypatch.setattr(charts, "write_chart_files", lambda *a, **k: {})

    def save_pages(pub: Any, docs_dir: Path, *args: Any, **kwargs: Any) -> list[str]:
        seen["docs"] = Path(docs_dir)
        (Path(docs_dir) / "index.md").write_text("# generated\n", encoding="utf-8")
        return ["index.md"]

    def mkdocs_build(
        config: Path, staging: Path, extra: dict, docs_dir: Path | None = None, **_: Any
    ) -> None:
        Path(staging).mkdir(parents=True)
        (Path(staging) / "index.html").write_text("new", encoding="utf-8")

    monkeypatch.setattr(pages, "build_pages", lambda *a, **k: {})
    monkeypatch.setattr(pages, "save_pages", save_pages)
    monkeypatch.setattr(sitebuild, "mkdocs_build", mkdocs_build)


def _pub() -> Any:
    return fakes.publication(scores=fakes.scores(domain_scores=fakes.one_domain_score()))


def test_pages_are_generated_in_the_builds_own_folder_not_the_checkout(
    monkeypatch, tmp_path: Path
) -> None:
    seen: dict[str, Path] = {}
    _stub_stages(monkeypatch, seen)
    checkout_docs = ROOT / "dma_publish" / "site_src"
    before = sorted(p.relative_to(checkout_docs).as_posix() for p in checkout_docs.rglob("*"))
    pipeline.publish(_pub(), site_dir=tmp_path / "site")
    after = sorted(p.relative_to(checkout_docs).as_posix() for p in checkout_docs.rglob("*"))
    assert seen["docs"].parent.name.startswith(".site.work-")
    assert seen["docs"].parent.parent == tmp_path
    assert not seen["docs"].exists()  # removed with the work folder
    assert before == after
    assert (tmp_path / "site" / "index.html").read_text(encoding="utf-8") == "new"


def test_disk_full_is_a_clear_error_and_leaves_nothing_behind(monkeypatch, tmp_path: Path) -> None:
    """A write that fails for lack of space stops the build as a PublishError naming the path;
    the work folder goes and the site stays. (A real full disk: test_full_disk_from_the_cli.)"""
    seen: dict[str, Path] = {}
    _stub_stages(monkeypatch, seen)
    from dma_publish import pages

    def full(pub: Any, docs_dir: Path, *args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(Path(docs_dir) / "index.md"))

    monkeypatch.setattr(pages, "save_pages", full)
    site = tmp_path / "site"
    previous = _previous_site(site)
    with pytest.raises(PublishError, match="No space left on device .*index.md"):
        pipeline.publish(_pub(), site_dir=site)
    assert set(os.listdir(site)) == previous
    assert _leftovers(tmp_path) == [".site.lock"]


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Any:
    """A 3 MiB file system (tmpfs), where a real build runs out of space."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_from_the_cli(tiny_disk: Path, tmp_path: Path) -> None:
    site = tiny_disk / "site"
    previous = _previous_site(site)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--site", str(site),
         "--report", str(tmp_path / "report.csv")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert "No space left on device" in done.stderr and str(tiny_disk) in done.stderr
    assert "the published site is unchanged" in done.stderr
    assert set(os.listdir(site)) == previous
    assert sorted(os.listdir(tiny_disk)) == [".site.lock", "site"]  # the work folder is gone

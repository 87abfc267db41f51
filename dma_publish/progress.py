"""How a build shows its progress: the stage log (wall time and peak memory of each stage) and
what the terminal sees while it runs.

Three ways to report, chosen once per build (`Progress.choose`):

- ``bar``: standard error is a terminal and ``CI`` is not set: a progress bar per stage that
  counts what the stage makes (pages, charts, files), drawn by click's progress bar, replaced
  by a line with the count and the stage's time when the stage ends;
- ``plain``: in CI or when piped: one line per stage as it ends (count and time), no control
  characters;
- ``quiet`` (``--quiet``): nothing.

A stage reports through the `Stage` it is given: `total` (how many items it will make; a bar
appears), `advance` (one or more made; safe from any thread) and `count` (how many it made,
when it has no bar to draw). Reporting never changes what a build writes.
"""

from __future__ import annotations

import os
import resource
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, TextIO

import click

Mode = Literal["bar", "plain", "quiet"]
NAME_WIDTH = 16
CLEAR_LINE = "\r\033[K\033[?25h"  # back to the line's start, clear it, show the cursor again


@dataclass
class Progress:
    """Where and how stage progress is shown."""

    mode: Mode = "quiet"
    stream: TextIO | None = None

    @classmethod
    def choose(cls, quiet: bool = False, stream: TextIO | None = None) -> Progress:
        """Bars on a terminal, plain lines in CI or a pipe, nothing with `quiet`."""
        stream = stream if stream is not None else sys.stderr
        if quiet:
            return cls("quiet", stream)
        on_terminal = bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("CI")
        return cls("bar" if on_terminal else "plain", stream)

    def write(self, text: str) -> None:
        """One line of progress (nothing when quiet)."""
        if self.mode != "quiet" and self.stream is not None:
            self.stream.write(text + "\n")
            self.stream.flush()


class Stage:
    """One running stage's counter, given to the code the stage runs."""

    def __init__(self, name: str, progress: Progress) -> None:
        self.name = name
        self.progress = progress
        self.unit = ""
        self.done = 0
        self._bar: Any = None
        self._lock = threading.Lock()

    def total(self, n: int, unit: str) -> None:
        """The stage will make `n` items of `unit` (for example 391 "pages"): start its bar."""
        self.unit = unit
        if self.progress.mode == "bar" and n > 0 and self._bar is None:
            bar = click.progressbar(
                length=n,
                label=f"{self.name:<{NAME_WIDTH}}",
                file=self.progress.stream,
                show_eta=True,
                show_pos=True,
                width=30,
            )
            bar.__enter__()
            self._bar = bar

    def advance(self, n: int = 1) -> None:
        """`n` more items made (called from any thread)."""
        with self._lock:
            self.done += n
            if self._bar is not None:
                self._bar.update(n)

    def count(self, n: int, unit: str) -> None:
        """The stage made `n` items of `unit` (for stages that draw no bar)."""
        with self._lock:
            self.done, self.unit = n, unit

    def abandon(self) -> None:
        """The stage failed: end its bar's line, so the error is printed on a line of its own."""
        if self._bar is not None:
            self.progress.stream.write("\n")  # type: ignore[union-attr]
            self._bar = None

    def finish(self, seconds: float) -> None:
        """Replace the bar (if any) with the stage's line: what it made and how long it took."""
        made = f"{self.done:,} {self.unit}, " if self.unit else ""
        line = f"{self.name:<{NAME_WIDTH}} {made}{seconds:.2f} s"
        if self._bar is not None:
            self.progress.stream.write(CLEAR_LINE)  # type: ignore[union-attr]
            self._bar = None
        self.progress.write(line)


@dataclass
class StageLog:
    """Wall time and peak memory of each stage, for the build summary and the benchmark, and
    the progress shown while each runs."""

    stages: list[tuple[str, float, int]] = field(default_factory=list)
    progress: Progress = field(default_factory=Progress)

    @contextmanager
    def stage(self, name: str) -> Iterator[Stage]:
        """Time a stage; record the process's peak resident memory after it (bytes)."""
        running = Stage(name, self.progress)
        start = time.perf_counter()
        try:
            yield running
        except BaseException:
            running.abandon()
            raise
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        self.stages.append((name, seconds, peak))
        running.finish(seconds)

    def format(self) -> str:
        """One line per stage: seconds and peak memory."""
        return "\n".join(
            f"  {name:<{NAME_WIDTH}} {secs:7.2f} s   peak {peak / 2**20:7.0f} MiB"
            for name, secs, peak in self.stages
        )

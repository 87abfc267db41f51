"""The published folder's IO: one build at a time per target, a private work folder per build,
and an atomic swap, so that a reader of `site/` sees the old release or the new one, whole,
and never a mixture, whatever else runs at the same time or is killed part way.

- `locked_target(site)`: holds an exclusive lock on `.<site>.lock` beside the target for the
  whole publish (a second build waits, saying so), removes what killed builds left, and gives
  the build its own work folder `.<site>.work-XXXX/` beside the target (same file system, so
  the swap is a rename), removed when the build ends, however it ends;
- `swap_in(new, site)`: exchanges the two folders in one system call where Linux offers it
  (renameat2 RENAME_EXCHANGE), else with two renames.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def lock_path(site_dir: Path) -> Path:
    return site_dir.with_name(f".{site_dir.name}.lock")


def work_prefix(site_dir: Path) -> str:
    return f".{site_dir.name}.work-"


def leftovers(site_dir: Path) -> list[Path]:
    """Work folders of builds into site_dir that were killed (and, from old versions, their
    staging and `.old` folders)."""
    parent = site_dir.parent
    found = sorted(parent.glob(work_prefix(site_dir) + "*"))
    for legacy in (f".{site_dir.name}.building", f"{site_dir.name}.old"):
        if (parent / legacy).exists():
            found.append(parent / legacy)
    return found


@contextmanager
def locked_target(site_dir: Path, echo: Callable[[str], object] = print) -> Iterator[Path]:
    """Hold the target's lock, clear killed builds' leftovers, and yield a private work folder."""
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path(site_dir), "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            echo(f"another build is publishing to {site_dir}: waiting for it to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        # Holding the lock, no other build into this target is alive: what is left is stale.
        for path in leftovers(site_dir):
            shutil.rmtree(path, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix=work_prefix(site_dir), dir=site_dir.parent))
        try:
            yield work
        finally:
            shutil.rmtree(work, ignore_errors=True)
            # the lock is released when the handle closes (or the process dies)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EPERM):
        return False  # not offered by this kernel or file system
    raise OSError(code, os.strerror(code), str(b))


def swap_in(new_site: Path, site_dir: Path) -> None:
    """Put new_site where site_dir is, at once; the old site is then removed."""
    if not site_dir.exists():
        new_site.rename(site_dir)
        return
    if not site_dir.is_dir() or site_dir.is_symlink():
        raise NotADirectoryError(errno.ENOTDIR, "the target is not a folder", str(site_dir))
    if _exchange(new_site, site_dir):
        shutil.rmtree(new_site)  # it now holds the previous release
        return
    old = new_site.with_name(new_site.name + ".old")
    site_dir.rename(old)
    new_site.rename(site_dir)
    shutil.rmtree(old)

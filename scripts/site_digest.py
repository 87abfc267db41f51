"""Print a digest of a built site: the sha256 of every file, then one digest of them all.

    .venv/bin/python scripts/site_digest.py site > before.txt
    ... change something that should not change the output, build again ...
    .venv/bin/python scripts/site_digest.py site | diff before.txt -

The last line (`site <sha256>`) is the digest of the whole listing: two builds are
byte-identical when it is the same. `--summary` prints only that line.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path


def file_digests(site: Path) -> list[tuple[str, str]]:
    """(path relative to the site, sha256 of its bytes) for every file, in path order."""
    rows = []
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        rows.append(
            (path.relative_to(site).as_posix(), hashlib.sha256(path.read_bytes()).hexdigest())
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="a built site folder")
    parser.add_argument("--summary", action="store_true", help="print only the whole-site digest")
    args = parser.parse_args()
    if not args.site.is_dir():
        print(f"{args.site}: not a folder", file=sys.stderr)
        return 2
    rows = file_digests(args.site)
    listing = "".join(f"{digest}  {name}\n" for name, digest in rows)
    if not args.summary:
        sys.stdout.write(listing)
    whole = hashlib.sha256(listing.encode("utf-8")).hexdigest()
    print(f"site {whole} ({len(rows)} files)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

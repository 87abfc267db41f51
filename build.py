"""Build the whole publication: `python build.py` is `dma-publish build` (same options)."""

import sys

from dma_publish.cli import main

if __name__ == "__main__":
    main(["build", *sys.argv[1:]])

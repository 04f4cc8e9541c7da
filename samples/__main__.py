"""`python -m samples [OUT_DIR]`: build the sample standard (default samples/out/), print what was written."""

from __future__ import annotations

import sys
from pathlib import Path

from samples.standard import build_sample_standard


def main(argv: list[str]) -> int:
    out_dir = Path(argv[0]) if argv else Path(__file__).resolve().parent / "out"
    sample = build_sample_standard(out_dir)
    print(f"{sample.pdf} ({sample.page_count} pages)")
    print(sample.xsd)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

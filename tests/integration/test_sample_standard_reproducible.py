"""The sample standard is built to the same bytes in this process and in another one."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from samples.standard import PDF_NAME, build_sample_standard

REPO = Path(__file__).resolve().parents[2]


def test_two_builds_write_identical_bytes_even_in_another_process(sample, tmp_path: Path) -> None:
    script = "import sys; from pathlib import Path; from samples.standard import build_sample_standard as b; "
    script += "b(Path(sys.argv[1]))"
    env = {**os.environ, "PYTHONHASHSEED": "7"}
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True, cwd=REPO, env=env)
    again = build_sample_standard(tmp_path / "again")
    digests = {
        hashlib.sha256(pdf.read_bytes()).hexdigest() for pdf in (sample.pdf, again.pdf, tmp_path / PDF_NAME)
    }
    assert len(digests) == 1
    assert sample.xsd.read_bytes() == again.xsd.read_bytes()
    assert (again.outline, again.page_count) == (sample.outline, sample.page_count)

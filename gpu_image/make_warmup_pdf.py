"""Write `gpu_image/warmup.pdf`: the one-page PDF a worker parses at boot to load its engine.

Deterministic (reportlab invariant mode, built-in fonts, no compression): rerunning it rewrites the same
bytes, which `tests/unit/test_gpu_image_files.py` checks. Run: `python -m gpu_image.make_warmup_pdf`.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

WARMUP_PDF = Path(__file__).resolve().parent / "warmup.pdf"


def warmup_pdf_bytes() -> bytes:
    """A heading, two paragraphs and a small ruled table: text, layout and table paths all run once."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    styles = getSampleStyleSheet()
    table = Table([["Field", "Meaning"], ["tier", "engine tier"], ["pages", "0-based, inclusive"]])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    story = [
        Paragraph("1 Warmup", styles["Heading1"]),
        Paragraph("This page loads the engine before the worker takes its first job.", styles["BodyText"]),
        Paragraph("1.1 Scope", styles["Heading2"]),
        Paragraph("A short paragraph, then a ruled table with three rows.", styles["BodyText"]),
        table,
    ]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, invariant=1, pageCompression=0, title="warmup", creator="gpu_image"
    )
    document.build(story)
    return buffer.getvalue()


def main() -> int:
    WARMUP_PDF.write_bytes(warmup_pdf_bytes())
    print(f"wrote {WARMUP_PDF} ({WARMUP_PDF.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

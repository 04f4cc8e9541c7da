"""A page drawn with more vector paths than MinerU's analysis can take: the worker parses it with its drawing
flattened to an image, says so in the job's result and its span, and the stored batch keeps every line of
its text, its drawing as one figure, and the page in its manifest; on a real page, its headings and code
stay out of its figures."""

from __future__ import annotations

import base64
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from gpu_image.worker.job import run_job
from gpu_image.worker.parse import parse_pdf
from gpu_image.worker.vector_pages import PATH_LIMIT
from platform_assets.domain.parse.adapters import blocks_from_middle_json
from platform_assets.domain.parse.batch_store import BatchFingerprint, batch_dir, read_blocks, store_batch
from platform_assets.domain.parse.blocks import BlockKind
from telemetry import active, configure
from tests.otlp_receiver import OtlpReceiver
from tests.vector_drawings import ABOVE, BELOW, build_drawing_pdf
from worker_contract.contract import JobOutput

pytestmark = pytest.mark.slow


def test_a_page_of_too_many_paths_parses_flattened_and_the_batch_says_so(
    tmp_path: Path, otlp: OtlpReceiver
) -> None:
    configure("mineru-worker", {"worker.id": "w-test"})
    pdf = build_drawing_pdf(tmp_path / "plot.pdf", PATH_LIMIT + 1_000)
    output = JobOutput.model_validate(
        run_job({"input": {"volume_path": str(pdf), "start_page": 0, "end_page": 0, "tier": "flash"}})
    )
    [result] = output.results
    assert result.flattened_pages == [0] and result.tarball_b64 is not None
    active().flush()
    [job] = [span for span in otlp.spans() if span.name == "mineru.job"]
    assert job.attributes["mineru.flattened_pages"] == 1

    fingerprint = BatchFingerprint(
        pdf_sha256="0" * 64, first_page=0, last_page=0, engine_version=output.mineru_version, tier="flash"
    )
    folder = batch_dir(tmp_path / "batches", "doc", "doc~b001")
    manifest, _ = store_batch(
        folder,
        key="doc~b001",
        doc_id="doc",
        fingerprint=fingerprint,
        archive=base64.b64decode(result.tarball_b64),
        archive_format=result.archive_format,
        flattened_pages=result.flattened_pages,
    )
    assert manifest.flattened_pages == [0]
    blocks = read_blocks(folder)
    text = " ".join(" ".join(block.text for block in blocks).split())
    assert all(line in text for line in ABOVE + BELOW)
    assert [block.kind for block in blocks].count(BlockKind.IMAGE) == 1


def test_a_real_page_of_11_698_paths_keeps_its_headings_and_code_out_of_its_figures(extra_pdfs: Path) -> None:
    """VisualPSTricks p221: eight 3D figures between two headings and their code lines."""
    pdf, page = extra_pdfs / "tl-visualpstricks.pdf", 220
    parsed = parse_pdf(pdf, "flash", page, page)
    assert parsed.flattened_pages == (page,)
    blocks = blocks_from_middle_json(parsed.result.to_dict())
    headings = [block for block in blocks if block.kind == BlockKind.HEADING]
    assert [block.text for block in headings] == ["38.0.3 showInside", "38.0.4 SegmentColor"]
    prose = " ".join(" ".join(b.text for b in blocks if b.kind != BlockKind.IMAGE).split())
    printed = pdfium.PdfDocument(pdf)[page].get_textpage().get_text_range().splitlines()
    code = [" ".join(line.split()) for line in printed if line.startswith("\\")]
    assert len(code) == 5 and [line for line in code if line not in prose] == []
    figures = [block.bbox for block in blocks if block.kind == BlockKind.IMAGE]
    assert len(figures) >= 2
    assert not any(inside(heading.bbox, figure) for heading in headings for figure in figures)


def inside(box: tuple[float, ...] | None, outer: tuple[float, ...] | None) -> bool:
    if box is None or outer is None:
        return False
    return outer[0] <= box[0] and outer[1] <= box[1] and box[2] <= outer[2] and box[3] <= outer[3]

"""The PDF reads of one document's verification, the text layer of its pages (the source check) and
pdfplumber's tables (the table check), in a worker pool where the document is large enough to repay one.

Invariant: the checks get what reading serially gives, page for page and in page order; only where and when
the pages are read changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from platform_assets.domain.common.worker_pool import contiguous_chunks, process_pool, usable_cores
from platform_assets.domain.pdf.pdf_text import PageText, PageWords
from platform_assets.domain.verify.table_check import TableRead, read_table_pages

TABLE_PAGE_SECONDS = 0.07
"""pdfplumber's ruled tables of one page: 52-93 ms measured on corpus manuals."""
TEXT_PAGE_SECONDS = 0.003
"""One page's text layer from PDFium, normalized: 2.5-3.9 ms measured."""
MIN_POOLED_SECONDS = 2.0
"""A read estimated under this stays serial: a pool costs about a second of a core to start (a fork server
importing pdfplumber, 0.55 s, then its workers) and saves at most what the main process cannot overlap."""
TEXT_CHUNK = 32
"""Pages of the text layer one task reads (about 0.1 s)."""
TABLE_CHUNKS_PER_WORKER = 2
"""Table tasks per worker: pages differ in cost, so a worker done early takes another's second chunk."""
SMALLEST_TABLE_CHUNK = 4
"""Fewest pages a table task reads: each opens a page subset with pdfplumber once."""
TEXT_READERS = 2
"""Workers reading the text layer: the source check walks a page in about half the time one takes to read
it (1.9 ms against 3.9 ms on tl-source2e), so two keep up with it."""
TEXT_CHUNKS_AHEAD = 2
"""Text chunks per reader read ahead of the page the source check asks for: memory grows with the readers,
not with the document."""
TEXT_CHUNKS_KEPT = 8
"""Text chunks kept behind the one asked for last (256 pages, a few MB): the check asks again for pages of a
long clause that left its cache of 64, and gets them without reading them again."""


@dataclass(frozen=True)
class ReadPlan:
    """Processes reading the text layer and the table pages; none (0): read here, serially."""

    text_readers: int
    table_workers: int

    @classmethod
    def of(cls, page_count: int, table_pages: int, workers: int | None = None) -> ReadPlan:
        """`workers` processes for each read (the text layer: at most `TEXT_READERS`; under two: none),
        or where None, the usable cores for each read estimated to take `MIN_POOLED_SECONDS` or more."""
        if workers is not None:
            pooled = workers if workers > 1 else 0
            return cls(min(pooled, TEXT_READERS), pooled)
        cores = usable_cores()
        if cores < 2:
            return cls(0, 0)
        text = page_count * TEXT_PAGE_SECONDS >= MIN_POOLED_SECONDS
        tables = table_pages * TABLE_PAGE_SECONDS >= MIN_POOLED_SECONDS
        return cls(min(cores, TEXT_READERS) if text else 0, cores if tables else 0)


def read_text_pages(pdf_path: Path, start: int, stop: int) -> list[PageText]:
    """Pages `start` to `stop` (excluded) of the text layer, as `PageWords` reads them."""
    with PageWords(pdf_path, cache_pages=1) as pages:
        return [pages.page(index) for index in range(start, stop)]


class DocumentReads:
    """A document's pages for the source check (`pages`) and its tables for the table check (`tables()`),
    read as `plan` says: in worker processes while the main process checks, or here, serially.

    The table pages are read from the start; the text layer just ahead of the check, by a pool of its own,
    so a page the check waits for never queues behind a table.
    """

    def __init__(self, pdf_path: Path, table_pages: Sequence[int], plan: ReadPlan) -> None:
        self._pdf_path, self._table_pages = pdf_path, list(table_pages)
        self._pools: list[ProcessPoolExecutor] = []
        self._tables: list[Future[TableRead]] = []
        if plan.text_readers:
            self._pools.append(text_pool := process_pool(plan.text_readers, [__name__]))
            self.pages = _PrefetchedPages(pdf_path, text_pool, TEXT_CHUNKS_AHEAD * plan.text_readers)
        else:
            self.pages = PageWords(pdf_path)
        chunks = contiguous_chunks(
            self._table_pages, TABLE_CHUNKS_PER_WORKER * plan.table_workers, SMALLEST_TABLE_CHUNK
        )
        if plan.table_workers and chunks:
            self._pools.append(table_pool := process_pool(plan.table_workers, [__name__]))
            self._tables = [table_pool.submit(read_table_pages, pdf_path, chunk) for chunk in chunks]

    def tables(self) -> TableRead:
        """pdfplumber's tables of the table pages, in page order, and the seconds reading them took."""
        if not self._tables:
            return read_table_pages(self._pdf_path, self._table_pages)
        reads = [future.result() for future in self._tables]
        tables = [table for read in reads for table in read.tables]
        return TableRead(tables, sum(read.seconds for read in reads))

    def close(self) -> None:
        self.pages.close()
        for pool in self._pools:
            pool.shutdown(cancel_futures=True)

    def __enter__(self) -> DocumentReads:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


class _PrefetchedPages(PageWords):
    """`PageWords` whose pages the pool reads `TEXT_CHUNK` at a time in page order, up to `ahead` chunks
    past the page asked for last, kept `TEXT_CHUNKS_KEPT` chunks behind it. A page of a chunk no worker had
    started when it was asked for, or asked for again once dropped, is read here."""

    def __init__(self, pdf_path: Path, pool: ProcessPoolExecutor, ahead: int) -> None:
        super().__init__(pdf_path)
        self._pdf_path, self._pool, self._ahead = pdf_path, pool, ahead
        self._chunks: dict[int, Future[list[PageText]]] = {}
        self._ready: dict[int, PageText] = {}
        self._submitted = 0
        self._submit_before(ahead)

    def _submit_before(self, chunk: int) -> None:
        last = min(chunk, -(-self.page_count // TEXT_CHUNK))
        while self._submitted < last:
            start = self._submitted * TEXT_CHUNK
            stop = min(start + TEXT_CHUNK, self.page_count)
            self._chunks[self._submitted] = self._pool.submit(read_text_pages, self._pdf_path, start, stop)
            self._submitted += 1

    def _read(self, index: int) -> PageText:
        chunk = index // TEXT_CHUNK
        future = self._chunks.pop(chunk, None)
        if future is not None and not future.cancel():
            self._ready.update(enumerate(future.result(), start=chunk * TEXT_CHUNK))
            kept_from = (chunk - TEXT_CHUNKS_KEPT) * TEXT_CHUNK
            for page in [page for page in self._ready if page < kept_from]:
                del self._ready[page]
        self._submit_before(chunk + 1 + self._ahead)
        if index in self._ready:
            self.reads += 1
            return self._ready[index]
        return super()._read(index)

    def close(self) -> None:
        for future in self._chunks.values():
            future.cancel()
        self._chunks.clear()
        self._ready.clear()
        super().close()

"""`source_pdf[doc]`: the registered PDF stored content-addressed, with the facts read once."""

from statistics import median

import dagster as dg

from platform_assets.domain.pdf.pdf_facts import PdfFacts, read_pdf_facts, sha256_file
from platform_assets.domain.plan.tiling import page_numbers
from platform_assets.partitions import PartitionScheme
from resources.object_store import ObjectStore, pdf_object_key
from resources.platform_data import PlatformData


def build_source_pdf(scheme: PartitionScheme) -> dg.AssetsDefinition:
    @dg.asset(
        partitions_def=scheme.documents,
        group_name="documents",
        kinds={"pdf"},
        automation_condition=dg.AutomationCondition.eager(),
        description="The source PDF, stored content-addressed; page count, outline, labels, text layer.",
    )
    def source_pdf(
        context: dg.AssetExecutionContext, data: PlatformData, object_store: ObjectStore
    ) -> dg.MaterializeResult:
        record = data.registry.document(context.partition_key)
        local = data.landing_pdf(record)
        if not record.decrypted and sha256_file(local) != record.sha256:
            raise dg.Failure(
                f"landing copy of {record.doc_id} does not match its sha256", allow_retries=False
            )

        key = pdf_object_key(record.sha256)
        object_store.put_file(key, local)
        facts = read_pdf_facts(local, sha256=record.sha256)
        data.write(f"documents/{record.doc_id}/facts.json", facts.model_dump_json().encode())
        if facts.scanned_pages:
            context.log.warning(
                f"{record.doc_id}: {len(facts.scanned_pages)} scanned page(s) without a text layer "
                f"({page_numbers(facts.scanned_pages)}); the flash tier cannot OCR them"
            )
        return dg.MaterializeResult(
            metadata=source_metadata(record.filename, facts, object_store.describe(key))
        )

    return source_pdf


def source_metadata(filename: str, facts: PdfFacts, location: str) -> dict[str, dg.MetadataValue]:
    labels = facts.page_labels
    return {
        "filename": dg.MetadataValue.text(filename),
        "title": dg.MetadataValue.text(facts.title or "(none in the document information)"),
        "sha256": dg.MetadataValue.text(facts.sha256),
        "pages": dg.MetadataValue.int(facts.page_count),
        "size_bytes": dg.MetadataValue.int(facts.size_bytes),
        "encrypted": dg.MetadataValue.bool(facts.encrypted),
        "bookmarks": dg.MetadataValue.int(len(facts.outline)),
        "outline_depth": dg.MetadataValue.int(facts.outline_depth),
        "bookmarks_without_destination": dg.MetadataValue.int(facts.bookmarks_without_destination),
        "external_bookmarks": dg.MetadataValue.int(len(facts.external_bookmarks)),
        "scanned_pages": dg.MetadataValue.int(len(facts.scanned_pages)),
        "scanned_page_ranges": dg.MetadataValue.text(page_numbers(facts.scanned_pages) or "none"),
        "page_labels": dg.MetadataValue.text(f"{labels[0]} .. {labels[-1]}" if labels else ""),
        "median_text_chars_per_page": dg.MetadataValue.int(int(median(facts.text_chars or [0]))),
        "stored_at": dg.MetadataValue.path(location),
    }

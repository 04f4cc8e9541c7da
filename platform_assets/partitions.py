"""The partition scheme (docs/design.md §1): static partitions rebuilt from the registry at load.

`documents` holds doc ids, `parse_batches` holds `<doc>~b<NNN>` keys of registered plans; the
built-in StaticPartitionMapping both ways keeps lineage exact in the UI. Keep it all here so the
scheme can be swapped (e.g. for dynamic partitions) in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from platform_assets.domain.intake.registry import Registry


@dataclass(frozen=True)
class PartitionScheme:
    documents: dg.StaticPartitionsDefinition
    batches: dg.StaticPartitionsDefinition
    document_to_batches: dg.StaticPartitionMapping
    batches_to_document: dg.StaticPartitionMapping
    registry_fingerprint: str


def build_partition_scheme(registry: Registry) -> PartitionScheme:
    doc_ids = [record.doc_id for record in registry.documents()]
    plans = registry.plans()
    batches_by_doc = {doc: [b.key for b in plans[doc].batches] for doc in doc_ids if doc in plans}
    batch_keys = [key for doc in doc_ids for key in batches_by_doc.get(doc, [])]
    return PartitionScheme(
        documents=dg.StaticPartitionsDefinition(doc_ids),
        batches=dg.StaticPartitionsDefinition(batch_keys),
        document_to_batches=dg.StaticPartitionMapping(batches_by_doc),
        batches_to_document=dg.StaticPartitionMapping(
            {key: doc for doc, keys in batches_by_doc.items() for key in keys}
        ),
        registry_fingerprint=registry.fingerprint(),
    )

"""`batch_resume_sensor`: a batch whose parse run was canceled is asked for again, so its document resumes.

Automation requests a missing batch once; after a terminated run nothing asks again. This sensor does,
for a never-materialized batch whose latest run was canceled: at most `MAX_RESUMES` times per batch,
once per canceled run (its run key). A batch whose run failed for real is reported, never re-requested.
"""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

from platform_assets.partitions import PartitionScheme

RESUME_INTERVAL_S = 30
MAX_RESUMES = 3
RESUMES_TAG = "platform/resumes_batch"
REASON_TAG = "platform/resume_reason"
PARTITION_TAG = "dagster/partition"
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")


def latest_run(instance: dg.DagsterInstance, key: str) -> dg.DagsterRun | None:
    """The newest run of batch `key`: a partitioned run, or a one-batch run of a backfill (automation's)."""
    records = [
        record
        for tags in ({PARTITION_TAG: key}, dict.fromkeys(RANGE_TAGS, key))
        for record in instance.get_run_records(dg.RunsFilter(tags=tags), limit=1)
    ]
    return max(records, key=lambda r: r.create_timestamp).dagster_run if records else None


def resume_requests(
    instance: dg.DagsterInstance, asset_key: dg.AssetKey, batch_keys: Iterable[str]
) -> tuple[list[dg.RunRequest], list[str]]:
    """Run requests for the batches to resume, and one line per batch stalled by a canceled or failed run."""
    parsed = instance.get_materialized_partitions(asset_key)
    requests, lines = [], []
    for key in batch_keys:
        if key in parsed:
            continue
        run = latest_run(instance, key)
        if run is None or run.status not in (dg.DagsterRunStatus.CANCELED, dg.DagsterRunStatus.FAILURE):
            continue  # never started (automation's turn) or still queued or running
        if run.status == dg.DagsterRunStatus.FAILURE:
            lines.append(f"{key}: run {run.run_id} failed; not resumed (relaunch it once the cause is fixed)")
            continue
        resumes = instance.get_runs_count(dg.RunsFilter(tags={RESUMES_TAG: key}))
        if resumes >= MAX_RESUMES:
            lines.append(
                f"{key}: run {run.run_id} was canceled; resumed {resumes} times already, left to you"
            )
            continue
        reason = (
            f"run {run.run_id} was canceled before {key} was parsed (resume {resumes + 1} of {MAX_RESUMES})"
        )
        lines.append(f"{key}: resuming, {reason}")
        requests.append(
            dg.RunRequest(
                run_key=f"resume-{run.run_id}",
                partition_key=key,
                tags={RESUMES_TAG: key, REASON_TAG: reason},
            )
        )
    return requests, lines


def build_resume_sensor(scheme: PartitionScheme, parsed_batch: dg.AssetsDefinition) -> dg.SensorDefinition:
    @dg.sensor(
        name="batch_resume_sensor",
        target=dg.AssetSelection.assets(parsed_batch),
        minimum_interval_seconds=RESUME_INTERVAL_S,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            f"Re-requests a batch never parsed whose latest run was canceled (at most {MAX_RESUMES} times "
            "per batch), so its document resumes; reports batches whose run failed for real."
        ),
    )
    def batch_resume_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        requests, lines = resume_requests(
            context.instance, parsed_batch.key, scheme.batches.get_partition_keys()
        )
        for line in lines:
            context.log.info(line)
        if not requests:
            return dg.SkipReason("; ".join(lines) or "no batch stalled by a canceled run")
        return dg.SensorResult(run_requests=requests)

    return batch_resume_sensor

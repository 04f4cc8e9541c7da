"""`gpu_pool_sensor`: keeps the `runpod_gpu` pool limit equal to what the parse worker can run at once
(a RunPod endpoint's workersMax, the LocalWorker's process count), so Dagster never queues more parse
jobs on the backend than it can run: the rest wait in Dagster's queue, visible in the UI. With a prefetch
of N (`PLATFORM_GPU_PREFETCH`), N more: their jobs wait in the backend's queue and start the moment a
worker frees, instead of after a Dagster run launch (~2-3 s of an idle GPU per batch on a small machine).
"""

import dagster as dg

from resources.parse_worker import ParseWorker, WorkerError

GPU_POOL = "runpod_gpu"
POOL_INTERVAL_S = 300


def build_gpu_pool_sensor(prefetch: int = 0) -> dg.SensorDefinition:
    @dg.sensor(
        name="gpu_pool_sensor",
        minimum_interval_seconds=POOL_INTERVAL_S,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Sets the `{GPU_POOL}` pool limit to the parse worker's capacity (RunPod workersMax)"
        + (f" plus a prefetch of {prefetch}." if prefetch else "."),
    )
    def gpu_pool_sensor(context: dg.SensorEvaluationContext, worker: ParseWorker) -> dg.SkipReason:
        try:
            capacity = worker.capacity()
        except WorkerError as error:
            return dg.SkipReason(f"cannot read the parse worker's capacity: {error}")
        storage = context.instance.event_log_storage
        info = storage.get_concurrency_info(GPU_POOL)
        current = info.limit
        if capacity is None:
            return dg.SkipReason(f"the parse worker reports no capacity; {GPU_POOL} stays at {current}")
        limit = capacity + prefetch
        if limit == info.slot_count and not info.using_default_limit:
            return dg.SkipReason(f"{GPU_POOL} already at {limit}")
        storage.set_concurrency_slots(GPU_POOL, limit)
        why = (
            f"the parse worker's capacity {capacity} + prefetch {prefetch}"
            if prefetch
            else "the parse worker's capacity"
        )
        context.log.info(f"{GPU_POOL} pool limit {current} -> {limit} ({why})")
        return dg.SkipReason(f"{GPU_POOL} set to {limit}")

    return gpu_pool_sensor

"""`gpu_pool_sensor`: keeps the `runpod_gpu` pool limit equal to what the parse worker can run at once
(a RunPod endpoint's workersMax, the LocalWorker's process count), so Dagster never queues more parse
jobs on the backend than it can run: the rest wait in Dagster's queue, visible in the UI. With a prefetch
of N (`PLATFORM_GPU_PREFETCH`), N more: their jobs wait in the backend's queue and start the moment a
worker frees, instead of after a Dagster run launch (~2-3 s of an idle GPU per batch on a small machine);
`workers`, one more per worker. It says when the instance's runs at once leave no room for them.
"""

from typing import Literal

import dagster as dg

from resources.parse_worker import ParseWorker, WorkerError

GPU_POOL = "runpod_gpu"
POOL_INTERVAL_S = 300


def build_gpu_pool_sensor(prefetch: int | Literal["workers"] = 0) -> dg.SensorDefinition:
    @dg.sensor(
        name="gpu_pool_sensor",
        minimum_interval_seconds=POOL_INTERVAL_S,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Sets the `{GPU_POOL}` pool limit to the parse worker's capacity (RunPod workersMax)"
        + {0: ".", "workers": " plus one per worker (prefetch)."}.get(
            prefetch, f" plus a prefetch of {prefetch}."
        ),
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
        extra = capacity if prefetch == "workers" else prefetch
        limit = capacity + extra
        short = _runs_short(context.instance, limit)
        if short:
            context.log.warning(short)
        if limit == info.slot_count and not info.using_default_limit:
            return dg.SkipReason(f"{GPU_POOL} already at {limit}" + (f"; {short}" if short else ""))
        storage.set_concurrency_slots(GPU_POOL, limit)
        why = (
            f"the parse worker's capacity {capacity} + prefetch {extra}"
            if extra
            else "the parse worker's capacity"
        )
        context.log.info(f"{GPU_POOL} pool limit {current} -> {limit} ({why})")
        return dg.SkipReason(f"{GPU_POOL} set to {limit}" + (f"; {short}" if short else ""))

    return gpu_pool_sensor


def _runs_short(instance: dg.DagsterInstance, limit: int) -> str | None:
    """Why the instance cannot run `limit` parse runs at once and one more run downstream of them; None
    when it can (or has no run queue limit)."""
    queue = instance.get_concurrency_config().run_queue_config
    if queue is None or queue.max_concurrent_runs < 0 or queue.max_concurrent_runs > limit:
        return None
    return (
        f"concurrency.runs.max_concurrent_runs {queue.max_concurrent_runs} leaves no room for {limit} parse"
        f" runs ({GPU_POOL}) and one downstream of them: raise it to at least {limit + 1}"
    )

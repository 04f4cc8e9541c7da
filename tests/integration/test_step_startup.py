"""What a step process pays before its body runs: loading the code location imports no module that only
one asset's body, one sensor or an enabled telemetry needs, and leaves the loaded heap frozen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BODY_ONLY = ("matplotlib", "duckdb", "httpx", "dagster_graphql", "opentelemetry.sdk")
"""Needed by the report's plots, the warehouse loads, the RunPod worker, the reload sensor, telemetry on."""
LOAD = f"""
import gc, json, sys
import platform_assets.definitions
loaded = [m for m in {BODY_ONLY!r} if m in sys.modules]
print(json.dumps({{"loaded": loaded, "frozen": gc.get_freeze_count()}}))
"""


def load_in_fresh_process(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "PLATFORM_"))}
    env["PLATFORM_DATA_DIR"] = str(tmp_path / "data")
    done = subprocess.run(
        [sys.executable, "-c", LOAD], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_code_location_load_leaves_body_only_modules_unloaded_and_freezes_the_heap(
    tmp_path: Path,
) -> None:
    state = load_in_fresh_process(tmp_path)
    assert state["loaded"] == []
    assert state["frozen"] > 10_000  # Dagster and the definitions, out of later collections' scans

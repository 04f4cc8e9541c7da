"""Boot-time fitness checks: is this worker able to serve its tier at all?

Each check returns `None` or one plain sentence saying what is wrong and what to set; none raises.
"""

from __future__ import annotations

import importlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from worker_contract.contract import Tier

GPU_TIERS: frozenset[str] = frozenset({"standard", "advanced"})
"""Tiers whose engine (MinerU's VLM on vLLM) needs a CUDA device."""
BUCKET_REQUIRED = ("BUCKET_ENDPOINT_URL", "BUCKET_NAME", "BUCKET_ACCESS_KEY_ID", "BUCKET_SECRET_ACCESS_KEY")
BUCKET_ALL = (*BUCKET_REQUIRED, "BUCKET_REGION", "BUCKET_PREFIX", "BUCKET_URL_TTL")
MAX_PRESIGN_TTL = 7 * 24 * 3600
"""SigV4 presigned URLs are valid for at most seven days."""
DEFAULT_MIN_FREE_DISK_GB = 2.0


def check_engine_importable(tier: Tier) -> str | None:
    """MinerU imports (and vLLM too for a GPU tier)."""
    modules = ["mineru", "mineru.parser", "pypdfium2"] + (["vllm"] if tier in GPU_TIERS else [])
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as error:  # a broken install raises anything, not only ImportError
            return f"engine module {name!r} does not import ({type(error).__name__}: {error})"
    return None


def check_gpu_visible(tier: Tier) -> str | None:
    """A CUDA device is visible when the tier needs one (flash and basic run on the CPU)."""
    if tier not in GPU_TIERS:
        return None
    try:
        torch = importlib.import_module("torch")
    except Exception as error:
        return f"tier {tier!r} needs a GPU but torch does not import ({type(error).__name__}: {error})"
    if not torch.cuda.is_available() or torch.cuda.device_count() < 1:
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        hint = f" (CUDA_VISIBLE_DEVICES={visible!r})" if visible is not None else ""
        return f"tier {tier!r} needs a GPU but torch sees no CUDA device{hint}"
    return None


def check_disk_space(path: Path | None = None, min_free_gb: float | None = None) -> str | None:
    """The job scratch directory (TMPDIR) has room for inputs, renders and archives."""
    path = path or Path(tempfile.gettempdir())
    if min_free_gb is None:
        raw = os.environ.get("WORKER_MIN_FREE_DISK_GB", str(DEFAULT_MIN_FREE_DISK_GB))
        try:
            min_free_gb = float(raw)
        except ValueError:
            return f"WORKER_MIN_FREE_DISK_GB must be a number of GB, not {raw!r}"
    try:
        free_gb = shutil.disk_usage(path).free / 1e9
    except OSError as error:
        return f"scratch directory {path} is not usable ({error.strerror})"
    if free_gb < min_free_gb:
        return f"only {free_gb:.1f} GB free under {path}; need {min_free_gb:g} GB (WORKER_MIN_FREE_DISK_GB)"
    return None


def check_bucket_settings() -> str | None:
    """When any BUCKET_* setting is present, the set is complete and well-formed (else: s3 is off)."""
    present = [name for name in BUCKET_ALL if os.environ.get(name)]
    if not present:
        return None
    missing = [name for name in BUCKET_REQUIRED if not os.environ.get(name)]
    if missing:
        return f"BUCKET_* settings are incomplete: {', '.join(present)} set but {', '.join(missing)} missing"
    endpoint = urlsplit(os.environ["BUCKET_ENDPOINT_URL"])
    if endpoint.scheme not in ("http", "https") or not endpoint.hostname:
        return "BUCKET_ENDPOINT_URL must be an http(s) URL with a host"
    raw_ttl = os.environ.get("BUCKET_URL_TTL")
    if raw_ttl and (not raw_ttl.isdigit() or not 1 <= int(raw_ttl) <= MAX_PRESIGN_TTL):
        return f"BUCKET_URL_TTL must be whole seconds from 1 to {MAX_PRESIGN_TTL}, not {raw_ttl!r}"
    if os.environ.get("BUCKET_PREFIX", "").startswith("/"):
        return "BUCKET_PREFIX must not start with '/' (keys are relative to the bucket)"
    return None


def fitness_problems(tier: Tier) -> list[str]:
    """Every failing check's message, in a stable order; empty when the worker is fit."""
    checks: list[Callable[[], str | None]] = [
        lambda: check_engine_importable(tier),
        lambda: check_gpu_visible(tier),
        check_disk_space,
        check_bucket_settings,
    ]
    return [problem for check in checks if (problem := check()) is not None]

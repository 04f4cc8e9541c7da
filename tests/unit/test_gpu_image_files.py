"""The GPU image's files agree with each other and with the project (the image itself is built elsewhere).

Dockerfile, requirements.txt, pyproject.toml, MinerU's own model registry and the bundled warmup PDF.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import re
import tomllib
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from gpu_image.worker.spool import WORKER_PACKAGES

REPO = Path(__file__).resolve().parents[2]
IMAGE = REPO / "gpu_image"
PIN = re.compile(r"^([a-z0-9][a-z0-9._-]*)==([0-9][A-Za-z0-9.+!-]*)$")


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (IMAGE / "requirements.txt").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = PIN.match(line.strip())
        assert match, f"not an exact pin: {line!r}"
        assert match[1] not in pins, f"pinned twice: {match[1]}"
        pins[match[1]] = match[2]
    return pins


def _pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = {}
    for raw in project["dependencies"]:
        requirement = Requirement(raw)
        specs = list(requirement.specifier)
        if len(specs) == 1 and specs[0].operator == "==":
            pins[requirement.name.lower()] = specs[0].version
    return pins


def _dockerfile() -> list[str]:
    """Instructions with continuation lines joined and comments dropped."""
    text = (IMAGE / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    return [
        " ".join(part.split()) for part in "\n".join(lines).replace("\\\n", " ").splitlines() if part.strip()
    ]


def _index(instructions: list[str], needle: str) -> int:
    return next(i for i, line in enumerate(instructions) if needle in line)


def test_every_requirement_is_an_exact_pin_and_the_engine_pins_are_there() -> None:
    pins = _pins()
    for name in ("mineru", "vllm", "torch", "torchvision", "transformers", "runpod", "boto3"):
        assert name in pins, name


def test_image_pins_match_pyproject_for_what_both_install() -> None:
    pins, project = _pins(), _pyproject_pins()
    for name in ("mineru", "runpod"):
        assert pins[name] == project[name], name


def test_vllm_and_torch_pins_satisfy_mineru_full_extra() -> None:
    pins = _pins()
    requires = importlib.metadata.requires("mineru") or []
    assert importlib.metadata.version("mineru") == pins["mineru"]
    full = {}
    for raw in requires:
        requirement = Requirement(raw)
        marker = requirement.marker
        if requirement.name in ("vllm", "torch") and marker is not None:
            environment = {
                "extra": "full" if requirement.name == "vllm" else "torch",
                "sys_platform": "linux",
            }
            if marker.evaluate(environment):
                full[requirement.name] = requirement.specifier
    assert set(full) == {"vllm", "torch"}
    for name, specifier in full.items():
        assert Version(pins[name]) in specifier, f"{name}=={pins[name]} outside mineru's {specifier}"


def test_cmd_runs_the_handler_module_which_imports() -> None:
    instructions = _dockerfile()
    cmd = [line for line in instructions if line.startswith("CMD ")]
    assert len(cmd) == 1 and instructions[-1] == cmd[0]
    assert json.loads(cmd[0].removeprefix("CMD ")) == ["python", "-u", "-m", "gpu_image.handler"]
    module = importlib.import_module("gpu_image.handler")
    assert callable(module.main)


def test_base_image_is_pinned_and_the_worker_is_not_root() -> None:
    instructions = _dockerfile()
    base = [line for line in instructions if line.startswith("FROM ")]
    assert len(base) == 1
    image = base[0].split()[1]
    assert ":" in image and not image.endswith(":latest"), image
    tag = image.split(":", 1)[1]
    assert tag.startswith("13.0."), "torch 2.13.0 (pinned by vllm 0.28.0) ships CUDA 13.0 wheels"
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")


def test_weights_are_baked_at_build_time_then_the_runtime_is_offline_and_code_comes_last() -> None:
    instructions = _dockerfile()
    requirements = _index(instructions, "COPY gpu_image/requirements.txt")
    downloads = [i for i, line in enumerate(instructions) if "mineru-models-download" in line]
    offline = _index(instructions, "HF_HUB_OFFLINE=1")
    code = [_index(instructions, f"{package}/ /srv/worker/{package}/") for package in WORKER_PACKAGES]
    assert downloads and requirements < min(downloads)
    assert max(downloads) < offline < min(code)
    assert "MINERU_MODEL_SOURCE=local" in instructions[offline]
    assert all(line.startswith("RUN ") for line in (instructions[i] for i in downloads))
    assert len(downloads) == len({instructions[i] for i in downloads}), "one layer per model repo"
    copies = [line for line in instructions if line.startswith("COPY ")]
    assert sorted(copies[-len(code) :]) == sorted(instructions[i] for i in code), "our code is copied last"


def test_the_image_holds_every_package_the_worker_imports() -> None:
    """The worker's packages (hashed into a local worker's fingerprint) are the ones the image copies, and
    the worker's modules import no other package of this project."""
    copies = [line for line in _dockerfile() if line.startswith("COPY ") and "/srv/worker/" in line]
    copied = {line.split()[-1] for line in copies}
    assert copied == {f"/srv/worker/{package}/" for package in WORKER_PACKAGES}
    sent = [line for line in (REPO / ".dockerignore").read_text().splitlines() if line.startswith("!")]
    assert sorted(sent) == sorted(f"!{package}/" for package in WORKER_PACKAGES)  # in the build context
    ours = {path.name for path in REPO.iterdir() if (path / "__init__.py").is_file()}
    imported = set()
    for package in WORKER_PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            imported |= set(re.findall(r"^\s*(?:from|import) (\w+)", path.read_text(), re.MULTILINE))
    assert imported & ours <= set(WORKER_PACKAGES)


def test_downloaded_repos_are_what_mineru_needs_for_the_standard_tier() -> None:
    from mineru.model.registry import model_repos_for_tier

    instructions = _dockerfile()
    downloaded = {
        line.split("mineru-models-download", 1)[1].split()[0]
        for line in instructions
        if "mineru-models-download" in line
    }
    env = " ".join(line for line in instructions if line.startswith("ENV "))
    small = re.search(r"MINERU_MODEL_SMALL_BACKEND=(\w+)", env)
    engine = re.search(r"MINERU_MODEL_VLM_ENGINE=(\w+)", env)
    assert small and engine
    needed = model_repos_for_tier("standard", small_backend=small[1], vlm_engine=engine[1])
    assert downloaded == {repo.name for repo in needed}


def test_warmup_pdf_is_one_small_page_and_regenerates_byte_for_byte() -> None:
    pytest.importorskip("reportlab")
    from gpu_image.make_warmup_pdf import WARMUP_PDF, warmup_pdf_bytes
    from gpu_image.worker.warmup import WARMUP_PDF as USED

    assert USED == WARMUP_PDF
    data = WARMUP_PDF.read_bytes()
    assert data == warmup_pdf_bytes(), "run `python -m gpu_image.make_warmup_pdf` and commit the result"
    assert data.startswith(b"%PDF-") and len(data) < 16_384
    document = pdfium.PdfDocument(data)
    try:
        assert len(document) == 1
    finally:
        document.close()

"""The deployment files (deploy/) agree with the code and with the repository's dagster.yaml.

Docker and Kubernetes cannot run here, so the Dockerfile, the compose files and the Helm values are parsed
and compared with what they configure: every env var they set is one the code (or named third-party
software) reads, secrets only come from the environment, launchers, images, ports and the code location's
module are the right ones, and the queue, pools, retries and monitoring are the repository's.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from dagster._core.instance.config import dagster_instance_config
from dagster._core.workspace.config_schema import ensure_workspace_config
from packaging.requirements import Requirement

from resources.settings import PlatformSettings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE = DEPLOY / "compose"
HELM = DEPLOY / "helm"
CODE_PACKAGES = ("resources", "platform_assets", "gpu_image", "telemetry", "worker_contract")
ORCHESTRATOR_PACKAGES = ("resources", "platform_assets")
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
SECRET = re.compile(r"PASSWORD|SECRET|API_KEY|ACCESS_KEY|TOKEN|HEADERS")
INTERPOLATION = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?:(:?[-?])([^}]*))?\}")
ONLY_ENVIRONMENT = re.compile(r"^\$\{([A-Z][A-Z0-9_]*)(?::\?[^}]*|:-)?\}$")
"""A secret's whole value: one `${VAR}`, `${VAR:?message}` or `${VAR:-}` (no default that is a value)."""
THIRD_PARTY = {
    "DAGSTER_HOME": "Dagster: the instance folder",
    "DAGSTER_CURRENT_IMAGE": "Dagster: the image runs of the code location start from",
    "POSTGRES_USER": "the postgres image",
    "POSTGRES_PASSWORD": "the postgres image",
    "POSTGRES_DB": "the postgres image",
    "MINIO_ROOT_USER": "the minio and mc images",
    "MINIO_ROOT_PASSWORD": "the minio and mc images",
    "OTEL_EXPORTER_OTLP_HEADERS": "the OpenTelemetry SDK's exporters",
    "PYTHONDONTWRITEBYTECODE": "Python",
    "PYTHONUNBUFFERED": "Python",
    "PIP_NO_CACHE_DIR": "pip",
    "PIP_DISABLE_PIP_VERSION_CHECK": "pip",
}
LAUNCHERS = {"dagster_docker": "DockerRunLauncher", "dagster_k8s": "K8sRunLauncher"}
DOCKER_LAUNCHER_FIELDS = {"image", "network", "networks", "registry", "env_vars", "container_kwargs"}
"""DockerRunLauncher's config schema (dagster_docker.utils.DOCKER_CONFIG_SCHEMA), used when not installed."""


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _dockerfile() -> list[str]:
    """Instructions with continuation lines joined and comments dropped."""
    text = (DEPLOY / "Dockerfile").read_text()
    joined = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    return [" ".join(part.split()) for part in joined.replace("\\\n", " ").splitlines() if part.strip()]


def _dockerfile_env() -> dict[str, str]:
    lines = [line.split()[1:] for line in _dockerfile() if line.startswith("ENV ")]
    return dict(word.split("=", 1) for words in lines for word in words)


def _cmd() -> list[str]:
    (cmd,) = [line for line in _dockerfile() if line.startswith("CMD ")]
    return json.loads(cmd.removeprefix("CMD "))


def _env_file(path: Path) -> dict[str, str]:
    lines = (line.strip() for line in path.read_text().splitlines())
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def _compose() -> dict[str, Any]:
    return _yaml(COMPOSE / "compose.yaml")


def _service_env(service: str) -> dict[str, str]:
    env = _compose()["services"][service].get("environment", {})
    return dict(item.split("=", 1) for item in env) if isinstance(env, list) else dict(env)


def _interpolate(value: str, variables: Mapping[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}`, `${VAR:?message}` against `variables`; a required variable
    that is unset becomes a stand-in value, as a filled-in .env would give it."""

    def one(match: re.Match[str]) -> str:
        name, op, rest = match[1], match[2] or "", match[3] or ""
        given = variables.get(name)
        if given or (given is not None and not op.startswith(":")):
            return given
        return rest if op.endswith("-") else f"stand-in-{name.lower()}" if op.endswith("?") else ""

    return INTERPOLATION.sub(one, str(value))


def _instance() -> dict[str, Any]:
    return _yaml(COMPOSE / "dagster.yaml")


def _forwarded() -> list[str]:
    """The env vars DockerRunLauncher passes from the daemon to each run container."""
    return _instance()["run_launcher"]["config"]["env_vars"]


def _helm() -> dict[str, Any]:
    return _yaml(HELM / "values.yaml")


def _deployment() -> dict[str, Any]:
    (deployment,) = _helm()["dagster-user-deployments"]["deployments"]
    return deployment


def _helm_env() -> dict[str, str]:
    return {item["name"]: item["value"] for item in _deployment()["env"]}


def _env_refs(node: Any) -> Iterator[str]:
    """The names of every `{env: NAME}` in an instance file."""
    if isinstance(node, dict):
        if set(node) == {"env"}:
            yield node["env"]
        for value in node.values():
            yield from _env_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _env_refs(value)


def _strings(node: Any) -> Iterator[str]:
    """Every string value of a parsed YAML document (what compose interpolates; comments are not)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict | list):
        for value in node.values() if isinstance(node, dict) else node:
            yield from _strings(value)


@functools.cache
def _names_in(packages: tuple[str, ...]) -> set[str]:
    """Every string constant of these packages that is spelled like an env var name."""
    names = set()
    for package in packages:
        for path in (REPO / package).rglob("*.py"):
            nodes = ast.walk(ast.parse(path.read_text()))
            strings = (n.value for n in nodes if isinstance(n, ast.Constant) and isinstance(n.value, str))
            names |= {value for value in strings if ENV_NAME.match(value)}
    return names


def _settings_from(env: Mapping[str, str]) -> PlatformSettings:
    return PlatformSettings.from_env({**_dockerfile_env(), **env})


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _snake_keys(values: Mapping[str, Any]) -> dict[str, Any]:
    return {_snake(key): value for key, value in values.items()}


def _repo_instance() -> dict[str, Any]:
    return _yaml(REPO / "dagster.yaml")


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def _project() -> dict[str, Any]:
    return _pyproject()["project"]


def _pins() -> dict[str, str]:
    """`==` pins of the dependencies and of the `deploy` extra, by project name."""
    project = _project()
    extra = project["optional-dependencies"].get("deploy", [])
    requirements = map(Requirement, [*project["dependencies"], *extra])
    specs = {r.name: str(r.specifier) for r in requirements}
    return {name: spec.removeprefix("==") for name, spec in specs.items() if spec.startswith("==")}


def test_every_env_var_the_files_set_is_read_by_the_code_or_by_named_software() -> None:
    compose = _compose()
    instance = _instance()
    set_by = {f"Dockerfile ENV {name}": name for name in _dockerfile_env()}
    for service in compose["services"]:
        set_by |= {f"compose {service}: {name}": name for name in _service_env(service)}
    set_by |= {f"dagster.yaml env_vars: {name}": name for name in _forwarded()}
    set_by |= {f"helm env: {name}": name for name in _helm_env()}
    set_by |= {f"helm Secret: {name}": name for name in _env_file(HELM / "platform.env.example")}
    read = _names_in(CODE_PACKAGES) | set(_env_refs(instance)) | set(THIRD_PARTY)
    unknown = sorted(where for where, name in set_by.items() if name not in read)
    assert not unknown, f"set but read by nothing: {unknown}"
    assert any(name.startswith("PLATFORM_") for name in set_by.values())


def test_the_compose_environment_is_valid_platform_settings_with_the_data_in_the_bucket() -> None:
    variables = {name: value for name, value in _env_file(COMPOSE / ".env.example").items() if value}
    env = {name: _interpolate(value, variables) for name, value in _service_env("code").items()}
    settings = _settings_from(env)
    assert (settings.data_store, settings.object_store, settings.worker) == ("s3", "s3", "local")
    assert settings.s3_endpoint_url == "http://minio:9000"
    assert settings.s3_bucket == _interpolate(_service_env("minio-init")["PLATFORM_S3_BUCKET"], variables)
    assert str(settings.paths.root) == _dockerfile_env()["PLATFORM_DATA_DIR"]
    # The local worker fetches the PDF from MinIO's private address: its fetch guard must allow that host.
    assert env["ALLOWED_URL_HOSTS"] == "minio" and "minio" in _compose()["services"]


def test_the_helm_environment_is_valid_platform_settings_for_runpod_and_a_bucket() -> None:
    secret = {name: f"stand-in-{name.lower()}" for name in _env_file(HELM / "platform.env.example")}
    settings = _settings_from({**_helm_env(), **secret})
    assert (settings.data_store, settings.object_store, settings.worker) == ("s3", "s3", "runpod")
    assert settings.s3_bucket and settings.runpod_endpoint_id


def test_run_workers_get_every_setting_the_code_server_has() -> None:
    code, daemon = _service_env("code"), _service_env("daemon")
    forwarded = _forwarded()
    assert all("=" not in name for name in forwarded), "values would be written into the instance file"
    assert set(forwarded) == set(code) - {"DAGSTER_CURRENT_IMAGE"}
    # DockerRunLauncher reads each forwarded value from the daemon's environment: an unset one fails a launch.
    assert set(daemon) == set(forwarded)
    deployment, launcher = _deployment(), _helm()["runLauncher"]["config"]["k8sRunLauncher"]
    assert deployment["includeConfigInLaunchedRuns"]["enabled"] is True
    assert launcher["envSecrets"] == deployment["envSecrets"]


def test_secrets_come_only_from_the_environment() -> None:
    for service in _compose()["services"]:
        for name, value in _service_env(service).items():
            if SECRET.search(name):
                assert ONLY_ENVIRONMENT.match(str(value)), f"compose {service}: {name} is not only ${{VAR}}"
    for path in (COMPOSE / ".env.example", HELM / "platform.env.example"):
        filled = [name for name, value in _env_file(path).items() if SECRET.search(name) and value]
        assert not filled, f"{path.name} holds secret values: {filled}"
    assert not [name for name in _dockerfile_env() if SECRET.search(name)]
    assert not [line for line in _dockerfile() if line.startswith("ARG ") and SECRET.search(line)]
    assert _instance()["storage"]["postgres"]["postgres_db"]["password"] == {"env": "DAGSTER_PG_PASSWORD"}
    helm = _helm()
    assert not [name for name in _helm_env() if SECRET.search(name)], "helm env: secrets go in envSecrets"
    assert helm["generatePostgresqlPasswordSecret"] is False
    assert "postgresqlPassword" not in helm["postgresql"]
    assert helm["global"]["postgresqlSecretName"]
    for name in _names_in(ORCHESTRATOR_PACKAGES):
        if SECRET.search(name) and name.startswith(("PLATFORM_", "RUNPOD_")):
            assert name in _env_file(HELM / "platform.env.example"), f"{name} missing from the Helm Secret"


def test_env_example_lists_every_variable_compose_interpolates() -> None:
    interpolated = {match[1] for value in _strings(_compose()) for match in INTERPOLATION.finditer(value)}
    assert interpolated == set(_env_file(COMPOSE / ".env.example"))


def test_launchers_are_dagster_docker_and_dagster_k8s_run_launchers() -> None:
    launcher = _instance()["run_launcher"]
    assert LAUNCHERS.get(launcher["module"]) == launcher["class"] == "DockerRunLauncher"
    assert _helm()["runLauncher"]["type"] == LAUNCHERS["dagster_k8s"]
    for module, name in LAUNCHERS.items():
        if importlib.util.find_spec(module) is not None:  # the `deploy` extra is installed
            from dagster._core.launcher import RunLauncher

            assert issubclass(getattr(importlib.import_module(module), name), RunLauncher)
    if importlib.util.find_spec("dagster_docker") is not None:
        from dagster._config import validate_config
        from dagster_docker import DockerRunLauncher

        assert validate_config(DockerRunLauncher.config_type(), launcher["config"]).success
    else:
        assert set(launcher["config"]) <= DOCKER_LAUNCHER_FIELDS


def test_the_dagster_libraries_are_pinned_with_dagster_and_the_image_installs_the_deploy_extra() -> None:
    pins = _pins()
    libraries = {pins[name] for name in ("dagster-postgres", "dagster-docker", "dagster-k8s")}
    assert len(libraries) == 1, libraries
    (library,) = libraries
    assert library.startswith("0.") and library.split(".")[-1] == pins["dagster"].split(".")[-1]
    deploy = {Requirement(r).name for r in _project()["optional-dependencies"]["deploy"]}
    assert {"dagster-docker", "dagster-k8s"} <= deploy
    assert any("pip install '.[deploy]'" in line for line in _dockerfile())


def test_one_image_built_from_deploy_dockerfile_serves_every_orchestrator_process() -> None:
    services = _compose()["services"]
    code = services["code"]
    assert (COMPOSE / code["build"]["context"]).resolve() == REPO
    assert code["build"]["dockerfile"] == "deploy/Dockerfile"
    image = code["image"]
    assert {services[name]["image"] for name in ("code", "webserver", "daemon")} == {image}
    assert _service_env("code")["DAGSTER_CURRENT_IMAGE"] == image
    default = _interpolate(image, {})
    assert default == _env_file(COMPOSE / ".env.example")["ORCHESTRATOR_IMAGE"]
    repository, tag = default.rsplit(":", 1)
    helm_image = _deployment()["image"]
    assert (helm_image["repository"].rsplit("/", 1)[-1], helm_image["tag"]) == (repository, tag)
    for process in ("dagsterWebserver", "dagsterDaemon"):
        assert _helm()[process]["image"]["tag"] == _pins()["dagster"], process


def test_the_image_holds_every_package_the_project_installs() -> None:
    find = _pyproject()["tool"]["setuptools"]["packages"]["find"]
    packages = {pattern.removesuffix("*") for pattern in find["include"]}
    sources = (line.split()[1:-1] for line in _dockerfile() if line.startswith("COPY "))
    copied = {source.rstrip("/") for words in sources for source in words if not source.startswith("--")}
    assert packages | {"pyproject.toml", "README.md"} <= copied
    context = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    assert "*" in context and all(f"!{package}/" in context for package in packages)


def test_the_image_is_python_311_slim_and_runs_as_a_numeric_non_root_user() -> None:
    instructions = _dockerfile()
    (base,) = [line.split()[1] for line in instructions if line.startswith("FROM ")]
    assert base.startswith("python:3.11-slim")
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and uid != "0"
    home = _dockerfile_env()["DAGSTER_HOME"]
    for service in ("webserver", "daemon"):
        mounts = _compose()["services"][service]["volumes"]
        assert f"./dagster.yaml:{home}/dagster.yaml:ro" in mounts, service


def test_the_code_server_serves_platform_assets_definitions_on_the_workspace_port() -> None:
    module = _yaml(REPO / "workspace.yaml")["load_from"][0]["python_module"]
    assert module["module_name"] == "platform_assets.definitions"
    assert importlib.util.find_spec(module["module_name"]) is not None
    cmd = _cmd()
    port = cmd[cmd.index("-p") + 1]
    serve = ["-h", "0.0.0.0", "-p", port]
    assert cmd == ["dagster", "code-server", "start", "-m", module["module_name"], *serve]
    assert f"EXPOSE {port}" in _dockerfile()
    workspace = ensure_workspace_config(_yaml(COMPOSE / "workspace.yaml"), str(COMPOSE / "workspace.yaml"))
    (entry,) = workspace["load_from"]
    server = entry["grpc_server"]
    assert server["host"] == "code" and str(server["port"]) == port
    assert server["location_name"] == module["location_name"]
    assert _compose()["services"]["code"]["healthcheck"]["test"][-1] == port
    deployment = _deployment()
    assert str(deployment["port"]) == port
    assert deployment["codeServerArgs"] == ["-m", module["module_name"]]
    assert "dagsterApiGrpcArgs" not in deployment, "`dagster api grpc` never reloads the partitions"


def test_the_compose_instance_is_valid_and_has_the_repository_queue_pools_retries_and_monitoring() -> None:
    dagster_instance_config(str(COMPOSE))  # raises on anything Dagster's instance schema refuses
    instance, repo = _instance(), _repo_instance()
    for section in ("run_coordinator", "concurrency", "run_retries", "run_monitoring", "telemetry", "nux"):
        assert instance[section] == repo[section], section
    shared = DEPLOY / "instance" / "dagster.yaml"
    if shared.exists():  # the Postgres instance file for a machine without Docker: the same storage
        assert instance["storage"] == _yaml(shared)["storage"]
    assert set(_env_refs(instance["storage"])) <= set(_service_env("webserver"))


def test_run_containers_join_the_compose_network_and_the_webserver_reads_their_logs() -> None:
    compose, launcher = _compose(), _instance()["run_launcher"]["config"]
    assert launcher["network"] == compose["networks"]["default"]["name"]
    (volume,) = launcher["container_kwargs"]["volumes"]
    name, path = volume.split(":")
    assert name == compose["volumes"]["compute-logs"]["name"]
    assert f"compute-logs:{path}" in compose["services"]["webserver"]["volumes"]
    assert _instance()["compute_logs"]["config"]["base_dir"] == path
    for service in ("webserver", "daemon"):
        assert "/var/run/docker.sock:/var/run/docker.sock" in compose["services"][service]["volumes"]


def test_the_helm_values_carry_the_repository_queue_pools_retries_and_monitoring() -> None:
    helm, repo = _helm(), _repo_instance()
    daemon = helm["dagsterDaemon"]
    coordinator = daemon["runCoordinator"]
    assert coordinator["enabled"] and coordinator["type"] == repo["run_coordinator"]["class"]
    queue = coordinator["config"]["queuedRunCoordinator"]
    assert _snake_keys(queue) == repo["run_coordinator"]["config"]
    assert "maxConcurrentRuns" not in queue, "the chart refuses it beside concurrency.runs"
    assert helm["concurrency"]["enabled"] is True
    for key in ("pools", "runs"):
        assert _snake_keys(helm["concurrency"][key]) == repo["concurrency"][key], key
    assert _snake_keys(daemon["runRetries"]) == repo["run_retries"]
    assert _snake_keys(daemon["runMonitoring"]) == repo["run_monitoring"]
    assert helm["telemetry"] == repo["telemetry"]
    assert helm["postgresql"]["enabled"] is False and helm["postgresql"]["postgresqlHost"]


def test_every_setting_the_orchestrator_reads_is_in_docs_deploy_md() -> None:
    text = (REPO / "docs" / "deploy.md").read_text()
    prefixes = ("PLATFORM_", "RUNPOD_", "DAGSTER_")
    names = {name for name in _names_in(ORCHESTRATOR_PACKAGES) if name.startswith(prefixes)}
    missing = sorted(name for name in names if f"`{name}`" not in text)
    assert not missing, f"docs/deploy.md does not name {missing}"

"""docker-compose.yml: three profiles whose services fit together, with settings the service takes.

No container runtime runs in our CI, so the file is checked the way `docker compose config`
would read it: anchors merged, `${NAME:?message}` and `${NAME:-default}` filled in, and then
every profile's services, dependencies, volumes and published ports, the Qdrant cluster's peers,
and each service container's `BLOK_*` environment as the service's own settings would read it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.settings import Settings

COMPOSE = Path(__file__).resolve().parents[1] / "docker-compose.yml"
PROFILES = {"embedded", "server", "cluster"}
VARIABLE = re.compile(r"\$\{(\w+)(?::([?-])([^}]*))?\}")
ENVIRONMENT = {"QDRANT_API_KEY": "qdrant-secret", "POSTGRES_PASSWORD": "pg-secret"}


def interpolate(value: Any, environment: dict[str, str]) -> Any:
    """Fill in `${NAME}`, `${NAME:-default}` and `${NAME:?message}` as compose does."""
    if isinstance(value, dict):
        return {key: interpolate(item, environment) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, environment) for item in value]
    if not isinstance(value, str):
        return value

    def fill(match: re.Match[str]) -> str:
        name, kind, text = match.groups()
        if environment.get(name):
            return environment[name]
        if kind == "?":
            raise ValueError(f"{name}: {text}")
        return text if kind == "-" else ""

    return VARIABLE.sub(fill, value)


def compose(environment: dict[str, str] = ENVIRONMENT) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    filled: dict[str, Any] = interpolate(loaded, environment)
    return filled


def services_of(profile: str) -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in compose()["services"].items()
        if profile in service.get("profiles", [])
    }


def service_container(profile: str) -> dict[str, Any]:
    """The profile's service (the image built here, serving HTTP)."""
    [service] = [s for s in services_of(profile).values() if s.get("build") == "." and "ports" in s]
    return service


def worker_containers(profile: str) -> list[dict[str, Any]]:
    """The profile's `blok worker` containers (the image built here, no published port)."""
    return [s for s in services_of(profile).values() if s.get("build") == "." and "ports" not in s]


def settings_in(environment: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The settings the service reads in a container with this environment (and no other)."""
    for name in [name for name in os.environ if name.startswith("BLOK_")]:
        monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, str(value))
    return Settings()


def test_every_service_has_known_profiles_and_each_profile_one_service_container() -> None:
    for name, service in compose()["services"].items():
        assert service.get("profiles"), f"{name} would start in every profile"
        assert set(service["profiles"]) <= PROFILES, name
    for profile in PROFILES - {"server"}:
        assert service_container(profile)["ports"] == ["127.0.0.1:8000:8000"]
        assert "replicas" not in service_container(profile).get("deploy", {})
    assert service_container("server")["ports"] == ["127.0.0.1:8000-8001:8000"]


def test_the_server_profile_runs_two_replicas_that_leave_the_uploads_to_one_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two replicas on one registry are safe only when neither runs jobs itself: a worker
    claims them (`BLOK_INGEST__JOB_RUNNER=worker`), with the replicas' store, registry and data
    volume (where the uploads are kept)."""
    service = service_container("server")
    assert service["deploy"]["replicas"] == 2
    first, last = service["ports"][0].split(":")[1].split("-")
    assert int(last) - int(first) + 1 == service["deploy"]["replicas"]  # a port per replica
    served = settings_in(service["environment"], monkeypatch)
    assert served.ingest.job_runner == "worker"
    [worker] = worker_containers("server")
    assert worker["command"] == ["blok", "worker"]
    assert worker["volumes"] == service["volumes"]
    assert worker["depends_on"] == service["depends_on"]
    working = settings_in(worker["environment"], monkeypatch)
    assert (working.store, working.registry) == (served.store, served.registry)
    assert working.data_dir == served.data_dir
    for profile in PROFILES - {"server"}:
        assert worker_containers(profile) == []
        environment = service_container(profile)["environment"]
        assert settings_in(environment, monkeypatch).ingest.job_runner == "service"


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_dependencies_and_volumes_of_a_profile_exist_in_that_profile(profile: str) -> None:
    services = services_of(profile)
    volumes = set(compose()["volumes"])
    for name, service in services.items():
        for needed in service.get("depends_on", []):
            assert needed in services, f"{name} needs {needed}, which {profile} does not start"
        for mount in service.get("volumes", []):
            assert mount.split(":")[0] in volumes, f"{name}: volume {mount}"
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} to every address"


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_the_service_takes_the_environment_of_each_profile(
    profile: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = service_container(profile)["environment"]
    assert environment["BLOK_DATA_DIR"] == "/data"
    settings = settings_in(environment, monkeypatch)
    if profile == "embedded":
        assert (settings.store.backend, settings.registry.url) == ("edge", "")
    else:
        assert settings.store.backend == "server"
        assert settings.store.api_key == ENVIRONMENT["QDRANT_API_KEY"]
        assert settings.registry.url == "postgresql://blok:pg-secret@postgres:5432/blok"
        host = str(settings.store.url).split("//")[1].split(":")[0]
        assert host in services_of(profile)


def test_the_cluster_has_three_peers_and_spreads_each_collection_over_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    nodes = {
        n: s for n, s in services_of("cluster").items() if s.get("image", "").startswith("qdrant/")
    }
    assert len(nodes) == 3
    first = [n for n, s in nodes.items() if "--bootstrap" not in s["command"]]
    assert len(first) == 1 and f"--uri http://{first[0]}:6335" in nodes[first[0]]["command"]
    for name, node in nodes.items():
        assert node["environment"]["QDRANT__CLUSTER__ENABLED"] == "true"
        assert node["environment"]["QDRANT__SERVICE__API_KEY"] == ENVIRONMENT["QDRANT_API_KEY"]
        assert f"--uri http://{name}:6335" in node["command"]
        if name not in first:
            assert f"--bootstrap http://{first[0]}:6335" in node["command"]
    store = settings_in(service_container("cluster")["environment"], monkeypatch).store
    assert store.shards >= len(nodes) and store.replication_factor == 2
    assert store.write_consistency_factor <= store.replication_factor


def test_server_profiles_refuse_to_start_without_their_secrets() -> None:
    with pytest.raises(ValueError, match="QDRANT_API_KEY"):
        compose({"POSTGRES_PASSWORD": "pg-secret"})
    with pytest.raises(ValueError, match="POSTGRES_PASSWORD"):
        compose({"QDRANT_API_KEY": "qdrant-secret"})

"""The Kubernetes manifests of deploy/kubernetes/: valid against the Kubernetes schemas, and
holding what running many replicas needs (probes on /readyz and /healthz, resources, a grace
period longer than the service's own, settings from a ConfigMap and secrets from a Secret, an
autoscaler on CPU, a disruption budget, a Redis for shared quotas)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from txt2sql_api.config import Settings, env_name

MANIFESTS = Path(__file__).resolve().parent.parent / "deploy" / "kubernetes"
KUBERNETES = "1.30"


def documents() -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted(MANIFESTS.glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if doc
    ]


def kind(name: str, kind_: str) -> dict[str, Any]:
    return next(d for d in documents() if d["kind"] == kind_ and d["metadata"]["name"] == name)


@pytest.mark.parametrize("doc", documents(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_every_manifest_is_valid_kubernetes(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, KUBERNETES, strict=True)


def test_the_deployment_is_probed_sized_and_drained() -> None:
    spec = kind("txt2sql-api", "Deployment")["spec"]["template"]["spec"]
    [api] = spec["containers"]
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert api["resources"]["requests"] and api["resources"]["limits"]
    grace = float(kind("txt2sql-api", "ConfigMap")["data"]["TXT2SQL_SHUTDOWN_GRACE_SECONDS"])
    pre_stop = api["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert spec["terminationGracePeriodSeconds"] > grace + pre_stop
    assert {"configMapRef": {"name": "txt2sql-api"}} in api["envFrom"]
    assert {"secretRef": {"name": "txt2sql-api"}} in api["envFrom"]


def test_settings_and_secrets_are_the_services_own() -> None:
    names = {env_name(field) for field in Settings.model_fields}
    config = kind("txt2sql-api", "ConfigMap")["data"]
    secret = kind("txt2sql-api", "Secret")["stringData"]
    assert set(config) <= names and set(secret) <= names
    # Secrets never sit in the ConfigMap.
    assert not {"DASHSCOPE_API_KEY", "DATABASE_URL", "TXT2SQL_API_KEYS"} & set(config)
    assert config["TXT2SQL_REDIS_URL"].startswith("redis://txt2sql-redis:")


def test_it_scales_on_cpu_and_keeps_one_replica_through_disruptions() -> None:
    hpa = kind("txt2sql-api", "HorizontalPodAutoscaler")["spec"]
    assert hpa["scaleTargetRef"]["name"] == "txt2sql-api"
    assert hpa["metrics"][0]["resource"]["name"] == "cpu"
    assert kind("txt2sql-api", "PodDisruptionBudget")["spec"]["minAvailable"] >= 1
    assert kind("txt2sql-redis", "Service")["spec"]["ports"][0]["port"] == 6379

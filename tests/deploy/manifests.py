"""Helpers for the deploy/ tests: rendered overlays, containers, env, NetworkPolicy logic."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from deploy import check

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
GATEWAY_CONFIG = ROOT / "gateway" / "gateway.config.ts"
OVERLAYS = tuple(check.overlay_names())
SERVICES = ("tasks", "alerts", "evaluation")

Resource = dict[str, Any]


@cache
def _rendered(overlay: str) -> tuple[Resource, ...]:
    return tuple(check.render_overlay(overlay))


def rendered(overlay: str) -> list[Resource]:
    import copy

    return copy.deepcopy(list(_rendered(overlay)))


def find(resources: list[Resource], kind: str, name: str) -> Resource:
    hits = [r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name]
    assert len(hits) == 1, f"expected one {kind}/{name}, found {len(hits)}"
    return hits[0]


def of_kind(resources: list[Resource], kind: str) -> list[Resource]:
    return [r for r in resources if r["kind"] == kind]


def pod_spec(workload: Resource) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def container(workload: Resource, name: str, init: bool = False) -> dict[str, Any]:
    key = "initContainers" if init else "containers"
    hits = [c for c in pod_spec(workload).get(key, []) if c["name"] == name]
    assert len(hits) == 1, f"{workload['metadata']['name']}: no {key} entry {name!r}"
    return hits[0]  # type: ignore[no-any-return]


@dataclass
class EnvVar:
    name: str
    value: str | None  # literal value (from `value` or a ConfigMap in the manifests)
    source: str  # "value", "configmap:<name>", "secret:<name>/<key>", "field", ...
    optional: bool = False


def container_env(resources: list[Resource], c: dict[str, Any]) -> dict[str, EnvVar]:
    """Every variable a container gets: envFrom ConfigMaps (resolved) then env entries."""
    out: dict[str, EnvVar] = {}
    for src in c.get("envFrom", []):
        assert "configMapRef" in src, "envFrom only from ConfigMaps (secrets are listed by key)"
        cm = find(resources, "ConfigMap", src["configMapRef"]["name"])
        for key, value in cm.get("data", {}).items():
            out[key] = EnvVar(key, str(value), f"configmap:{cm['metadata']['name']}")
    for e in c.get("env", []):
        if "value" in e:
            out[e["name"]] = EnvVar(e["name"], str(e["value"]), "value")
            continue
        ref = e["valueFrom"]
        if "secretKeyRef" in ref:
            s = ref["secretKeyRef"]
            out[e["name"]] = EnvVar(
                e["name"], None, f"secret:{s['name']}/{s['key']}", bool(s.get("optional"))
            )
        elif "configMapKeyRef" in ref:
            s = ref["configMapKeyRef"]
            cm = find(resources, "ConfigMap", s["name"])
            value = cm.get("data", {}).get(s["key"])
            assert value is not None or s.get("optional"), f"{s} is missing"
            out[e["name"]] = EnvVar(
                e["name"],
                None if value is None else str(value),
                f"configmap:{s['name']}",
                bool(s.get("optional")),
            )
        else:
            out[e["name"]] = EnvVar(e["name"], None, "field")
    return out


def resolve_port(c: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    hits = [p["containerPort"] for p in c.get("ports", []) if p.get("name") == port]
    assert hits, f"container {c['name']} has no port named {port!r}"
    return int(hits[0])


# ---------------------------------------------------------------- gateway.config.ts


def gateway_config_text() -> str:
    return GATEWAY_CONFIG.read_text(encoding="utf-8")


def gateway_env_names() -> set[str]:
    """`env.X` reads plus the `${NAME}_URL` subgraph overrides of DEFAULT_URLS."""
    text = gateway_config_text()
    names = set(re.findall(r"\benv\.([A-Z][A-Z0-9_]*)", text))
    block = re.search(r"DEFAULT_URLS[^=]*=\s*\{(.*?)\};", text, re.S)
    assert block, "DEFAULT_URLS not found in gateway.config.ts"
    if "`${name}_URL`" in text:
        names |= {f"{k}_URL" for k in re.findall(r"^\s*([A-Z]+):\s*'http", block.group(1), re.M)}
    return names


def gateway_endpoint(key: str) -> str:
    found = re.search(rf"\b{key}:\s*'([^']+)'", gateway_config_text())
    assert found, f"{key} not found in gateway.config.ts"
    return found.group(1)


# ---------------------------------------------------------------- NetworkPolicy


@dataclass(frozen=True)
class Pod:
    namespace: str
    labels: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, namespace: str, labels: dict[str, str]) -> Pod:
        return cls(namespace, tuple(sorted(labels.items())))

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, "only matchLabels selectors are evaluated"
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def ingress_allowed(policies: list[Resource], source: Pod, target: Pod, port: int) -> bool:
    """Kubernetes semantics: isolated if any policy selects the target; then allowed
    if some selecting policy has a rule whose peers and ports both match."""
    selecting = [
        p
        for p in policies
        if p["metadata"]["namespace"] == target.namespace
        and "Ingress" in p["spec"].get("policyTypes", ["Ingress"])
        and _selects(p["spec"]["podSelector"], target.label_map)
    ]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get("ingress", []):
            ports = rule.get("ports")
            if ports and not any(p.get("port") == port for p in ports):
                continue
            peers = rule.get("from")
            if not peers:
                return True
            for peer in peers:
                ns_sel, pod_sel = peer.get("namespaceSelector"), peer.get("podSelector")
                if ns_sel is not None:
                    ns_ok = _selects(ns_sel, {"kubernetes.io/metadata.name": source.namespace})
                else:
                    ns_ok = source.namespace == policy["metadata"]["namespace"]
                pod_ok = pod_sel is None or _selects(pod_sel, source.label_map)
                if ns_ok and pod_ok:
                    return True
    return False

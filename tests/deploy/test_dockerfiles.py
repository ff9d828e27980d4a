"""deploy/Dockerfile and deploy/gateway.Dockerfile, read without a Docker engine.

`docker build` cannot run here, so the files are parsed: multi-stage, a non-root
user that matches the pods' securityContext, no compilers in the final stage, an
entry point the manifests and the CLI agree on, and only files that exist copied in.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from services.cli import build_parser
from tests.deploy.manifests import DEPLOY, ROOT, container, find, pod_spec, rendered

BUILD_TOOLS = re.compile(r"\b(gcc|g\+\+|build-essential|make|clang|libc6-dev|python3-dev)\b")


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, op: str) -> list[str]:
        return [arg for o, arg in self.instructions if o == op]

    def last(self, op: str) -> str | None:
        found = self.all(op)
        return found[-1] if found else None


def parse_dockerfile(path: Path) -> tuple[dict[str, str], list[Stage]]:
    """(global ARG defaults, stages) with line continuations joined, comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        op, _, rest = line.partition(" ")
        op, rest = op.upper(), rest.strip()
        if op == "FROM":
            base = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), rest)
            parts = base.split()
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(parts[0], name))
        elif op == "ARG" and not stages:
            key, _, default = rest.partition("=")
            args[key] = default
        else:
            assert stages, f"{path}: {op} before FROM"
            stages[-1].instructions.append((op, rest))
    return args, stages


def exec_form(value: str | None) -> list[str]:
    assert value and value.startswith("["), f"use the exec form: {value!r}"
    return json.loads(value)  # type: ignore[no-any-return]


def user_id(stage: Stage) -> int:
    user = stage.last("USER")
    assert user, "the final stage sets USER"
    uid = user.split(":")[0]
    assert uid.isdigit(), "a numeric USER lets Kubernetes check runAsNonRoot"
    return int(uid)


def copied_sources(stage: Stage) -> list[str]:
    sources = []
    for arg in stage.all("COPY"):
        words = [w for w in shlex.split(arg) if not w.startswith("--")]
        if not any(w.startswith("--from") for w in shlex.split(arg)):
            sources += words[:-1]
    return sources


def test_service_image_is_multi_stage_non_root_without_compilers() -> None:
    _, stages = parse_dockerfile(DEPLOY / "Dockerfile")
    assert len(stages) >= 2
    build, final = stages[0], stages[-1]
    assert any(BUILD_TOOLS.search(r) for r in build.all("RUN")), "compilers only in the build"
    assert "slim" in final.base, final.base
    for run in final.all("RUN"):
        assert not BUILD_TOOLS.search(run), f"final stage installs build tools: {run}"
        assert "apt-get install" not in run and "pip install" not in run
    assert any(f"--from={build.name}" in c for c in final.all("COPY"))
    uid = user_id(final)
    assert uid != 0
    for service in ("tasks", "alerts", "evaluation"):
        deployment = find(rendered("prod"), "Deployment", f"ducha-{service}")
        assert pod_spec(deployment)["securityContext"]["runAsUser"] == uid


def test_service_image_runs_the_cli() -> None:
    _, stages = parse_dockerfile(DEPLOY / "Dockerfile")
    final = stages[-1]
    entrypoint = exec_form(final.last("ENTRYPOINT"))
    assert entrypoint == ["ducha"]
    args = build_parser().parse_args(exec_form(final.last("CMD")))
    assert args.command == "serve" and args.service == "tasks" and args.port == 8000
    assert re.search(r"\bPATH=/opt/ducha/bin:", " ".join(final.all("ENV")))
    deployment = find(rendered("prod"), "Deployment", "ducha-tasks")
    assert container(deployment, "tasks")["command"] == entrypoint
    assert str(8000) in (final.last("EXPOSE") or "")


def test_service_image_copies_only_what_exists() -> None:
    _, stages = parse_dockerfile(DEPLOY / "Dockerfile")
    sources = [s for st in stages for s in copied_sources(st)]
    assert "services" in sources and "pyproject.toml" in sources
    for src in sources:
        assert (ROOT / src).exists(), src
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8")
    assert "!pyproject.toml" in ignore and "!services/**" in ignore


def test_gateway_image_is_ours_on_node_20_non_root() -> None:
    _, stages = parse_dockerfile(DEPLOY / "gateway.Dockerfile")
    assert len(stages) >= 2
    build, final = stages[0], stages[-1]
    assert final.base.startswith("node:20") and build.base.startswith("node:20")
    assert any("npm ci" in r for r in build.all("RUN"))
    assert not any("npm" in r for r in final.all("RUN"))
    uid = user_id(final)
    assert uid != 0
    deployment = find(rendered("prod"), "Deployment", "ducha-gateway")
    assert pod_spec(deployment)["securityContext"]["runAsUser"] == uid
    sources = copied_sources(final) + copied_sources(build)
    for needed in (
        "gateway/package-lock.json",
        "gateway/gateway.config.ts",
        "gateway/supergraph.graphql",
    ):
        assert needed in sources and (ROOT / needed).exists(), needed


def test_gateway_image_entrypoint_matches_the_manifest() -> None:
    _, stages = parse_dockerfile(DEPLOY / "gateway.Dockerfile")
    final = stages[-1]
    resources = rendered("prod")
    gateway = container(find(resources, "Deployment", "ducha-gateway"), "gateway")
    assert exec_form(final.last("ENTRYPOINT")) == gateway["command"]
    assert exec_form(final.last("CMD")) == gateway["args"]
    assert final.last("WORKDIR") == gateway["workingDir"]
    env = " ".join(final.all("ENV"))
    supergraph = find(resources, "ConfigMap", "ducha-gateway-config")["data"]["SUPERGRAPH_PATH"]
    assert f"SUPERGRAPH_PATH={supergraph}" in env
    assert supergraph.startswith(gateway["workingDir"] + "/")


def test_gateway_image_holds_every_module_the_config_imports() -> None:
    """gateway.config.ts and the modules it imports (and those import) are copied into the
    image and let through the build context's ignore file."""
    _, stages = parse_dockerfile(DEPLOY / "gateway.Dockerfile")
    sources = copied_sources(stages[-1])
    ignore = (DEPLOY / "gateway.Dockerfile.dockerignore").read_text(encoding="utf-8").split()
    pending, seen = ["gateway.config.ts"], set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        text = (ROOT / "gateway" / name).read_text(encoding="utf-8")
        pending += re.findall(r"from '\./([\w.-]+\.ts)'", text)
    assert {"edges.ts", "web.ts", "token-cache.ts"} <= seen
    for name in seen:
        assert f"gateway/{name}" in sources, name
        assert f"!gateway/{name}" in ignore, name

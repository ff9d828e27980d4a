"""A small kustomize renderer: exactly the kustomization features deploy/ uses.

kustomize is not installed where CI runs and no binary can be downloaded, so the
offline check renders the overlays with this file. It supports, and refuses anything
else (a feature used but not implemented must fail loudly, not render wrongly):

- ``resources``: YAML files (one or more documents) and directories holding a
  ``kustomization.yaml`` (rendered recursively first, as kustomize does);
- ``patches`` (``path`` or inline ``patch``, optional ``target`` by kind/name/group/
  version): a list of operations is a JSON 6902 patch (add, remove, replace, test);
  a mapping is a strategic-merge patch (maps merge; ``null`` deletes a key; the lists
  ``containers``, ``initContainers``, ``env``, ``volumes`` merge by ``name``,
  ``volumeMounts`` by ``mountPath`` in built-in kinds, the patch's items first, as
  kustomize orders them; every other list is replaced);
- ``namespace``, ``labels`` (``pairs`` with ``includeSelectors: false``), ``images``
  (``name`` with ``newName``/``newTag``/``digest``).

Where ``kubectl`` is installed, tests/deploy compares this output with
``kubectl kustomize``. Usage: ``python deploy/render.py deploy/overlays/prod``.
"""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path
from typing import Any

import yaml

Resource = dict[str, Any]

SUPPORTED_KEYS = {"apiVersion", "kind", "resources", "patches", "namespace", "labels", "images"}
BUILTIN_GROUPS = {
    "",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
}
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
}
CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
}
# kustomize's default ("legacy") output order: these kinds first, in this order ...
KIND_ORDER_FIRST = [
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
]
# ... these last; everything else in between, by group, version, kind, then name.
KIND_ORDER_LAST = ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]


class RenderError(Exception):
    pass


def group_of(resource: Resource) -> str:
    api = str(resource.get("apiVersion", ""))
    return api.split("/", 1)[0] if "/" in api else ""


def version_of(resource: Resource) -> str:
    return str(resource.get("apiVersion", "")).rsplit("/", 1)[-1]


def ident(resource: Resource) -> str:
    meta = resource.get("metadata") or {}
    return f"{resource.get('kind')}/{meta.get('name')}"


def load_documents(path: Path) -> list[Resource]:
    docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    for d in docs:
        if not isinstance(d, dict) or "kind" not in d or "apiVersion" not in d:
            raise RenderError(f"{path}: every document must be a resource with apiVersion and kind")
    return docs


# ---------------------------------------------------------------- strategic merge


def strategic_merge(base: Any, patch: Any, builtin: bool, field: str = "") -> Any:
    if isinstance(patch, dict):
        for key in patch:
            if str(key).startswith("$"):
                raise RenderError(f"strategic-merge directive {key!r} is not supported")
        if not isinstance(base, dict):
            return copy.deepcopy(patch)
        out = dict(base)
        for key, value in patch.items():
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = strategic_merge(out[key], value, builtin, key)
            else:
                out[key] = copy.deepcopy(value)
        return out
    if isinstance(patch, list) and builtin and field in MERGE_KEYS and isinstance(base, list):
        # as kustomize orders it: the patch's items first (merged into the originals
        # they name), then the original items the patch does not mention
        key = MERGE_KEYS[field]
        originals = {item.get(key): item for item in base if isinstance(item, dict)}
        out_list = []
        for item in patch:
            if not isinstance(item, dict) or key not in item:
                raise RenderError(f"items of {field} in a patch need {key!r}")
            existing = originals.get(item[key])
            out_list.append(
                strategic_merge(existing, item, builtin) if existing else copy.deepcopy(item)
            )
        named = {item[key] for item in patch}
        out_list += [
            copy.deepcopy(item)
            for item in base
            if not (isinstance(item, dict) and item.get(key) in named)
        ]
        return out_list
    return copy.deepcopy(patch)


# ---------------------------------------------------------------- JSON 6902


def _pointer(path: str) -> list[str]:
    if not path.startswith("/"):
        raise RenderError(f"JSON pointer must start with '/': {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _step(node: Any, part: str, path: str) -> Any:
    if isinstance(node, dict):
        if part not in node:
            raise RenderError(f"path {path!r} does not exist")
        return node[part]
    if isinstance(node, list):
        if not part.isdigit() or int(part) >= len(node):
            raise RenderError(f"path {path!r} does not exist")
        return node[int(part)]
    raise RenderError(f"path {path!r} does not exist")


def json6902(doc: Resource, ops: list[dict[str, Any]]) -> Resource:
    doc = copy.deepcopy(doc)
    for op in ops:
        kind, path = op.get("op"), op.get("path", "")
        parts = _pointer(path)
        parent: Any = doc
        for part in parts[:-1]:
            parent = _step(parent, part, path)
        last = parts[-1]
        if kind == "test":
            if _step(parent, last, path) != op.get("value"):
                raise RenderError(f"test failed at {path!r}")
        elif kind == "remove":
            _step(parent, last, path)
            if isinstance(parent, dict):
                del parent[last]
            else:
                del parent[int(last)]
        elif kind == "replace":
            _step(parent, last, path)
            if isinstance(parent, dict):
                parent[last] = copy.deepcopy(op["value"])
            else:
                parent[int(last)] = copy.deepcopy(op["value"])
        elif kind == "add":
            value = copy.deepcopy(op["value"])
            if isinstance(parent, dict):
                parent[last] = value
            elif isinstance(parent, list):
                if last == "-":
                    parent.append(value)
                elif last.isdigit() and int(last) <= len(parent):
                    parent.insert(int(last), value)
                else:
                    raise RenderError(f"bad list index in {path!r}")
            else:
                raise RenderError(f"path {path!r} does not exist")
        else:
            raise RenderError(f"JSON 6902 operation {kind!r} is not supported")
    return doc


# ---------------------------------------------------------------- patches


def _matches(resource: Resource, target: dict[str, Any]) -> bool:
    unsupported = set(target) - {"kind", "name", "group", "version", "namespace"}
    if unsupported:
        raise RenderError(f"patch target selectors {sorted(unsupported)} are not supported")
    meta = resource.get("metadata") or {}
    checks = {
        "kind": resource.get("kind"),
        "name": meta.get("name"),
        "group": group_of(resource),
        "version": version_of(resource),
        "namespace": meta.get("namespace"),
    }
    for key, wanted in target.items():
        actual = checks[key]
        if key == "name":
            # kustomize treats a target name as an anchored regular expression
            if not re.fullmatch(str(wanted), str(actual)):
                return False
        elif actual != wanted:
            return False
    return True


def apply_patch(resources: list[Resource], entry: dict[str, Any], root: Path) -> None:
    unsupported = set(entry) - {"path", "patch", "target"}
    if unsupported:
        raise RenderError(f"patch options {sorted(unsupported)} are not supported")
    if entry.get("path"):
        text = (root / entry["path"]).read_text(encoding="utf-8")
    elif entry.get("patch"):
        text = entry["patch"]
    else:
        raise RenderError("a patch needs `path` or `patch`")
    bodies = [b for b in yaml.safe_load_all(text) if b is not None]
    if len(bodies) > 1:
        # several strategic-merge patches in one file apply one after the other
        for body in bodies:
            if not isinstance(body, dict):
                raise RenderError("a file of several patches may hold strategic-merge patches only")
            apply_patch(resources, {**entry, "path": None, "patch": yaml.safe_dump(body)}, root)
        return
    body = bodies[0] if bodies else None
    target = entry.get("target")
    if isinstance(body, list):
        if not target:
            raise RenderError("a JSON 6902 patch needs a target")
        hits = [i for i, r in enumerate(resources) if _matches(r, target)]
        if not hits:
            raise RenderError(f"patch target {target} matches no resource")
        for i in hits:
            resources[i] = json6902(resources[i], body)
        return
    if not isinstance(body, dict):
        raise RenderError("a patch must be a mapping or a list of operations")
    if target is None:
        meta = body.get("metadata") or {}
        target = {"kind": body.get("kind"), "name": meta.get("name")}
        if "namespace" in meta:
            target["namespace"] = meta["namespace"]
    hits = [i for i, r in enumerate(resources) if _matches(r, target)]
    if not hits:
        raise RenderError(f"patch target {target} matches no resource")
    for i in hits:
        original = resources[i]
        patch = copy.deepcopy(body)
        # a targeted patch applies to each match whatever name the patch carries
        patch.setdefault("metadata", {})
        patch["metadata"]["name"] = original["metadata"]["name"]
        if "namespace" in original["metadata"]:
            patch["metadata"]["namespace"] = original["metadata"]["namespace"]
        resources[i] = strategic_merge(original, patch, group_of(original) in BUILTIN_GROUPS)


# ---------------------------------------------------------------- transformers


def set_namespace(resources: list[Resource], namespace: str) -> None:
    for r in resources:
        if r["kind"] not in CLUSTER_SCOPED:
            r.setdefault("metadata", {})["namespace"] = namespace


def add_labels(resources: list[Resource], entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        unsupported = set(entry) - {"pairs", "includeSelectors", "includeTemplates"}
        if unsupported or entry.get("includeSelectors") or entry.get("includeTemplates"):
            raise RenderError("labels: only `pairs` with includeSelectors/Templates false")
        for r in resources:
            labels = r.setdefault("metadata", {}).setdefault("labels", {})
            labels.update({str(k): str(v) for k, v in entry["pairs"].items()})


def split_image(image: str) -> tuple[str, str]:
    """'reg:5000/a/b:tag@sha256:x' -> ('reg:5000/a/b', ':tag@sha256:x')."""
    digest = ""
    if "@" in image:
        image, digest = image.split("@", 1)
        digest = "@" + digest
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon:] + digest
    return image, digest


def set_images(resources: list[Resource], entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        unsupported = set(entry) - {"name", "newName", "newTag", "digest"}
        if unsupported:
            raise RenderError(f"image options {sorted(unsupported)} are not supported")

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("containers", "initContainers") and isinstance(value, list):
                    for c in value:
                        if isinstance(c, dict) and isinstance(c.get("image"), str):
                            c["image"] = retag(c["image"])
                else:
                    visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    def retag(image: str) -> str:
        name, rest = split_image(image)
        for entry in entries:
            if entry["name"] == name:
                name = entry.get("newName", name)
                if "digest" in entry:
                    rest = "@" + str(entry["digest"])
                elif "newTag" in entry:
                    rest = ":" + str(entry["newTag"])
                return name + rest
        return image

    for r in resources:
        visit(r)


def order(resources: list[Resource]) -> list[Resource]:
    def key(r: Resource) -> tuple[int, str, str, str, str]:
        kind = r["kind"]
        if kind in KIND_ORDER_FIRST:
            rank = KIND_ORDER_FIRST.index(kind)
        elif kind in KIND_ORDER_LAST:
            rank = 1000 + KIND_ORDER_LAST.index(kind)
        else:
            rank = 500
        name = (r.get("metadata") or {}).get("name", "")
        return (rank, group_of(r), version_of(r), kind, name)

    return sorted(resources, key=key)


# ---------------------------------------------------------------- build


def build(directory: Path | str) -> list[Resource]:
    """Render the kustomization in `directory` to a list of resources (kustomize order)."""
    return order(_build(Path(directory).resolve(), ()))


def _build(root: Path, seen: tuple[Path, ...]) -> list[Resource]:
    if root in seen:
        raise RenderError(f"cycle through {root}")
    path = root / "kustomization.yaml"
    if not path.exists():
        raise RenderError(f"{root}: no kustomization.yaml")
    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    unsupported = set(spec) - SUPPORTED_KEYS
    if unsupported:
        raise RenderError(f"{path}: unsupported kustomization fields {sorted(unsupported)}")
    resources: list[Resource] = []
    for entry in spec.get("resources", []):
        target = (root / entry).resolve()
        if target.is_dir():
            resources += _build(target, (*seen, root))
        elif target.is_file():
            resources += load_documents(target)
        else:
            raise RenderError(f"{path}: resource {entry!r} not found")
    ids = [ident(r) for r in resources]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise RenderError(f"{path}: duplicate resources {duplicates}")
    for patch in spec.get("patches", []):
        apply_patch(resources, patch, root)
    if "namespace" in spec:
        set_namespace(resources, spec["namespace"])
    add_labels(resources, spec.get("labels", []))
    set_images(resources, spec.get("images", []))
    return resources


def dump(resources: list[Resource]) -> str:
    return yaml.safe_dump_all(resources, sort_keys=True, allow_unicode=True, width=1000)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python deploy/render.py <kustomization directory>", file=sys.stderr)
        return 2
    try:
        sys.stdout.write(dump(build(args[0])))
    except RenderError as exc:
        print(f"render: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

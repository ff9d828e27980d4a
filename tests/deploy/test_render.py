"""deploy/render.py: the kustomize subset deploy/ uses, rendered as kustomize would."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy import render
from tests.deploy.manifests import DEPLOY, OVERLAYS, rendered


def _key(r: dict[str, Any]) -> tuple[str, str, str, str]:
    meta = r["metadata"]
    return (r["apiVersion"], r["kind"], meta.get("namespace", ""), meta["name"])


def _kubectl_kustomize(directory: Path) -> list[dict[str, Any]] | None:
    kubectl = shutil.which("kubectl")
    if not kubectl:
        return None
    proc = subprocess.run(
        [kubectl, "kustomize", str(directory)], capture_output=True, text=True, timeout=120
    )
    if proc.returncode != 0:
        return None
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_renderer_output_equals_kubectl_kustomize(overlay: str) -> None:
    theirs = _kubectl_kustomize(DEPLOY / "overlays" / overlay)
    if theirs is None:
        pytest.skip("kubectl (with its built-in kustomize) is not installed here")
    ours = rendered(overlay)
    assert [_key(r) for r in ours] == [_key(r) for r in theirs]
    for a, b in zip(ours, theirs, strict=True):
        assert a == b, _key(a)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_cli_prints_the_rendered_overlay(overlay: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert render.main([str(DEPLOY / "overlays" / overlay)]) == 0
    docs = [d for d in yaml.safe_load_all(capsys.readouterr().out) if d]
    assert docs == rendered(overlay)


def same_as_kubectl(root: Path, ours: list[dict[str, Any]]) -> None:
    """Where kubectl is installed, its kustomize must render the same."""
    theirs = _kubectl_kustomize(root)
    if theirs is not None:
        assert ours == theirs


def _kustomization(tmp_path: Path, spec: dict[str, Any], resources: list[dict[str, Any]]) -> Path:
    (tmp_path / "res.yaml").write_text(yaml.safe_dump_all(resources), encoding="utf-8")
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump({"resources": ["res.yaml"], **spec}), encoding="utf-8"
    )
    return tmp_path


DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "d"},
    "spec": {
        "template": {
            "spec": {
                "containers": [
                    {
                        "name": "a",
                        "image": "ducha",
                        "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}],
                        "args": ["one", "two"],
                    },
                    {"name": "b", "image": "reg.local:5000/side:1.0"},
                ]
            }
        }
    },
}


def test_strategic_merge_merges_named_lists_and_replaces_others(tmp_path: Path) -> None:
    patch = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "a", "env": [{"name": "Y", "value": "3"}], "args": ["three"]},
                        {"name": "c", "image": "new"},
                    ]
                }
            }
        },
    }
    root = _kustomization(tmp_path, {"patches": [{"patch": yaml.safe_dump(patch)}]}, [DEPLOYMENT])
    (out,) = render.build(root)
    same_as_kubectl(root, [out])
    # kustomize's order: the patch's items first, then the untouched originals
    a, c, b = out["spec"]["template"]["spec"]["containers"]
    assert a["env"] == [{"name": "Y", "value": "3"}, {"name": "X", "value": "1"}]
    assert a["args"] == ["three"] and a["image"] == "ducha"
    assert b["name"] == "b" and c == {"name": "c", "image": "new"}


def test_json6902_and_targets_by_kind(tmp_path: Path) -> None:
    ops = [
        {"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "x"},
        {"op": "add", "path": "/spec/template/spec/containers/0/args/-", "value": "three"},
        {"op": "remove", "path": "/spec/template/spec/containers/1"},
    ]
    spec = {"patches": [{"target": {"kind": "Deployment"}, "patch": yaml.safe_dump(ops)}]}
    root = _kustomization(tmp_path, spec, [DEPLOYMENT])
    (out,) = render.build(root)
    same_as_kubectl(root, [out])
    containers = out["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["a"]
    assert containers[0]["image"] == "x" and containers[0]["args"] == ["one", "two", "three"]


def test_namespace_labels_and_images(tmp_path: Path) -> None:
    spec = {
        "namespace": "ns",
        "labels": [{"pairs": {"team": "ducha"}, "includeSelectors": False}],
        "images": [
            {"name": "ducha", "newName": "reg/ducha", "newTag": "1.2"},
            {"name": "reg.local:5000/side", "digest": "sha256:abc"},
        ],
    }
    root = _kustomization(tmp_path, spec, [DEPLOYMENT])
    (out,) = render.build(root)
    same_as_kubectl(root, [out])
    assert out["metadata"] == {"name": "d", "namespace": "ns", "labels": {"team": "ducha"}}
    images = [c["image"] for c in out["spec"]["template"]["spec"]["containers"]]
    assert images == ["reg/ducha:1.2", "reg.local:5000/side@sha256:abc"]


@pytest.mark.parametrize(
    "spec",
    [
        {"namePrefix": "x-"},
        {"configMapGenerator": [{"name": "c", "literals": ["a=b"]}]},
        {"labels": [{"pairs": {"a": "b"}, "includeSelectors": True}]},
        {"patches": [{"target": {"kind": "Service"}, "patch": "- {op: remove, path: /x}"}]},
        {"patches": [{"target": {"labelSelector": "a=b"}, "patch": "- {op: remove, path: /x}"}]},
        {
            "patches": [
                {
                    "patch": "{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {$patch: replace}}"
                }
            ]
        },
        {
            "patches": [
                {"target": {"kind": "Deployment"}, "patch": "- {op: move, from: /a, path: /b}"}
            ]
        },
    ],
)
def test_unsupported_or_unmatched_features_fail_loudly(
    tmp_path: Path, spec: dict[str, Any]
) -> None:
    with pytest.raises(render.RenderError):
        render.build(_kustomization(tmp_path, spec, [DEPLOYMENT]))


def test_duplicate_resources_are_refused(tmp_path: Path) -> None:
    root = _kustomization(tmp_path, {}, [DEPLOYMENT, DEPLOYMENT])
    with pytest.raises(render.RenderError, match="duplicate"):
        render.build(root)

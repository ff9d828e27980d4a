"""The real Hive Gateway, started with the environment the manifests give it, answers
its probe and metrics paths on the port the manifests probe."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest

from services.core.embedded import free_port, wait_for_port
from tests.conftest import TEST_SECRET
from tests.deploy.manifests import ROOT, container, container_env, find, rendered

GATEWAY_DIR = ROOT / "gateway"
HIVE = GATEWAY_DIR / "node_modules" / ".bin" / "hive-gateway"


@pytest.mark.skipif(not HIVE.exists(), reason="gateway npm dependencies not installed")
@pytest.mark.parametrize("overlay", ["prod"])
def test_gateway_answers_probes_with_the_rendered_environment(overlay: str, tmp_path: Path) -> None:
    resources = rendered(overlay)
    deployment = find(resources, "Deployment", "ducha-gateway")
    c = container(deployment, "gateway")
    env = {k: v.value for k, v in container_env(resources, c).items() if v.value is not None}
    port = free_port()
    dist = tmp_path / "web"  # a stand-in for the built web app the image carries
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>督查督办</title>" + " " * 4000)
    script = "export const answer = 42;\n" * 400
    (dist / "assets" / "app-1a2b3c.js").write_text(script)
    env.update(
        # only what cannot be the same outside the cluster: where to listen, the
        # image's file paths, the secret, and subgraph addresses (kept on loopback)
        PORT=str(port),
        HOST="127.0.0.1",
        SUPERGRAPH_PATH=str(GATEWAY_DIR / "supergraph.graphql"),
        WEB_DIST=str(dist),
        JWT_SECRET=TEST_SECRET,
        HOME=str(tmp_path),
        TASKS_URL="http://127.0.0.1:9/graphql",
        ALERTS_URL="http://127.0.0.1:9/graphql",
        EVALUATION_URL="http://127.0.0.1:9/graphql",
        PATH=os.environ.get("PATH", ""),
    )
    log = open(tmp_path / "gateway.log", "wb")
    proc = subprocess.Popen(
        ["node", str(HIVE), *c["args"]], cwd=GATEWAY_DIR, env=env, stdout=log, stderr=log
    )
    try:
        wait_for_port(port, timeout=60, proc=proc)
        for key in ("startupProbe", "livenessProbe", "readinessProbe"):
            path = c[key]["httpGet"]["path"]
            assert httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5).status_code == 200, key
        metrics_path = deployment["spec"]["template"]["metadata"]["annotations"][
            "prometheus.io/path"
        ]
        metrics = httpx.get(f"http://127.0.0.1:{port}{metrics_path}", timeout=5)
        assert metrics.status_code == 200 and "# TYPE" in metrics.text
        # the Ingress routes `/` here too: what it forwards (X-Forwarded-For) gets no
        # metrics, so they stay inside the cluster (the probes answer only up or down)
        forwarded = {"x-forwarded-for": "203.0.113.9"}
        r = httpx.get(f"http://127.0.0.1:{port}{metrics_path}", headers=forwarded, timeout=5)
        assert r.status_code == 404 and "# TYPE" not in r.text

        # the web app at `/`: pages fall back to index.html (client-side routes), assets are
        # immutable, text goes out gzipped to a browser that accepts it
        for path in ("/", "/console/board"):
            page = httpx.get(f"http://127.0.0.1:{port}{path}", headers=forwarded, timeout=5)
            assert page.status_code == 200 and "督查督办" in page.text, path
            assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        raw = httpx.get(
            f"http://127.0.0.1:{port}/assets/app-1a2b3c.js",
            headers={"accept-encoding": "identity"},
            timeout=5,
        )
        assert "content-encoding" not in raw.headers and raw.text == script
        packed = httpx.get(f"http://127.0.0.1:{port}/assets/app-1a2b3c.js", timeout=5)
        assert packed.headers["content-encoding"] == "gzip" and packed.text == script
        assert int(packed.headers["content-length"]) < len(script) / 10
        assert "immutable" in packed.headers["cache-control"]
        assert httpx.get(f"http://127.0.0.1:{port}/assets/gone.js", timeout=5).status_code == 404

        # WeCom sign-in's routes go to tasks (here unreachable: 502, not the JWT plugin's
        # 401); the development sign-in is not passed on in production
        base = f"http://127.0.0.1:{port}"
        assert httpx.post(f"{base}/auth/refresh", timeout=5).status_code == 502
        assert httpx.get(f"{base}/auth/options", timeout=5).status_code == 502
        dev = httpx.post(f"{base}/auth/dev/token", json={"personId": "x"}, timeout=5)
        assert dev.status_code != 502 and "token" not in dev.text
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()

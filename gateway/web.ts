// Serving the web console from the gateway's own origin, and the tasks service's sign-in
// routes (the development ones only in development). Both answer in onRequest, before any
// GraphQL or JWT handling.
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { GatewayPlugin } from '@graphql-hive/gateway';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};
// paths the gateway itself answers
const OWN = ['/graphql', '/healthcheck', '/readiness', '/metrics', '/auth/'];

function file(path: string): { size: number; mtimeMs: number } | undefined {
  try {
    const st = statSync(path);
    return st.isFile() ? { size: st.size, mtimeMs: st.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

// Text files go out gzipped to browsers that take it (a phone on 4G loads ~85 KB of script
// instead of ~300 KB), compressed once per file version and kept: the built app is a few MB.
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.json', '.svg', '.txt']);
const gzipped = new Map<string, { key: string; body: Uint8Array }>();

function gzipOf(path: string, found: { size: number; mtimeMs: number }): Uint8Array {
  const key = `${found.size}:${found.mtimeMs}`;
  const hit = gzipped.get(path);
  if (hit?.key === key) return hit.body;
  const body = new Uint8Array(gzipSync(readFileSync(path), { level: 9 }));
  gzipped.set(path, { key, body });
  return body;
}

/** Files of the built web app; any other page path gets index.html (client-side routes). */
export function useWebApp(distDir: string): GatewayPlugin {
  const root = normalize(distDir) + sep;
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return;
      if (OWN.some((p) => url.pathname === p || url.pathname.startsWith(p.endsWith('/') ? p : p + '/'))) return;
      let rel: string;
      try {
        rel = decodeURIComponent(url.pathname);
      } catch {
        return;
      }
      let path = normalize(join(root, rel));
      if (!path.startsWith(root)) return;
      let found = file(path);
      const isAsset = rel.startsWith('/assets/');
      if (!found && !isAsset && !extname(rel)) {
        path = join(root, 'index.html');
        found = file(path);
      }
      if (!found) return;
      const headers: Record<string, string> = {
        'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
        'content-length': String(found.size),
        'x-content-type-options': 'nosniff',
        // hashed asset names never change; the page itself is always re-checked
        'cache-control': isAsset ? 'public, max-age=31536000, immutable' : 'no-cache',
      };
      if (path.endsWith('.html')) {
        headers['content-security-policy'] =
          "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; font-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";
        headers['referrer-policy'] = 'same-origin';
      }
      const gzip =
        COMPRESSIBLE.has(extname(path)) && /\bgzip\b/.test(request.headers.get('accept-encoding') ?? '');
      headers['vary'] = 'accept-encoding';
      if (gzip) {
        const packed = gzipOf(path, found);
        headers['content-encoding'] = 'gzip';
        headers['content-length'] = String(packed.byteLength);
        endResponse(new fetchAPI.Response(request.method === 'HEAD' ? null : packed, { status: 200, headers }));
        return;
      }
      const body = request.method === 'HEAD' ? null : (createReadStream(path) as unknown as ReadableStream);
      endResponse(new fetchAPI.Response(body, { status: 200, headers }));
    },
  };
}

// The sign-in routes of the tasks service (ADR 0022) the browser may reach at this origin.
const AUTH_ROUTES = ['/auth/options', '/auth/wecom/start', '/auth/wecom/exchange', '/auth/refresh', '/auth/signout'];
// request headers passed on (the refresh cookie, the CSRF header) and answer headers kept
const PASS_IN = ['content-type', 'cookie', 'x-ducha-csrf', 'x-request-id'];

/** /auth/* → the tasks service: the WeCom sign-in always, /auth/dev/* only in development
 *  (the tasks service refuses those unless DEV_MODE too). The refresh cookie passes both
 *  ways, so it stays first-party and HttpOnly at this one origin. */
export function useAuthRoutes(tasksOrigin: string, devMode: boolean): GatewayPlugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      const known = AUTH_ROUTES.includes(url.pathname) || (devMode && url.pathname.startsWith('/auth/dev/'));
      if (!known) return;
      return (async () => {
        const headers: Record<string, string> = {};
        for (const name of PASS_IN) {
          const value = request.headers.get(name);
          if (value) headers[name] = value;
        }
        const init: RequestInit = { method: request.method, headers };
        if (request.method === 'POST') init.body = await request.text();
        try {
          const upstream = await fetch(tasksOrigin + url.pathname, { ...init, redirect: 'manual' });
          const out = new fetchAPI.Headers({
            'content-type': 'application/json; charset=utf-8',
            'cache-control': 'no-store',
          });
          for (const cookie of upstream.headers.getSetCookie()) out.append('set-cookie', cookie);
          endResponse(new fetchAPI.Response(await upstream.text(), { status: upstream.status, headers: out }));
        } catch {
          endResponse(new fetchAPI.Response(JSON.stringify({ error: '任务服务不可用' }), { status: 502 }));
        }
      })();
    },
  };
}

/** Paths only the cluster may reach (kubelet probes and Prometheus call the pod directly).
 *  The Ingress routes `/` to this gateway, so these would be public through it: a request
 *  the Ingress forwarded (it always adds X-Forwarded-For) gets 404 here. */
export function useInternalOnly(paths: string[]): GatewayPlugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (!paths.includes(url.pathname)) return;
      if (!request.headers.has('x-forwarded-for') && !request.headers.has('forwarded')) return;
      endResponse(new fetchAPI.Response('Not Found', { status: 404, headers: { 'content-type': 'text/plain' } }));
    },
  };
}

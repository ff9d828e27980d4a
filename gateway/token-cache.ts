// Verified bearer tokens, remembered until they expire, so the JWT plugin verifies each
// token once rather than on every request (ADR 0020: its check was the largest single cost
// of Ducha's gateway configuration, 0.6–1.0 ms of CPU per request).
//
// How: the JWT plugin (@graphql-yoga/plugin-jwt) skips its lookup and verification when the
// server context already carries `jwt`. Before it runs, this plugin puts there the payload
// that the plugin itself verified for exactly the same token string earlier, if that
// payload has not expired (`exp`, and `nbf` if present, checked on every use). After the
// plugin has verified a token it has not seen, this plugin remembers the result. Nothing
// else ever writes an entry: a token that differs in one byte (tampered, re-signed, another
// key) is a miss and goes through full verification; an expired one is dropped and
// verified again (and refused). Entries also lapse after `maxAgeMs`, so a signing key
// withdrawn from the JWKS stops being honoured within that time.
import type { GatewayPlugin } from '@graphql-hive/gateway';

type Verified = { payload: Record<string, unknown>; token: { value: string; prefix?: string } };
type Entry = { verified: Verified; until: number; notBefore: number };

function bearer(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value, extra] = header.trim().split(/\s+/);
  return scheme?.toLowerCase() === 'bearer' && value && !extra ? value : undefined;
}

export function useVerifiedTokenCache(maxEntries = 10_000, maxAgeMs = 300_000): GatewayPlugin {
  const entries = new Map<string, Entry>();

  function remembered(token: string, now: number): Verified | undefined {
    const entry = entries.get(token);
    if (!entry) return undefined;
    if (now >= entry.until || now < entry.notBefore) {
      entries.delete(token);
      return undefined;
    }
    return entry.verified;
  }

  return {
    // onRequest: every plugin's runs before any plugin parses the request, so this comes
    // first whatever the order of the plugins (Hive adds the JWT plugin before ours)
    onRequest({ request, serverContext }) {
      const token = bearer(request.headers.get('authorization'));
      const context = serverContext as { jwt?: Verified };
      if (!token || context.jwt) return;
      const verified = remembered(token, Date.now());
      if (verified) context.jwt = verified;
    },
    onContextBuilding({ context }) {
      const { request, jwt } = context as { request?: Request; jwt?: Verified };
      const token = bearer(request?.headers?.get('authorization'));
      // only what the JWT plugin verified for this very header is remembered
      if (!token || !jwt || jwt.token?.value !== token || entries.has(token)) return;
      const exp = jwt.payload?.exp;
      if (typeof exp !== 'number') return; // refused later: every token must expire
      const nbf = jwt.payload?.nbf;
      const now = Date.now();
      if (entries.size >= maxEntries) entries.clear();
      entries.set(token, {
        verified: jwt,
        until: Math.min(exp * 1000, now + maxAgeMs),
        notBefore: typeof nbf === 'number' ? nbf * 1000 : 0,
      });
    },
  };
}

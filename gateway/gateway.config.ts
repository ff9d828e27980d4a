// Hive Gateway configuration for Ducha. Every setting comes from the environment so
// the same file serves the local stack, the tests and Kubernetes.
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createInlineSigningKeyProvider,
  createRemoteJwksSigningKeyProvider,
  defineConfig,
  extractFromHeader,
  useRateLimiting,
  usePrometheus,
  type GatewayPlugin,
} from '@graphql-hive/gateway';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';
import { GraphQLError } from 'graphql';
import { WebSocketServer } from 'ws';
import {
  guardWebSocketConnections,
  onlyForFields,
  useRequestShape,
  useResponseCap,
  useStableCodes,
} from './edges.ts';
import { useVerifiedTokenCache } from './token-cache.ts';
import { useAuthRoutes, useInternalOnly, useWebApp } from './web.ts';

const here = dirname(fileURLToPath(import.meta.url));
const env = process.env;

// The committed supergraph carries local default subgraph addresses; each may be
// replaced at start-up (Kubernetes service names, test ports).
const DEFAULT_URLS: Record<string, string> = {
  TASKS: 'http://127.0.0.1:4101/graphql',
  ALERTS: 'http://127.0.0.1:4102/graphql',
  EVALUATION: 'http://127.0.0.1:4103/graphql',
};

function supergraph(): string {
  let sdl = readFileSync(env.SUPERGRAPH_PATH ?? join(here, 'supergraph.graphql'), 'utf8');
  for (const [name, url] of Object.entries(DEFAULT_URLS)) {
    const override = env[`${name}_URL`];
    if (override) sdl = sdl.split(`"${url}"`).join(JSON.stringify(override));
  }
  return sdl;
}

const algorithm = env.JWT_ALGORITHM ?? 'HS256';
// The inline key is made a KeyObject once, at start-up: given a string, jsonwebtoken first
// tries createPublicKey on it for every request and catches the failure (6% of the gateway's
// busy time in the ADR 0020 profile) before it falls back to a secret key.
const inlineKey = () =>
  algorithm.startsWith('HS')
    ? createSecretKey(Buffer.from(env.JWT_SECRET!))
    : createPublicKey(env.JWT_PUBLIC_KEY!);
// JWKS keys arrive as PEM strings: keep each one's KeyObject (a handful of keys, rotated).
function asKeyObjects(provider: ReturnType<typeof createRemoteJwksSigningKeyProvider>) {
  const made = new Map<string, KeyObject>();
  return async (kid?: string) => {
    const pem = await provider(kid);
    if (!pem) return pem;
    let key = made.get(pem);
    if (!key) {
      if (made.size >= 16) made.clear();
      key = createPublicKey(pem);
      made.set(pem, key);
    }
    return key as unknown as string;
  };
}
const signingKeyProviders = env.JWT_JWKS_URL
  ? [asKeyObjects(createRemoteJwksSigningKeyProvider({ jwksUri: env.JWT_JWKS_URL }))]
  : [createInlineSigningKeyProvider(inlineKey() as unknown as string)];
const devMode = env.DEV_MODE === '1' || env.DEV_MODE === 'true';
const num = (name: string, fallback: number) => Number(env[name] ?? fallback);

// Browsers reach the gateway from its own origin in production (the Ingress serves the web
// app and /graphql together), so CORS is off unless origins are listed; development lists
// the local web app's origins.
const corsOrigins = (env.GATEWAY_CORS_ORIGINS ?? (devMode ? 'http://127.0.0.1:5173,http://localhost:5173' : ''))
  .split(',')
  .map((o) => o.trim())
  .filter(Boolean);

// WebSocket clients authenticate with connectionParams ({ authorization: 'Bearer <jwt>' },
// or the bare token). The stock extractFromConnectionParams ignores the prefix and hands
// "Bearer <jwt>" to the verifier, which rejects it: accept both forms here.
function bearerFromConnectionParams(context: unknown): string | undefined {
  const params = (context as { connectionParams?: Record<string, unknown> } | undefined)
    ?.connectionParams;
  const raw = params?.authorization ?? params?.Authorization;
  if (typeof raw !== 'string' || !raw.trim()) return undefined;
  const [first, second] = raw.trim().split(/\s+/, 2);
  return second && first.toLowerCase() === 'bearer' ? second : first;
}

function extractFromWebSocketParams({ serverContext }: { serverContext?: unknown }) {
  const token = bearerFromConnectionParams(serverContext);
  return token ? { prefix: 'Bearer', token } : undefined;
}

if (!env.JWT_SECRET && !env.JWT_PUBLIC_KEY && !env.JWT_JWKS_URL) {
  throw new Error('JWT_SECRET, JWT_PUBLIC_KEY or JWT_JWKS_URL must be set');
}

const webDist = env.WEB_DIST ?? join(here, '..', 'web', 'dist');
const tasksBase = () => new URL(env.TASKS_URL ?? DEFAULT_URLS.TASKS).origin;

const HEAVY_OPERATIONS = [
  ['Mutation', 'ledgerImportItems'],
  ['Mutation', 'organisationImport'],
  ['Query', 'ledgerExport'],
  ['Query', 'statisticsExport'],
  ['Query', 'rankingsExport'],
  ['Query', 'bulletinExport'],
] as const;

const port = Number(env.PORT ?? 4000);
const selfHost = env.HOST && !['0.0.0.0', '::'].includes(env.HOST) ? env.HOST : '127.0.0.1';
guardWebSocketConnections(WebSocketServer, () => `http://${selfHost}:${port}/graphql`);

const PROMETHEUS_METRICS = {
  graphql_envelop_deprecated_field: false,
  graphql_envelop_request: false,
  graphql_envelop_request_duration: false,
  graphql_envelop_request_time_summary: false,
  graphql_envelop_phase_parse: false,
  graphql_envelop_phase_validate: false,
  graphql_envelop_phase_context: false,
  graphql_envelop_phase_execute: false,
  graphql_envelop_phase_subscribe: false,
  graphql_envelop_error_result: true,
  graphql_envelop_schema_change: true,
  graphql_yoga_http_duration: true,
  graphql_gateway_fetch_duration: true,
  graphql_gateway_subgraph_execute_duration: true,
  graphql_gateway_subgraph_execute_errors: true,
};

export const gatewayConfig = defineConfig({
  supergraph,
  // Query plans from the Rust planner (Hive Router's, ADR 0020): 15–40% less gateway CPU
  // per request than the JavaScript planner in the same run. GATEWAY_QUERY_PLANNER=js
  // switches back (anything else, or unset, is the Rust planner).
  ...(env.GATEWAY_QUERY_PLANNER === 'js' ? {} : { unifiedGraphHandler }),
  port,
  host: env.HOST ?? '127.0.0.1',
  graphqlEndpoint: '/graphql',
  healthCheckEndpoint: '/healthcheck',
  readinessCheckEndpoint: '/readiness',
  graphiql: devMode ? { title: 'Ducha 督查' } : false,
  landingPage: false,
  gracefulShutdownTimeout: Number(env.GRACEFUL_SHUTDOWN_TIMEOUT_MS ?? 25000),
  // Idle client connections are kept 75 s, longer than ingress-nginx keeps its idle upstream
  // connections (60 s), so the proxy always closes first and never sends a request on a
  // connection the gateway is closing (Node's default is 5 s; the same race between the
  // gateway and the services is why they keep theirs 75 s too).
  keepAliveTimeout: num('GATEWAY_KEEP_ALIVE_MS', 75_000),
  maskedErrors: true,
  blockFieldSuggestions: !devMode,
  maxDepth: num('GATEWAY_MAX_DEPTH', 10),
  maxTokens: num('GATEWAY_MAX_TOKENS', 2000),
  // execution time limit for each subgraph fetch of an operation
  upstreamTimeout: num('GATEWAY_UPSTREAM_TIMEOUT_MS', 30000),
  // Operations are priced before any subgraph is called (IBM cost spec: @cost / @listSize
  // from the supergraph; lists without @listSize count as GATEWAY_ASSUMED_LIST_SIZE items).
  demandControl: {
    maxCost: num('GATEWAY_MAX_COST', 20000),
    listSize: num('GATEWAY_ASSUMED_LIST_SIZE', 20),
    includeExtensionMetadata: devMode,
  },
  cors: corsOrigins.length
    ? { origin: corsOrigins, credentials: false, methods: ['GET', 'POST'] }
    : false,
  // A GET (the only request a browser sends cross-site without a preflight besides forms,
  // which are refused outright) must carry a header only a same-origin script can set.
  csrfPrevention: { requestHeaders: ['authorization', 'x-ducha-csrf'] },
  // Introspection for developers; in production only for ops with the "introspect" grant.
  disableIntrospection: devMode
    ? false
    : {
        disableIf: ({ context }: { context: unknown }) => {
          const ops = (context as { jwt?: { payload?: { ops?: unknown } } })?.jwt?.payload?.ops;
          return !(Array.isArray(ops) && ops.includes('introspect'));
        },
      },
  // prometheus: registered in `plugins` below, after the guard that keeps /metrics internal
  jwt: {
    signingKeyProviders,
    // the plugin option is tokenLookupLocations (a "lookupLocations" key is silently ignored)
    tokenLookupLocations: [
      extractFromHeader({ name: 'authorization', prefix: 'Bearer' }),
      extractFromWebSocketParams,
    ],
    tokenVerification: {
      algorithms: [algorithm],
      issuer: env.JWT_ISSUER ?? 'ducha',
      audience: env.JWT_AUDIENCE ?? 'ducha',
    },
    reject: { missingToken: true, invalidToken: true },
    forward: { payload: true, token: true },
  },
  plugins: (ctx) => [
    // before the JWT plugin: a token it already verified is not verified again until it
    // expires (at most 5 minutes remembered)
    useVerifiedTokenCache(num('GATEWAY_TOKEN_CACHE_ENTRIES', 10_000)),
    // Heavy operations (Excel imports and exports) are limited per caller; the limiter only
    // looks at operations that name one of them.
    onlyForFields(
      useRateLimiting({
        config: HEAVY_OPERATIONS.map(([type, field]) => ({
          type,
          field,
          max: Number(env.GATEWAY_HEAVY_LIMIT_PER_MINUTE ?? 30),
          ttl: 60_000,
          identifier: '{context.jwt.payload.sub}',
        })),
        cache: ctx.cache!,
      }) as GatewayPlugin,
      HEAVY_OPERATIONS.map(([, field]) => field),
    ),
    // the Ingress publishes `/` (the web app): metrics stay in the cluster (the built-in
    // /healthcheck and /readiness answer before any plugin; they tell only up or down)
    useInternalOnly(['/metrics']),
    // Request latency and errors, subgraph fetches and executions; not the per-phase
    // histograms, the summary or the deprecated-field walk over every document (ADR 0020: the
    // full default set was a tenth of the gateway's busy time).
    usePrometheus({ metrics: PROMETHEUS_METRICS, endpoint: '/metrics', log: ctx.log } as never),
    // The web console (web/dist, built by `make run`) at this origin, and the tasks
    // service's sign-in routes under /auth/ (one origin: no CORS, a first-party cookie).
    ...(existsSync(webDist) ? [useWebApp(webDist)] : []),
    useAuthRoutes(tasksBase(), devMode),
    useRequestShape(num('GATEWAY_MAX_BODY_BYTES', 1_048_576)),
    maxAliasesPlugin({ n: num('GATEWAY_MAX_ALIASES', 30), allowList: [] }),
    useResponseCap(num('GATEWAY_MAX_RESPONSE_BYTES', 8_388_608)),
    useStableCodes(!devMode),
    {
      // Every token must expire: the JWT plugin verifies exp only when it is present.
      onExecute({ args }) {
        const payload = (args.contextValue as { jwt?: { payload?: { exp?: unknown } } }).jwt?.payload;
        if (payload && typeof payload.exp !== 'number') {
          throw new GraphQLError('Token has no expiry (exp)', {
            extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
          });
        }
      },
    },
  ],
  // Sign every subgraph request: with SUBGRAPH_HMAC_SECRET set, subgraphs answer nobody else.
  ...(env.SUBGRAPH_HMAC_SECRET ? { hmacSignature: { secret: env.SUBGRAPH_HMAC_SECRET } } : {}),
  // Subgraphs verify the token again: pass the caller's bearer token along.
  propagateHeaders: {
    fromClientToSubgraphs({ request, context }) {
      // Over WebSocket the request is the upgrade request (no Authorization header): the
      // token comes from connectionParams and goes on as a normal bearer header.
      const fromHeader = request?.headers?.get('authorization');
      const fromParams = bearerFromConnectionParams(context);
      const authorization = fromHeader ?? (fromParams ? `Bearer ${fromParams}` : undefined);
      const requestId = request?.headers?.get('x-request-id');
      return {
        ...(authorization ? { authorization } : {}),
        ...(requestId ? { 'x-request-id': requestId } : {}),
      };
    },
  },
});

// Hive Gateway configuration for Ducha. Every setting comes from the environment so
// the same file serves the local stack, the tests and Kubernetes.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createInlineSigningKeyProvider,
  createRemoteJwksSigningKeyProvider,
  defineConfig,
  extractFromHeader,
  usePrometheus,
} from '@graphql-hive/gateway';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { GraphQLError } from 'graphql';
import { WebSocketServer } from 'ws';
import {
  guardWebSocketConnections,
  useRequestShape,
  useResponseCap,
  useStableCodes,
} from './edges.ts';
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
const signingKeyProviders = env.JWT_JWKS_URL
  ? [createRemoteJwksSigningKeyProvider({ jwksUri: env.JWT_JWKS_URL })]
  : [createInlineSigningKeyProvider(algorithm.startsWith('HS') ? env.JWT_SECRET! : env.JWT_PUBLIC_KEY!)];
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

const port = Number(env.PORT ?? 4000);
const selfHost = env.HOST && !['0.0.0.0', '::'].includes(env.HOST) ? env.HOST : '127.0.0.1';
guardWebSocketConnections(WebSocketServer, () => `http://${selfHost}:${port}/graphql`);

export const gatewayConfig = defineConfig({
  supergraph,
  port,
  host: env.HOST ?? '127.0.0.1',
  graphqlEndpoint: '/graphql',
  healthCheckEndpoint: '/healthcheck',
  readinessCheckEndpoint: '/readiness',
  graphiql: devMode ? { title: 'Ducha 督查' } : false,
  landingPage: false,
  gracefulShutdownTimeout: Number(env.GRACEFUL_SHUTDOWN_TIMEOUT_MS ?? 25000),
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
  // Heavy operations (Excel imports and exports) are limited per caller.
  rateLimiting: [
    ['Mutation', 'ledgerImportItems'],
    ['Mutation', 'organisationImport'],
    ['Query', 'ledgerExport'],
    ['Query', 'statisticsExport'],
    ['Query', 'rankingsExport'],
    ['Query', 'bulletinExport'],
  ].map(([type, field]) => ({
    type,
    field,
    max: Number(env.GATEWAY_HEAVY_LIMIT_PER_MINUTE ?? 30),
    ttl: 60_000,
    identifier: '{context.jwt.payload.sub}',
  })),
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
    // the Ingress publishes `/` (the web app): metrics stay in the cluster (the built-in
    // /healthcheck and /readiness answer before any plugin; they tell only up or down)
    useInternalOnly(['/metrics']),
    usePrometheus({ metrics: true, endpoint: '/metrics', log: ctx.log } as never),
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

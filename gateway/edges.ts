// The gateway's edges: what a request must look like before any GraphQL work starts, and
// the stable codes clients see when one is refused. Every limit comes from gateway.config.ts.
import type { GatewayPlugin } from '@graphql-hive/gateway';

type GraphQLErrorLike = { message?: string; extensions?: Record<string, unknown> };

function refusal(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ errors: [{ message, extensions: { code } }] }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
}

// Only JSON bodies: no form-encoded, multipart or text/plain POST (uploads travel as
// base64 inside JSON), and a body-size limit checked before the body is read.
export function useRequestShape(maxBodyBytes: number): GatewayPlugin {
  return {
    onRequest({ request, endResponse }) {
      if (request.method !== 'POST') return;
      const type = (request.headers.get('content-type') ?? '').toLowerCase();
      if (!type.startsWith('application/json') && !type.startsWith('application/graphql-response+json')) {
        endResponse(refusal(415, 'UNSUPPORTED_MEDIA_TYPE', 'Only application/json POST bodies are accepted'));
        return;
      }
      const length = request.headers.get('content-length');
      if (length === null) {
        endResponse(refusal(411, 'LENGTH_REQUIRED', 'A Content-Length header is required'));
        return;
      }
      if (Number(length) > maxBodyBytes) {
        endResponse(
          refusal(413, 'REQUEST_TOO_LARGE', `Request body of ${length} bytes exceeds the limit of ${maxBodyBytes}`),
        );
      }
    },
  };
}

// A subgraph answer larger than the cap is dropped before the gateway parses it.
export function useResponseCap(maxBytes: number): GatewayPlugin {
  return {
    onFetch() {
      return ({ response, setResponse }) => {
        const length = Number(response.headers.get('content-length') ?? 0);
        if (length > maxBytes) {
          void response.body?.cancel();
          setResponse(
            new Response(
              JSON.stringify({
                data: null,
                errors: [
                  {
                    message: `Response of ${length} bytes exceeds the limit of ${maxBytes}; ask for fewer fields or a smaller page`,
                    extensions: { code: 'RESPONSE_TOO_LARGE' },
                  },
                ],
              }),
              { status: 200, headers: { 'content-type': 'application/json' } },
            ),
          );
        }
      };
    },
  };
}

// GraphQL Armor and graphql-js name refusals in prose; give each a stable code, give every
// authentication failure UNAUTHENTICATED, and in production never suggest names.
const ARMOR_CODES: Array<[RegExp, string]> = [
  [/Aliases limit/i, 'MAX_ALIASES_EXCEEDED'],
  [/Query depth limit|Depth limit/i, 'MAX_DEPTH_EXCEEDED'],
  [/Token limit/i, 'MAX_TOKENS_EXCEEDED'],
  // graphql-js coercing a variable (wrong type, unknown enum value, missing field): no code
  [/^Variable "\$[^"]*" (got invalid value|of required type|of non-null type)/, 'BAD_USER_INPUT'],
];

export function isAuthFailure(error: GraphQLErrorLike): boolean {
  const status = (error.extensions?.http as { status?: number } | undefined)?.status;
  return status === 401 || /authentication token|jwt|token/i.test(error.message ?? '') && status === 400;
}

export function useStableCodes(hideSuggestions: boolean): GatewayPlugin {
  return {
    onResultProcess({ result }) {
      const errors = (result as { errors?: GraphQLErrorLike[] } | undefined)?.errors;
      for (const error of errors ?? []) {
        error.extensions ??= {};
        if (isAuthFailure(error)) {
          error.extensions.code = 'UNAUTHENTICATED';
          error.extensions.http = { ...(error.extensions.http as object), status: 401 };
        }
        for (const [pattern, code] of ARMOR_CODES) {
          if (pattern.test(error.message ?? '')) error.extensions.code = code;
        }
        if (hideSuggestions && error.message) {
          error.message = error.message.replace(/\s*Did you mean[^?]*\?/g, '');
        }
      }
    },
  };
}

// WebSocket clients authenticate in graphql-ws's connection_init (browsers cannot set headers
// on an upgrade). The CLI's graphql-ws server acknowledges any connection_init, so hold each
// new socket's messages until its token has passed the gateway's own JWT check (one local
// request through this same gateway), then let them through; otherwise close with 4401.
export function guardWebSocketConnections(
  WebSocketServerClass: { prototype: { emit(event: string | symbol, ...args: unknown[]): boolean } },
  verifyUrl: () => string,
): void {
  const original = WebSocketServerClass.prototype.emit;
  WebSocketServerClass.prototype.emit = function (event: string | symbol, ...args: unknown[]) {
    if (event === 'connection') holdUntilAuthenticated(args[0] as GuardedSocket, verifyUrl);
    return original.call(this, event, ...args);
  };
}

type GuardedSocket = {
  emit(event: string | symbol, ...args: unknown[]): boolean;
  close(code: number, reason: string): void;
};

function bearerOf(initMessage: unknown): string | undefined {
  try {
    const parsed = JSON.parse(String(initMessage)) as { type?: string; payload?: Record<string, unknown> };
    if (parsed.type !== 'connection_init') return undefined;
    const raw = parsed.payload?.authorization ?? parsed.payload?.Authorization;
    if (typeof raw !== 'string' || !raw.trim()) return undefined;
    const [first, second] = raw.trim().split(/\s+/, 2);
    return second && first.toLowerCase() === 'bearer' ? second : first;
  } catch {
    return undefined;
  }
}

async function tokenAccepted(url: string, token: string): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    return response.status === 200 && !(await response.json()).errors;
  } catch {
    return false;
  }
}

function holdUntilAuthenticated(socket: GuardedSocket, verifyUrl: () => string): void {
  const emit = socket.emit;
  const held: unknown[][] = [];
  let state: 'waiting' | 'open' | 'closed' = 'waiting';
  socket.emit = function (event: string | symbol, ...args: unknown[]) {
    if (event !== 'message' || state === 'open') return emit.call(this, event, ...args);
    if (state === 'closed') return false;
    held.push(args);
    if (held.length === 1) {
      const token = bearerOf(args[0]);
      void (token ? tokenAccepted(verifyUrl(), token) : Promise.resolve(false)).then((ok) => {
        if (!ok) {
          state = 'closed';
          socket.close(4401, 'Unauthorized');
          return;
        }
        state = 'open';
        for (const message of held.splice(0)) emit.call(socket, 'message', ...message);
      });
    }
    return true;
  };
}

// The rate limiter walks every operation with TypeInfo to find its limited fields (3% of
// the gateway's busy time on a one-field query, ADR 0020). Only a document that names one
// of them anywhere (any type, any fragment) can need it: decide that once per parsed
// document (the gateway caches them) and skip the walk for all others.
type DocumentLike = { definitions: readonly unknown[] };
type Node = { kind?: string; name?: { value?: string }; selectionSet?: { selections: readonly Node[] } };

function namesAnyField(document: DocumentLike, names: ReadonlySet<string>): boolean {
  const stack: Node[] = [...(document.definitions as Node[])];
  while (stack.length) {
    const node = stack.pop()!;
    if (node.kind === 'Field' && names.has(node.name?.value ?? '')) return true;
    if (node.selectionSet) stack.push(...node.selectionSet.selections);
  }
  return false;
}

export function onlyForFields(plugin: GatewayPlugin, fieldNames: readonly string[]): GatewayPlugin {
  const names = new Set(fieldNames);
  const seen = new WeakMap<object, boolean>();
  const onExecute = (plugin as { onExecute?: (payload: { args: { document: DocumentLike } }) => unknown })
    .onExecute;
  if (!onExecute) return plugin;
  return {
    ...plugin,
    onExecute(payload: { args: { document: DocumentLike } }) {
      const document = payload.args.document;
      let named = seen.get(document);
      if (named === undefined) {
        named = namesAnyField(document, names);
        seen.set(document, named);
      }
      return named ? onExecute(payload) : undefined;
    },
  } as GatewayPlugin;
}

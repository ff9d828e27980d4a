// The one GraphQL client: urql over HTTP for queries and mutations, graphql-ws for the
// subscription. The token rides in the Authorization header / connectionParams.
import {
  Client,
  cacheExchange,
  fetchExchange,
  makeOperation,
  mapExchange,
  subscriptionExchange,
  type AnyVariables,
  type TypedDocumentNode,
} from '@urql/core';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { reactive } from 'vue';
import { currentToken } from './session';

/** Live connection state of the subscription socket (the big screen's badge reads it). */
export const socket = reactive({ connected: false, lostSince: null as Date | null, everConnected: false });

function wsUrl(): string {
  const u = new URL('/graphql', window.location.href);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}

let ws: WsClient | null = null;

function wsClient(): WsClient {
  if (ws) return ws;
  ws = createWsClient({
    url: wsUrl(),
    lazy: true,
    // retry for as long as the page is open (weeks on the wall), backing off to 10 s
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: (retries) => new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** Math.min(retries, 5)))),
    keepAlive: 10_000,
    connectionParams: () => {
      const token = currentToken();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
    on: {
      connected: () => {
        socket.connected = true;
        socket.everConnected = true;
        socket.lostSince = null;
      },
      closed: () => {
        if (socket.connected || !socket.lostSince) socket.lostSince = new Date();
        socket.connected = false;
      },
      error: () => {
        if (!socket.lostSince) socket.lostSince = new Date();
        socket.connected = false;
      },
    },
  });
  return ws;
}

/** Drop the socket (sign-out): the next subscription opens a new one with the new token. */
export function resetSocket(): void {
  ws?.dispose();
  ws = null;
  socket.connected = false;
  socket.lostSince = null;
}

// Answers a prefetch brought in, by operation key, until when they count as fresh: the page's
// own cache-and-network query then takes them from the cache without asking again at once.
const FRESH_MS = 3000;
const prefetched = new Map<number, number>();

const freshPrefetch = mapExchange({
  onOperation(operation) {
    const until = prefetched.get(operation.key);
    if (until === undefined || operation.kind !== 'query') return operation;
    prefetched.delete(operation.key);
    if (until < Date.now() || operation.context.requestPolicy !== 'cache-and-network') return operation;
    return makeOperation(operation.kind, operation, { ...operation.context, requestPolicy: 'cache-first' });
  },
});

export const client = new Client({
  url: '/graphql',
  preferGetMethod: false,
  requestPolicy: 'cache-and-network',
  exchanges: [
    freshPrefetch,
    cacheExchange,
    fetchExchange,
    subscriptionExchange({
      forwardSubscription(request) {
        const input = { ...request, query: request.query || '' };
        return {
          subscribe(sink) {
            const unsubscribe = wsClient().subscribe(input, sink);
            return { unsubscribe };
          },
        };
      },
    }),
  ],
  fetchOptions: (): RequestInit => {
    const token = currentToken();
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    return { headers };
  },
});

/** Start a page's first query while the page's code is still loading (the router calls it
 *  for routes whose meta names one): the page's own useQuery with the same variables then
 *  shares it (urql runs one operation per query + variables and caches its answer), so the
 *  round trip overlaps loading the chunks instead of following them. */
export function prefetch<Data, Variables extends AnyVariables>(
  query: TypedDocumentNode<Data, Variables>,
  variables: Variables,
): void {
  // network-only: the answer must be new (a cached one would be taken as fresh below)
  void client
    .query(query, variables, { requestPolicy: 'network-only' })
    .toPromise()
    .then((result) => {
      if (!result.error) prefetched.set(result.operation.key, Date.now() + FRESH_MS);
    });
}

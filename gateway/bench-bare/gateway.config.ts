// Hive Gateway with nothing of Ducha's: the same supergraph and the same (Rust) query
// planner, the caller's Authorization header passed on (the subgraphs verify it), and no
// plugin, limit, JWT check, metric or timeout. Not for serving anyone: `make bench`
// (bench/bench_paths.py) runs it beside the real gateway so every run shows what the
// gateway runtime itself costs per request, below which no configuration can go (ADR 0020).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@graphql-hive/gateway';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';

const env = process.env;
const here = dirname(fileURLToPath(import.meta.url));
const DEFAULT_URLS: Record<string, string> = {
  TASKS: 'http://127.0.0.1:4101/graphql',
  ALERTS: 'http://127.0.0.1:4102/graphql',
  EVALUATION: 'http://127.0.0.1:4103/graphql',
};

function supergraph(): string {
  let sdl = readFileSync(join(here, '..', 'supergraph.graphql'), 'utf8');
  for (const [name, url] of Object.entries(DEFAULT_URLS)) {
    const override = env[`${name}_URL`];
    if (override) sdl = sdl.split(`"${url}"`).join(JSON.stringify(override));
  }
  return sdl;
}

export const gatewayConfig = defineConfig({
  supergraph,
  unifiedGraphHandler,
  port: Number(env.PORT ?? 4000),
  host: env.HOST ?? '127.0.0.1',
  graphqlEndpoint: '/graphql',
  graphiql: false,
  landingPage: false,
  propagateHeaders: {
    fromClientToSubgraphs({ request }) {
      const authorization = request?.headers?.get('authorization');
      return authorization ? { authorization } : {};
    },
  },
});

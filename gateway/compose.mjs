// Composes gateway/supergraph.graphql from the three subgraph SDLs printed by the
// Python CLI (`ducha sdl <service>`); no running servers needed. Exits non-zero on
// composition errors. With --check, compares with the committed file instead.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'graphql';
import { composeServices } from '@theguild/federation-composition';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const python = process.env.PYTHON ?? join(root, '.venv', 'bin', 'python');
const SUBGRAPHS = [
  ['tasks', 'http://127.0.0.1:4101/graphql'],
  ['alerts', 'http://127.0.0.1:4102/graphql'],
  ['evaluation', 'http://127.0.0.1:4103/graphql'],
];

const services = SUBGRAPHS.map(([name, url]) => ({
  name,
  url,
  typeDefs: parse(
    execFileSync(python, ['-m', 'services.cli', 'sdl', name], { cwd: root, encoding: 'utf8' }),
  ),
}));

const result = composeServices(services);
if (result.errors && result.errors.length > 0) {
  for (const error of result.errors) {
    console.error(`${error.extensions?.code ?? 'ERROR'}: ${error.message}`);
  }
  process.exit(1);
}
const target = join(here, 'supergraph.graphql');
const sdl = result.supergraphSdl.trimEnd() + '\n';
if (process.argv.includes('--check')) {
  const committed = readFileSync(target, 'utf8');
  if (committed !== sdl) {
    console.error('gateway/supergraph.graphql is out of date: run `make compose`');
    process.exit(2);
  }
  console.log('supergraph is up to date');
} else {
  writeFileSync(target, sdl);
  console.log(`wrote ${target}`);
}

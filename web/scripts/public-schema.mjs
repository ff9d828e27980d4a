// The client-facing schema: the committed supergraph without its federation machinery
// (join__*, link, @inaccessible members). GraphQL Code Generator types the web app from it.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, print, buildASTSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { transformSupergraphToPublicSchema } from '@theguild/federation-composition';

const here = dirname(fileURLToPath(import.meta.url));
const supergraph = readFileSync(join(here, '..', '..', 'gateway', 'supergraph.graphql'), 'utf8');
const publicAst = transformSupergraphToPublicSchema(parse(supergraph));
const schema = buildASTSchema(parse(print(publicAst)), { assumeValidSDL: true });
const out = process.env.SCHEMA_OUT ?? join(here, '..', 'schema.graphql');
writeFileSync(out, '# Generated from gateway/supergraph.graphql by scripts/public-schema.mjs; do not edit.\n' + printSchema(lexicographicSortSchema(schema)) + '\n');
console.log(`wrote ${out}`);

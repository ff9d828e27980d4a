import type { CodegenConfig } from '@graphql-codegen/cli';

// Types for every .graphql document under src/, from the public schema of the committed
// supergraph (scripts/public-schema.mjs). tests/web/test_codegen.py fails when src/gql is stale.
const out = process.env.CODEGEN_OUT ?? './src/gql/';

const config: CodegenConfig = {
  schema: process.env.SCHEMA_OUT ?? './schema.graphql',
  documents: ['src/**/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    [out]: {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { Date: 'string', DateTime: 'string', JSON: 'unknown', UUID: 'string' },
      },
    },
  },
};
export default config;

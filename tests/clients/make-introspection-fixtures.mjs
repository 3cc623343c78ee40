// Writes the introspection queries of the pinned graphql-js into tests/api/fixtures/introspection/,
// for the Rust tests to send: `node make-introspection-fixtures.mjs` after changing the graphql
// version in package.json. introspection.test.mjs fails while the files are out of date. The text
// is byte for byte what getIntrospectionQuery() returns (odd indentation and blank lines
// included), since that is what clients put in the request.

import { mkdir, writeFile } from 'node:fs/promises';
import { FIXTURES, FIXTURE_DIR } from './lib/introspection.mjs';

await mkdir(FIXTURE_DIR, { recursive: true });
for (const [name, query] of Object.entries(FIXTURES)) {
  await writeFile(new URL(name, FIXTURE_DIR), query);
  console.log(`wrote tests/api/fixtures/introspection/${name}`);
}

// Typed clients: generate TypeScript types from schema.graphql (for the operations in
// docs/examples/graphql/) and from docs/openapi.json, then type-check the examples of docs/examples
// against them. Needs no server. The generated files go to the examples' generated/ folders, which
// git ignores (docs/examples/.gitignore).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const bin = (name) => fileURLToPath(new URL(`./node_modules/.bin/${name}`, import.meta.url));

/** Runs a tool of this package; on failure, the message carries everything it printed. */
async function run(tool, args) {
  try {
    return await promisify(execFile)(bin(tool), args, { cwd: here, env: { ...process.env, NO_COLOR: '1' } });
  } catch (error) {
    assert.fail(`${tool} ${args.join(' ')} failed:\n${error.stdout}${error.stderr}`);
  }
}

test('graphql-codegen: the example operations are valid against schema.graphql', async () => {
  await run('graphql-codegen', ['--config', 'codegen.yml', '--silent']);
});

test('openapi-typescript: docs/openapi.json becomes TypeScript types', async () => {
  await run('openapi-typescript', ['../../docs/openapi.json', '-o', '../../docs/examples/rest/generated/openapi.d.ts']);
});

test('tsc: the examples type-check against the generated types', async () => {
  await run('tsc', ['--noEmit', '-p', 'tsconfig.json']);
});

// GraphQL tooling (GraphiQL, codegen, Apollo, Relay…) learns the schema with graphql-js's
// introspection query. Every option combination must be answered, and the schema rebuilt from the
// answer must be the one in schema.graphql.
//
// The oracle: the same query run by graphql-js itself on buildSchema(schema.graphql). Both answers
// go through buildClientSchema and are printed with types and fields sorted, so only a real
// difference in the schema (or in what an option asks for) fails.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  buildSchema, buildClientSchema, graphqlSync, getIntrospectionQuery, lexicographicSortSchema,
  printSchema, findBreakingChanges, findDangerousChanges,
} from 'graphql';

import { graphql } from './lib/server.mjs';
import { everyCombination, FIXTURES, FIXTURE_DIR } from './lib/introspection.mjs';

const sdl = await readFile(new URL('../../schema.graphql', import.meta.url), 'utf8');
const committed = buildSchema(sdl);

// graphql-js 16.15's built-in @deprecated also applies to directive definitions (a newer draft
// of the spec than the server's October 2021 one). That is the library's own directive, not part
// of this schema, so that one difference is not held against the server.
const SPEC_VERSION_DIFFERENCES = ['DIRECTIVE_DEFINITION was removed from deprecated.'];
const changes = (list) => list.filter((change) => !SPEC_VERSION_DIFFERENCES.includes(change.description));

/** A few lines around the first line where two printed schemas differ (the whole diff is long). */
function firstDifference(actual, expected) {
  const [a, b] = [actual.split('\n'), expected.split('\n')];
  const i = a.findIndex((line, n) => line !== b[n]);
  const at = i === -1 ? Math.min(a.length, b.length) : i;
  const around = (lines) => lines.slice(Math.max(0, at - 2), at + 4).join('\n');
  return `served, from line ${at + 1}:\n${around(a)}\nschema.graphql:\n${around(b)}`;
}

const print = (schema) => printSchema(lexicographicSortSchema(schema));
const label = (options) =>
  Object.entries(options).map(([name, on]) => `${on ? '+' : '-'}${name}`).join(' ');

test('the committed introspection fixtures are the queries of the pinned graphql-js', async () => {
  for (const [name, query] of Object.entries(FIXTURES)) {
    const onDisk = await readFile(new URL(name, FIXTURE_DIR), 'utf8').catch(() => '(missing)');
    assert.equal(onDisk, query, `${name} is out of date: run node make-introspection-fixtures.mjs`);
  }
});

test('buildSchema(schema.graphql) survives its own introspection (the oracle is sound)', () => {
  // Every option on, or the scalars' @specifiedBy would be lost on the way.
  const everything = everyCombination().at(-1);
  const { data, errors } = graphqlSync({ schema: committed, source: getIntrospectionQuery(everything) });
  assert.equal(errors, undefined);
  assert.equal(print(buildClientSchema(data)), print(committed));
});

for (const options of everyCombination()) {
  test(`introspection ${label(options)}`, async () => {
    const query = getIntrospectionQuery(options);
    const { status, body } = await graphql(query);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.errors, undefined, `the server refused the query: ${JSON.stringify(body.errors)}`);

    const served = buildClientSchema(body.data);
    const expected = graphqlSync({ schema: committed, source: query });
    assert.equal(expected.errors, undefined);
    const oracle = buildClientSchema(expected.data);

    // Semantic first (its message names what differs), then the printed schema as a whole.
    assert.deepEqual(changes(findBreakingChanges(oracle, served)), [], 'served schema breaks schema.graphql');
    assert.deepEqual(changes(findDangerousChanges(oracle, served)), [], 'served schema differs from schema.graphql');
    const [actual, wanted] = [print(served), print(oracle)];
    assert.ok(actual === wanted, `the served schema differs from schema.graphql:\n${firstDifference(actual, wanted)}`);
  });
}

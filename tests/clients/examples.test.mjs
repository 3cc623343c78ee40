// The example operations of docs/examples/graphql/ (the ones the typed client is generated from)
// run against the server as written: typecheck.test.mjs proves they match schema.graphql, this
// proves the server answers them.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';

import { api, createEditor, graphql, login } from './lib/server.mjs';

const operation = (name) => readFile(new URL(`../../docs/examples/graphql/${name}`, import.meta.url), 'utf8');

let token;
let labor;
before(async () => {
  const editor = await createEditor('examples');
  ({ access_token: token } = await login(editor.email, editor.password));
  [labor] = await api('/sectors?slug=labor');
});

test('essays.graphql: a page of labor essays with authors and sectors', async () => {
  const { status, body } = await graphql(await operation('essays.graphql'), { first: 2, sector: ['labor'] }, token);
  assert.equal(status, 200);
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  const { essays } = body.data;
  assert.equal(essays.nodes.length, 2);
  assert.ok(essays.totalCount >= 2);
  assert.equal(essays.pageInfo.hasNextPage, essays.totalCount > 2);
  for (const essay of essays.nodes) {
    assert.ok(essay.sectors.some((s) => s.slug === 'labor'), `${essay.title} is a labor essay`);
    assert.equal(typeof essay.readingTimeMinutes, 'number');
  }
});

test('essay-by-slug.graphql: one essay, and null for an unknown slug', async () => {
  const query = await operation('essay-by-slug.graphql');
  const [first] = await api('/essays?limit=1');
  const found = await graphql(query, { slug: first.slug });
  assert.equal(found.body.errors, undefined, JSON.stringify(found.body.errors));
  assert.equal(found.body.data.essay.title, first.title);
  assert.equal(found.body.data.essay.databaseId, first.id);
  const missing = await graphql(query, { slug: 'no-such-essay' });
  assert.equal(missing.body.errors, undefined);
  assert.equal(missing.body.data.essay, null);
});

test('create-essay.graphql: a draft created by an editor', async () => {
  const input = { title: `Why we organize ${Date.now()}`, summary: 'From the typed-client example.', sectorIds: [labor.id] };
  const { body } = await graphql(await operation('create-essay.graphql'), { input }, token);
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  const created = body.data.createContent;
  assert.equal(created.__typename, 'Essay');
  assert.equal(created.title, input.title);
  assert.equal(created.status, 'DRAFT');
  assert.equal(created.version, 1);
  assert.equal(created.featured, false);
  const stored = await api(`/essays/${created.databaseId}`, { token });
  assert.deepEqual(stored.sector_ids, [labor.id]);
});

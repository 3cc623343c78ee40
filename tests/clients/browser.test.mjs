// The two pages a person opens in a browser: GraphiQL at /graphql and Swagger UI at /docs, in
// headless Chromium. Each must work with nothing but this server (a request to any other host
// fails the test, as it would fail offline or behind a strict firewall) and without a console
// error or an uncaught exception.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { baseUrl, graphql } from './lib/server.mjs';
import {
  launch, openPage, openGraphiql, typeQuery, runQuery, browseDocs, openSwagger, tryOperation,
  EXAMPLE_QUERY as QUERY,
} from './lib/browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Runs `steps` on a fresh page; fails on any foreign request, console error or page error. */
async function onPage(steps) {
  const { context, page, problems } = await openPage(browser, baseUrl);
  try {
    await steps(page);
  } catch (error) {
    if (problems.length) error.message += `\n--- the page also reported:\n${problems.join('\n')}`;
    throw error;
  } finally {
    await context.close();
  }
  assert.deepEqual(problems, [], 'the page asked only this server for anything and logged no error');
}

test('GraphiQL runs a query typed into its editor and shows the result', { timeout: 120_000 }, async () => {
  const expected = await graphql(QUERY);
  assert.equal(expected.body.errors, undefined);
  const titles = expected.body.data.essays.edges.map((edge) => edge.node.title);
  assert.equal(titles.length, 2);

  await onPage(async (page) => {
    await openGraphiql(page, baseUrl);
    assert.equal(await typeQuery(page, QUERY), QUERY, 'the editor holds the typed query');
    const shown = JSON.parse(await runQuery(page));
    assert.deepEqual(shown, { data: { essays: { edges: titles.map((title) => ({ node: { title } })) } } });
  });
});

test('GraphiQL\'s docs explorer shows the schema', { timeout: 120_000 }, async () => {
  await onPage(async (page) => {
    await openGraphiql(page, baseUrl);
    const { root, queryType } = await browseDocs(page);
    assert.match(root, /query\s*:\s*QueryRoot/);
    assert.match(root, /mutation\s*:\s*MutationRoot/);
    assert.match(queryType, /\bessays\b/);
    assert.match(queryType, /EssayConnection/);
  });
});

test('Swagger UI tries GET /api/v1/essays and shows a 200', { timeout: 600_000 }, async (t) => {
  await onPage(async (page) => {
    let started = Date.now();
    await openSwagger(page, baseUrl);
    const load = Date.now() - started;
    const { status, timings } = await tryOperation(page, 'GET', '/api/v1/essays');
    // Rendering the operation's 88 parameters is the slow part (it took half a minute while they
    // carried regex patterns): keep the numbers in the test output so a regression shows.
    t.diagnostic(`Swagger UI timings (ms): load ${load}, expand ${timings.expand}, try it out ${timings.tryItOut}, execute ${timings.execute}`);
    assert.equal(status, '200');
  });
});

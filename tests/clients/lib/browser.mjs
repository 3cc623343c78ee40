// Driving GraphiQL (/graphql) and Swagger UI (/docs) in headless Chromium, the way a person would.
// Used by browser.test.mjs (which asserts on what the pages show) and screenshots.mjs (which
// photographs them for the docs), so both see the same pages in the same state.

import { chromium } from 'playwright-core';

// Debian's Chromium, never a downloaded browser build.
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// No network chatter of the browser's own (updates, sync, QUIC probes): only the page's requests.
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export const launch = () => chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });

/**
 * A page in a fresh context that lets requests reach `baseUrl` only. Anything else is aborted and
 * recorded in `problems`, with every console error and uncaught page error: the pages must work
 * offline and cleanly, so the test fails on any of them.
 */
export async function openPage(browser, baseUrl, { viewport = { width: 1400, height: 900 } } = {}) {
  const origin = new URL(baseUrl).origin;
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const problems = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    problems.push(`request to another host: ${route.request().method()} ${url}`);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') {
      const { url, lineNumber } = message.location();
      problems.push(`console error: ${message.text()}${url ? ` (${url}:${lineNumber})` : ''}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.stack ?? error}`));
  return { context, page, problems };
}

// ---------------------------------------------------------------------------------------------
// GraphiQL 3 (class names of graphiql@3.9's DOM)

/** What the test types into GraphiQL, and the screenshot shows. */
export const EXAMPLE_QUERY = '{ essays(first: 2) { edges { node { title } } } }';

/** Opens GraphiQL as a browser does (navigations send Accept: text/html) and waits for it. */
export async function openGraphiql(page, baseUrl) {
  const response = await page.goto(`${baseUrl}/graphql`, { waitUntil: 'load' });
  if (!response.ok()) throw new Error(`GET /graphql answered ${response.status()}`);
  await page.locator('.graphiql-container .graphiql-query-editor .CodeMirror').waitFor({ timeout: 30_000 });
  // The schema arrives by an introspection query after the first render; the docs explorer and
  // autocompletion need it, and a run before it would race with it.
  await page.waitForFunction(() => !document.querySelector('.graphiql-spinner'), null, { timeout: 30_000 });
}

/** The CodeMirror 5 instance inside an element (GraphiQL 3 keeps it on the `.CodeMirror` node). */
const editorValue = (page, selector) =>
  page.locator(selector).first().evaluate((node) => node.CodeMirror.getValue());

/**
 * Puts `query` into the query editor as a user would: click in it, select all, type over it.
 * The text is inserted as one input event (like a paste), so CodeMirror's auto-closed brackets
 * do not double the ones in the query. Returns what the editor holds afterwards.
 */
export async function typeQuery(page, query) {
  await page.locator('.graphiql-query-editor .CodeMirror').first().click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(query);
  return editorValue(page, '.graphiql-query-editor .CodeMirror');
}

/** Clicks GraphiQL's prettify button (the typed one-liner becomes an indented query). */
export async function prettify(page) {
  await page.getByRole('button', { name: /^Prettify query/ }).click();
}

/** Clicks the run button and returns the response pane's text once a result is in it. */
export async function runQuery(page) {
  await page.locator('.graphiql-execute-button').click();
  const result = '.graphiql-response .result-window .CodeMirror';
  await page.waitForFunction(
    (selector) => {
      const node = document.querySelector(selector);
      return node?.CodeMirror && /^\s*\{/.test(node.CodeMirror.getValue());
    },
    result,
    { timeout: 30_000 },
  );
  return editorValue(page, result);
}

/** Opens the docs explorer, then the query root type; returns the explorer's text at each step. */
export async function browseDocs(page) {
  await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
  const explorer = page.locator('.graphiql-doc-explorer');
  await explorer.locator('.graphiql-doc-explorer-root-type').first().waitFor();
  const root = await explorer.innerText();
  // "query: QueryRoot": the type's name is a link to its fields.
  await explorer.locator('a.graphiql-doc-explorer-type-name').first().click();
  await explorer.locator('.graphiql-doc-explorer-field-name', { hasText: /^essays$/ }).first().waitFor();
  return { root, queryType: await explorer.innerText() };
}

// ---------------------------------------------------------------------------------------------
// Swagger UI

/** Opens /docs and waits for the operations of the OpenAPI document to be listed. */
export async function openSwagger(page, baseUrl) {
  const response = await page.goto(`${baseUrl}/docs`, { waitUntil: 'load' });
  if (!response.ok()) throw new Error(`GET /docs answered ${response.status()}`);
  await page.locator('.opblock').first().waitFor({ timeout: 60_000 });
}

/**
 * Expands `method path`, clicks "Try it out", fills in `params` (query parameters by name), clicks
 * "Execute", and returns the status code shown for the live response, with the time each step
 * took (the parameter list can be slow to render).
 */
export async function tryOperation(page, method, path, { params = {}, timeout = 180_000 } = {}) {
  const timings = {};
  let started = Date.now();
  const block = page.locator(`.opblock-${method.toLowerCase()}`).filter({
    has: page.locator('.opblock-summary-path', { hasText: new RegExp(`^${escapeRegExp(path)}$`) }),
  }).first();
  await block.locator('.opblock-summary').first().click({ timeout });
  const tryItOut = block.getByRole('button', { name: 'Try it out' });
  await tryItOut.waitFor({ timeout });
  timings.expand = Date.now() - started;

  started = Date.now();
  await tryItOut.click({ timeout });
  const execute = block.getByRole('button', { name: 'Execute' });
  await execute.waitFor({ timeout });
  for (const [name, value] of Object.entries(params)) {
    await block.locator(`tr[data-param-name="${name}"] input`).fill(value, { timeout });
  }
  timings.tryItOut = Date.now() - started;

  started = Date.now();
  await execute.click({ timeout });
  const status = block.locator('.live-responses-table .response .response-col_status').first();
  await status.waitFor({ timeout });
  timings.execute = Date.now() - started;
  return { status: (await status.innerText()).trim(), block, timings };
}

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// react-admin's and Refine's real data providers against the server, signed in as an editor with
// the auth code of docs/admin-ui.md (which lives in docs/examples/admin-ui/). Each result is
// compared with what the API's native dialect answers for the same question, so a provider that
// misreads a total, a page or an order fails here. A failing test shows the requests it made;
// OU_PRINT_REQUESTS=1 prints every request of the file at the end.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import ts from 'typescript';

import simpleRestProvider from 'ra-data-simple-rest';
import jsonServerProvider from 'ra-data-json-server';
import refineSimpleRest from '@refinedev/simple-rest';

import { apiUrl, api, admin, createEditor } from './lib/server.mjs';
import { installLocalStorage, recordRequests } from './lib/node-browser.mjs';

const storage = installLocalStorage();
const { requests, describe } = recordRequests();

/**
 * Imports a file of docs/examples/admin-ui/. It is copied into tests/clients/generated/ first, so
 * its imports (ra-core, axios…) resolve from this package's node_modules as they would from an
 * app's. The Refine example is TypeScript, as Refine apps are: its types are stripped on the way.
 */
async function importExample(name) {
  const source = await readFile(new URL(`../../docs/examples/admin-ui/${name}`, import.meta.url), 'utf8');
  const code = name.endsWith('.ts')
    ? ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText
    : source;
  const dir = new URL('./generated/admin-ui/', import.meta.url);
  await mkdir(dir, { recursive: true });
  const copy = new URL(name.replace(/\.ts$/, '.mjs'), dir);
  await writeFile(copy, code);
  return import(copy);
}
const { createAuth: createReactAdminAuth } = await importExample('react-admin-auth.mjs');
const { createDataProvider } = await importExample('react-admin-data-provider.mjs');
const { createAuth: createRefineAuth } = await importExample('refine-auth.ts');

/** A test whose failure message ends with the requests it made. */
function check(name, fn) {
  test(name, async (t) => {
    const first = requests.length;
    try {
      await fn(t);
    } catch (error) {
      error.message += `\n--- requests of this test:\n${describe(requests.slice(first))}`;
      throw error;
    }
  });
}

const ids = (records) => records.map((r) => r.id);
const refreshes = (since) => requests.slice(since).filter((r) => r.url.endsWith('/auth/refresh'));

let editor;       // the account the admin UIs sign in with
let editorToken;  // its token, for the native requests the results are compared with
let labor;        // the sector the editor works in
let laborByTitle; // every labor essay the editor can see, by title: what the lists should page through
let author;       // an editor profile that is an author of some essays
let authorEssays; // those essays, newest first

before(async () => {
  editor = await createEditor('providers');
  ({ access_token: editorToken } = await api('/auth/login', {
    method: 'POST', body: { email: editor.email, password: editor.password },
  }));
  [labor] = await api('/sectors?slug=labor');
  laborByTitle = await api('/essays?sector=labor&sort=title&limit=100', { token: editorToken });
  assert.ok(laborByTitle.length >= 3, 'the demo has at least three labor essays');
  const [someEssay] = await api('/essays?limit=1', { token: editorToken });
  author = someEssay.author_ids[0];
  authorEssays = await api(`/essays?author_id=${author}&sort=-published_at&limit=100`, { token: editorToken });
});

after(() => {
  if (process.env.OU_PRINT_REQUESTS) console.log(describe());
});

// ---------------------------------------------------------------------------------------------
// react-admin: the same calls through both providers, with the auth code of the guide.

const reactAdminProviders = {
  'ra-data-simple-rest': simpleRestProvider,
  'ra-data-json-server': jsonServerProvider,
};

for (const [name, makeProvider] of Object.entries(reactAdminProviders)) {
  const { authProvider, httpClient } = createReactAdminAuth(apiUrl);
  const dataProvider = createDataProvider(apiUrl, httpClient, makeProvider(apiUrl, httpClient));

  check(`${name}: authProvider signs in, checks, identifies and lists permissions`, async () => {
    storage.clear();
    await assert.rejects(authProvider.checkAuth(), /Not signed in/);
    await assert.rejects(
      authProvider.login({ username: editor.email, password: 'not-the-password' }),
      /Invalid email or password/,
    );
    await authProvider.login({ username: editor.email, password: editor.password });
    await authProvider.checkAuth();
    assert.deepEqual(await authProvider.getIdentity(), { id: editor.id, fullName: editor.email });
    const permissions = await authProvider.getPermissions();
    assert.ok(
      permissions.some((p) => p.resource === 'essays' && p.action === 'publish' && p.scope === 'sector'),
      `an editor may publish essays in their sectors: ${JSON.stringify(permissions)}`,
    );
    // 403 keeps the user signed in; 401 ends the session.
    await authProvider.checkError({ status: 403 });
    await authProvider.checkAuth();
  });

  check(`${name}: getList sorts, filters and pages, with the total`, async () => {
    const { data, total } = await dataProvider.getList('essays', {
      pagination: { page: 2, perPage: 2 },
      sort: { field: 'title', order: 'ASC' },
      filter: { sector: 'labor' },
    });
    assert.equal(total, laborByTitle.length);
    assert.deepEqual(ids(data), ids(laborByTitle.slice(2, 4)));

    const titled = await dataProvider.getList('essays', {
      pagination: { page: 1, perPage: 10 },
      sort: { field: 'title', order: 'DESC' },
      filter: { title_like: laborByTitle[0].title.split(' ').slice(-1)[0] },
    });
    assert.ok(titled.total >= 1);
    assert.ok(ids(titled.data).includes(laborByTitle[0].id));
  });

  check(`${name}: getOne, getMany and getManyReference`, async () => {
    const [a, b] = laborByTitle;
    const { data: one } = await dataProvider.getOne('essays', { id: a.id });
    assert.equal(one.id, a.id);
    assert.equal(typeof one.version, 'number');

    const { data: many } = await dataProvider.getMany('essays', { ids: [a.id, b.id] });
    assert.deepEqual(new Set(ids(many)), new Set([a.id, b.id]));

    const byAuthor = await dataProvider.getManyReference('essays', {
      target: 'author_id', id: author,
      pagination: { page: 1, perPage: 25 }, sort: { field: 'published_at', order: 'DESC' }, filter: {},
    });
    assert.equal(byAuthor.total, authorEssays.length);
    assert.deepEqual(ids(byAuthor.data), ids(authorEssays));

    const bySector = await dataProvider.getManyReference('essays', {
      target: 'sector_id', id: labor.id,
      pagination: { page: 1, perPage: 2 }, sort: { field: 'title', order: 'ASC' }, filter: {},
    });
    assert.equal(bySector.total, laborByTitle.length);
    assert.deepEqual(ids(bySector.data), ids(laborByTitle.slice(0, 2)));
  });

  check(`${name}: create, update, updateMany, workflow, revisions, delete and restore an essay`, async () => {
    const title = `Notes from the picket line (${name} ${Date.now()})`;
    const { data: created } = await dataProvider.create('essays', {
      data: { title, summary: 'Written from an admin UI.', body: 'First *draft*.', sector_ids: [labor.id] },
    });
    assert.equal(created.title, title);
    assert.equal(created.status, 'draft');
    assert.equal(created.version, 1);

    // update sends the record as loaded, with the change: `version` comes along.
    const { data: loaded } = await dataProvider.getOne('essays', { id: created.id });
    const { data: updated } = await dataProvider.update('essays', {
      id: created.id, data: { ...loaded, subtitle: 'A second look' }, previousData: loaded,
    });
    assert.equal(updated.subtitle, 'A second look');
    assert.equal(updated.version, 2);

    // The providers' own updateMany PUTs a partial record: refused, as the guide says.
    const base = makeProvider(apiUrl, httpClient);
    await assert.rejects(
      base.updateMany('essays', { ids: [created.id], data: { featured: true } }),
      (error) => error.status === 422,
    );
    // The guide's replacement PATCHes with the current version.
    const { data: changedIds } = await dataProvider.updateMany('essays', { ids: [created.id], data: { featured: true } });
    assert.deepEqual(changedIds, [created.id]);
    const { data: featured } = await dataProvider.getOne('essays', { id: created.id });
    assert.equal(featured.featured, true);
    assert.equal(featured.version, 3);

    const { data: submitted } = await dataProvider.act('essays', created.id, 'submit', { version: featured.version });
    assert.equal(submitted.status, 'in_review');

    const { data: revisions, total } = await dataProvider.revisions('essays', created.id);
    assert.equal(total, 4);
    assert.deepEqual(revisions.map((r) => r.note), ['create', 'update', 'update', 'submit']);
    const { data: restored } = await dataProvider.restoreRevision('essays', created.id, revisions[0].id, submitted.version);
    assert.equal(restored.subtitle, null);
    assert.equal(restored.status, 'in_review', 'a revision restore keeps the workflow state');

    const { data: trashed } = await dataProvider.delete('essays', { id: created.id, previousData: restored });
    assert.equal(trashed.id, created.id);
    await assert.rejects(dataProvider.getOne('essays', { id: created.id }), (error) => error.status === 404);
    const trash = await dataProvider.getList('essays', {
      pagination: { page: 1, perPage: 100 }, sort: { field: 'updated_at', order: 'DESC' }, filter: { status: 'trashed' },
    });
    assert.ok(ids(trash.data).includes(created.id));

    await dataProvider.act('essays', created.id, 'restore');
    const { data: back } = await dataProvider.getOne('essays', { id: created.id });
    assert.equal(back.title, title);
    await dataProvider.deleteMany('essays', { ids: [created.id] });
  });

  check(`${name}: a catalog resource (tags): list, create, update, getMany, delete`, async () => {
    const everyTag = await api('/tags?sort=name&limit=100');
    const { data, total } = await dataProvider.getList('tags', {
      pagination: { page: 1, perPage: 3 }, sort: { field: 'name', order: 'ASC' }, filter: {},
    });
    assert.equal(total, everyTag.length);
    assert.deepEqual(ids(data), ids(everyTag.slice(0, 3)));

    const name_ = `Picket lines ${name} ${Date.now()}`;
    const { data: tag } = await dataProvider.create('tags', { data: { name: name_ } });
    assert.equal(tag.name, name_);
    const { data: renamed } = await dataProvider.update('tags', {
      id: tag.id, data: { ...tag, name: `${name_} (renamed)` }, previousData: tag,
    });
    assert.equal(renamed.name, `${name_} (renamed)`);
    const { data: many } = await dataProvider.getMany('tags', { ids: [tag.id, everyTag[0].id] });
    assert.deepEqual(new Set(ids(many)), new Set([tag.id, everyTag[0].id]));
    const { data: gone } = await dataProvider.delete('tags', { id: tag.id, previousData: renamed });
    assert.equal(gone.id, tag.id);
    const { data: none } = await dataProvider.getMany('tags', { ids: [tag.id] });
    assert.deepEqual(none, []);
  });

  check(`${name}: httpClient refreshes once on a 401 and retries, then logout ends the session`, async () => {
    // An access token the server refuses (as an expired one is), with a working refresh token.
    const tokens = JSON.parse(storage.getItem('ou.tokens'));
    storage.setItem('ou.tokens', JSON.stringify({ ...tokens, access_token: `${tokens.access_token}x` }));
    const since = requests.length;
    const lists = await Promise.all([1, 2, 3].map((page) =>
      dataProvider.getList('essays', { pagination: { page, perPage: 1 }, sort: { field: 'title', order: 'ASC' }, filter: {} })));
    assert.equal(new Set(lists.map((l) => l.data[0].id)).size, 3, 'three different pages came back');
    assert.equal(refreshes(since).length, 1, 'one refresh shared by three requests');
    assert.equal(refreshes(since)[0].status, 200);
    const { refresh_token } = JSON.parse(storage.getItem('ou.tokens'));
    assert.notEqual(refresh_token, tokens.refresh_token, 'the refresh token was rotated');

    await authProvider.logout();
    assert.equal(storage.getItem('ou.tokens'), null);
    await assert.rejects(authProvider.checkAuth());
    // The session is over on the server too: its refresh token no longer works.
    await assert.rejects(api('/auth/refresh', { method: 'POST', body: { refresh_token } }), / 401: /);
    // And a client without tokens reads as anonymous, which sees published essays only.
    const { data } = await dataProvider.getList('essays', {
      pagination: { page: 1, perPage: 100 }, sort: { field: 'title', order: 'ASC' }, filter: {},
    });
    assert.ok(data.every((essay) => essay.status === 'published'));
  });
}

check('react-admin: purge is for admins (the guide\'s custom action, signed in as the admin)', async () => {
  const { authProvider, httpClient } = createReactAdminAuth(apiUrl);
  const dataProvider = createDataProvider(apiUrl, httpClient);
  storage.clear();
  await authProvider.login({ username: editor.email, password: editor.password });
  const { data: essay } = await dataProvider.create('essays', { data: { title: `To be purged ${Date.now()}`, sector_ids: [labor.id] } });
  await dataProvider.delete('essays', { id: essay.id, previousData: essay });
  await assert.rejects(dataProvider.purge('essays', essay.id), (error) => error.status === 403 || error.status === 404);
  await authProvider.logout();

  await authProvider.login({ username: admin.email, password: admin.password });
  const { data: purged } = await dataProvider.purge('essays', essay.id);
  assert.equal(purged.id, essay.id);
  const trash = await dataProvider.getList('essays', {
    pagination: { page: 1, perPage: 100 }, sort: { field: 'id', order: 'ASC' }, filter: { status: 'trashed' },
  });
  assert.ok(!ids(trash.data).includes(essay.id));
  await authProvider.logout();
});

// ---------------------------------------------------------------------------------------------
// Refine: @refinedev/simple-rest with the axios instance and authProvider of the guide.

{
  const { http, authProvider } = createRefineAuth(apiUrl);
  const dataProvider = refineSimpleRest(apiUrl, http);

  check('Refine: authProvider signs in, checks, identifies and lists permissions', async () => {
    storage.clear();
    assert.deepEqual(await authProvider.check(), { authenticated: false, redirectTo: '/login' });
    const refused = await authProvider.login({ email: editor.email, password: 'not-the-password' });
    assert.equal(refused.success, false);
    assert.equal(refused.error.message, 'Invalid email or password');
    assert.deepEqual(await authProvider.login({ email: editor.email, password: editor.password }), { success: true, redirectTo: '/' });
    assert.deepEqual(await authProvider.check(), { authenticated: true });
    assert.deepEqual(await authProvider.getIdentity(), { id: editor.id, name: editor.email });
    const permissions = await authProvider.getPermissions();
    assert.ok(permissions.some((p) => p.resource === 'essays' && p.action === 'publish'));
    assert.deepEqual(await authProvider.onError({ statusCode: 403 }), {});
    assert.deepEqual(await authProvider.onError({ statusCode: 401 }), { logout: true, redirectTo: '/login' });
  });

  check('Refine: getList sorts, filters and pages, with the total', async () => {
    const { data, total } = await dataProvider.getList({
      resource: 'essays',
      pagination: { currentPage: 2, pageSize: 2 },
      sorters: [{ field: 'title', order: 'asc' }],
      filters: [{ field: 'sector', operator: 'eq', value: 'labor' }],
    });
    assert.equal(total, laborByTitle.length);
    assert.deepEqual(ids(data), ids(laborByTitle.slice(2, 4)));

    const word = laborByTitle[0].title.split(' ').slice(-1)[0];
    const titled = await dataProvider.getList({
      resource: 'essays',
      filters: [{ field: 'title', operator: 'contains', value: word }, { field: 'sector', operator: 'eq', value: ['labor'] }],
      sorters: [{ field: 'published_at', order: 'desc' }],
    });
    assert.ok(ids(titled.data).includes(laborByTitle[0].id));
  });

  check('Refine: getOne and getMany', async () => {
    const [a, b] = laborByTitle;
    const { data: one } = await dataProvider.getOne({ resource: 'essays', id: a.id });
    assert.equal(one.id, a.id);
    const { data: many } = await dataProvider.getMany({ resource: 'essays', ids: [a.id, b.id] });
    assert.deepEqual(new Set(ids(many)), new Set([a.id, b.id]));
  });

  check('Refine: create, update (PATCH, with and without version), custom action, deleteOne', async () => {
    const title = `Refine essay ${Date.now()}`;
    const { data: created } = await dataProvider.create({
      resource: 'essays', variables: { title, summary: 'From Refine.', sector_ids: [labor.id] },
    });
    assert.equal(created.status, 'draft');

    // The form's values without `version`: 428, turned into Refine's HttpError.
    await assert.rejects(
      dataProvider.update({ resource: 'essays', id: created.id, variables: { subtitle: 'No version' } }),
      (error) => error.statusCode === 428 && typeof error.message === 'string',
    );
    // With `version` among the form's values (the guide's hidden input).
    const { data: updated } = await dataProvider.update({
      resource: 'essays', id: created.id, variables: { subtitle: 'With version', version: created.version },
    });
    assert.equal(updated.subtitle, 'With version');
    assert.equal(updated.title, title, 'PATCH keeps the fields not sent');

    // A 422 carries per-field errors for the form.
    await assert.rejects(
      dataProvider.update({ resource: 'essays', id: created.id, variables: { title: '', version: updated.version } }),
      (error) => error.statusCode === 422 && Array.isArray(error.errors?.title),
    );

    const { data: scheduled } = await dataProvider.custom({
      url: `${apiUrl}/essays/${created.id}/schedule`,
      method: 'post',
      payload: { at: '2030-01-01T09:00:00Z', version: updated.version },
    });
    assert.equal(scheduled.status, 'scheduled');

    const { data: trashed } = await dataProvider.deleteOne({ resource: 'essays', id: created.id });
    assert.equal(trashed.id, created.id);
    await assert.rejects(dataProvider.getOne({ resource: 'essays', id: created.id }), (error) => error.statusCode === 404);
  });

  check('Refine: a catalog resource (tags): list, create, update, deleteOne', async () => {
    const everyTag = await api('/tags?sort=-name&limit=100');
    const { data, total } = await dataProvider.getList({
      resource: 'tags', pagination: { currentPage: 1, pageSize: 3 }, sorters: [{ field: 'name', order: 'desc' }],
    });
    assert.equal(total, everyTag.length);
    assert.deepEqual(ids(data), ids(everyTag.slice(0, 3)));
    const { data: tag } = await dataProvider.create({ resource: 'tags', variables: { name: `Refine tag ${Date.now()}` } });
    const { data: renamed } = await dataProvider.update({ resource: 'tags', id: tag.id, variables: { name: `${tag.name}!` } });
    assert.equal(renamed.name, `${tag.name}!`);
    await dataProvider.deleteOne({ resource: 'tags', id: tag.id });
    await assert.rejects(dataProvider.getOne({ resource: 'tags', id: tag.id }), (error) => error.statusCode === 404);
  });

  check('Refine: the axios instance refreshes once on a 401 and retries, then logout ends the session', async () => {
    const tokens = JSON.parse(storage.getItem('ou.tokens'));
    storage.setItem('ou.tokens', JSON.stringify({ ...tokens, access_token: `${tokens.access_token}x` }));
    const since = requests.length;
    const lists = await Promise.all([1, 2, 3].map((currentPage) => dataProvider.getList({
      resource: 'essays', pagination: { currentPage, pageSize: 1 }, sorters: [{ field: 'title', order: 'asc' }],
    })));
    assert.equal(new Set(lists.map((l) => l.data[0].id)).size, 3);
    assert.equal(refreshes(since).length, 1, 'one refresh shared by three requests');
    const { refresh_token } = JSON.parse(storage.getItem('ou.tokens'));
    assert.notEqual(refresh_token, tokens.refresh_token);

    assert.deepEqual(await authProvider.logout(), { success: true, redirectTo: '/login' });
    assert.deepEqual(await authProvider.check(), { authenticated: false, redirectTo: '/login' });
    await assert.rejects(api('/auth/refresh', { method: 'POST', body: { refresh_token } }), / 401: /);
  });
}

// ---------------------------------------------------------------------------------------------
// What a browser adds: an admin UI on another origin reads the totals only if CORS exposes them.

check('CORS exposes the headers the providers read', async () => {
  const res = await fetch(`${apiUrl}/essays?_start=0&_end=1`, { headers: { Origin: 'http://admin.example.org' } });
  assert.equal(res.status, 200);
  const exposed = (res.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/\s*,\s*/);
  for (const header of ['x-total-count', 'content-range']) {
    assert.ok(exposed.includes(header), `${header} in Access-Control-Expose-Headers: ${exposed}`);
  }
  const preflight = await fetch(`${apiUrl}/essays/x`, {
    method: 'OPTIONS',
    headers: {
      Origin: 'http://admin.example.org',
      'Access-Control-Request-Method': 'PUT',
      'Access-Control-Request-Headers': 'authorization,content-type,if-match',
    },
  });
  assert.ok(preflight.status === 200 || preflight.status === 204, `preflight answered ${preflight.status}`);
  const allowed = (preflight.headers.get('access-control-allow-headers') ?? '').toLowerCase();
  for (const header of ['authorization', 'content-type', 'if-match']) {
    assert.ok(allowed === '*' || allowed.includes(header), `${header} allowed: ${allowed}`);
  }
});

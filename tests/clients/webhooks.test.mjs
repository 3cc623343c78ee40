// Webhooks and sync as their users meet them: a receiver on loopback verifies a real delivery
// with the standardwebhooks library, with the JavaScript and Python examples of
// docs/webhooks.md; the sync client of docs/mobile.md ends equal to a fresh download.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Webhook } from 'standardwebhooks';

import { admin, api, baseUrl, login } from './lib/server.mjs';
import { verifyWebhook } from '../../docs/examples/webhooks/verify.mjs';
import { sync } from '../../docs/examples/sync/sync-client.mjs';

let token;
let receiver;
const deliveries = [];
const waiting = [];

before(async () => {
  ({ access_token: token } = await login(admin.email, admin.password));
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk)).on('end', () => {
      deliveries.push({ headers: req.headers, body });
      waiting.splice(0).forEach((wake) => wake());
      res.writeHead(204).end();
    });
  });
  await new Promise((done) => receiver.listen(0, '127.0.0.1', done));
});

after(() => receiver.close());

async function delivery(matching) {
  for (let i = 0; i < 300; i++) {
    const found = deliveries.find((d) => matching(JSON.parse(d.body)));
    if (found) return found;
    await new Promise((wake) => { waiting.push(wake); setTimeout(wake, 100); });
  }
  throw new Error(`no matching delivery among ${deliveries.length}`);
}

test('a delivery verifies with standardwebhooks and with both guide examples', async () => {
  const url = `http://127.0.0.1:${receiver.address().port}/hook`;
  const hook = await api('/webhooks', { method: 'POST', token, body: { url, events: ['essay.published'] } });
  assert.match(hook.secret, /^whsec_/);
  const title = `Delivered ${Date.now()}`;
  const essay = await api('/essays', { method: 'POST', token, body: { title } });
  await api(`/essays/${essay.id}/publish`, { method: 'POST', token, body: { version: essay.version } });
  const got = await delivery((event) => event.type === 'essay.published' && event.data.id === essay.id);

  const event = new Webhook(hook.secret).verify(got.body, got.headers);
  assert.equal(event.data.title, title);
  assert.equal(event.data.status, 'published');
  assert.throws(() => new Webhook(hook.secret).verify(got.body.replace(title, 'Forged'), got.headers));

  assert.deepEqual(verifyWebhook(hook.secret, got.headers, got.body), event);
  assert.throws(() => verifyWebhook(hook.secret, got.headers, got.body.replace(title, 'Forged')));

  const script = fileURLToPath(new URL('../../docs/examples/webhooks/verify.py', import.meta.url));
  const input = JSON.stringify({ secret: hook.secret, headers: got.headers, body: got.body });
  const python = spawnSync('python3', [script], { input, encoding: 'utf8' });
  assert.equal(python.status, 0, python.stderr);
  assert.equal(python.stdout.trim(), 'essay.published');
  const forged = spawnSync('python3', [script], { input: JSON.stringify({ secret: hook.secret, headers: got.headers, body: `${got.body} ` }), encoding: 'utf8' });
  assert.notEqual(forged.status, 0, 'a changed body does not verify');

  await api(`/webhooks/${hook.id}`, { method: 'DELETE', token });
});

test('the sync client of the mobile guide stays equal to a fresh download', async () => {
  const store = await sync(baseUrl, { token: null, items: new Map() });
  assert.ok(store.items.size > 0);
  assert.ok([...store.items.keys()].some((key) => key.startsWith('sector:')));
  const published = [];
  for (const title of ['Synced', 'Synced, then withdrawn']) {
    const essay = await api('/essays', { method: 'POST', token, body: { title: `${title} ${Date.now()}` } });
    published.push(await api(`/essays/${essay.id}/publish`, { method: 'POST', token, body: { version: essay.version } }));
  }
  const [kept, withdrawn] = published;
  await sync(baseUrl, store);
  assert.ok(store.items.has(`essay:${withdrawn.id}`));
  await api(`/essays/${withdrawn.id}/unpublish`, { method: 'POST', token, body: { version: withdrawn.version } });
  await sync(baseUrl, store);
  assert.ok(store.items.has(`essay:${kept.id}`));
  assert.ok(!store.items.has(`essay:${withdrawn.id}`));
  const fresh = await sync(baseUrl, { token: null, items: new Map() });
  assert.deepEqual(new Map([...store.items].sort()), new Map([...fresh.items].sort()));

  // A token of other credentials is refused with 410, and the client starts over by itself.
  const { secret } = await api('/api-keys', { method: 'POST', token, body: { name: 'Sync preview', scope: 'preview' } });
  const previewStore = await sync(baseUrl, { token: store.token, items: new Map(store.items) }, { headers: { 'X-Api-Key': secret } });
  assert.ok(previewStore.items.has(`essay:${withdrawn.id}`), 'a preview key sees drafts too');
});

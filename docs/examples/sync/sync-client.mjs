// A complete sync client: a first download, then only what changed, starting over when the
// server says the token cannot be followed (410 resync_required). `store` is the app's copy:
// { token, items: Map("kind:id" → data) }; keep both on the device between runs.

/** Brings `store` up to date with the server; returns it. */
export async function sync(baseUrl, store, { headers = {}, kinds = [] } = {}) {
  const first = `initial=true&limit=500${kinds.length ? `&kind=${kinds.join(',')}` : ''}`;
  let query = store.token ? `token=${encodeURIComponent(store.token)}` : first;
  let fresh = new Map();
  let restarting = !store.token;
  for (;;) {
    const res = await fetch(`${baseUrl}/api/v1/sync?${query}`, { headers });
    if (res.status === 410 && !restarting) {
      // Too old, or the credentials changed: download everything again.
      restarting = true;
      fresh = new Map();
      query = first;
      continue;
    }
    if (!res.ok) throw new Error(`sync failed: ${res.status} ${await res.text()}`);
    const page = await res.json();
    const items = restarting ? fresh : store.items;
    for (const item of page.items) {
      const key = `${item.kind}:${item.id}`;
      if (item.op === 'upsert') items.set(key, item.data);
      else items.delete(key); // item.reason: deleted, unpublished or not_visible
    }
    if (page.next_page_token) {
      query = `token=${encodeURIComponent(page.next_page_token)}`;
      continue;
    }
    // Only a finished download replaces the copy, so a failed one leaves the old one usable.
    if (restarting) store.items = fresh;
    store.token = page.next_sync_token;
    return store;
  }
}

// What the admin-UI examples expect of a browser, for running them in Node: a localStorage, and a
// record of every request they make (so a failing test can show exactly what went over the wire).

import axios from 'axios';

/** A Map-backed localStorage (Node 20 has none). Returns it, emptied. */
export function installLocalStorage() {
  const items = new Map();
  globalThis.localStorage = {
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => void items.set(key, String(value)),
    removeItem: (key) => void items.delete(key),
    clear: () => items.clear(),
    key: (i) => [...items.keys()][i] ?? null,
    get length() { return items.size; },
  };
  return globalThis.localStorage;
}

/**
 * Wraps globalThis.fetch so each request is recorded as `METHOD url → status` (with the bodies of
 * refused ones). In a browser axios uses XMLHttpRequest; in Node it would use its own http
 * adapter. Its fetch adapter is the closer stand-in, and puts Refine's requests in the same record.
 */
export function recordRequests() {
  const requests = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input, init = {}) => {
    // axios's fetch adapter passes a Request; ra-core passes a URL and options.
    const isRequest = input instanceof Request;
    const entry = {
      method: (isRequest ? input.method : init.method ?? 'GET').toUpperCase(),
      url: isRequest ? input.url : String(input),
      status: null,
    };
    const body = isRequest ? (input.body && (await input.clone().text())) : init.body;
    if (body) entry.requestBody = String(body);
    requests.push(entry);
    const res = await realFetch(input, init);
    entry.status = res.status;
    if (!res.ok) entry.responseBody = await res.clone().text();
    return res;
  };
  axios.defaults.adapter = 'fetch';
  return {
    requests,
    /** The record as text, one request a line, for failure messages and the report. */
    describe: (list = requests) =>
      list
        .map((r) =>
          `${r.method} ${decodeURI(r.url)}${r.requestBody ? ` ${r.requestBody}` : ''} → ${r.status}` +
          (r.responseBody ? ` ${r.responseBody}` : ''))
        .join('\n'),
  };
}

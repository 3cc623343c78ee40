// What every test needs to know about the server under test. `run` starts the server and passes
// its address and the first admin's credentials in the environment.

export const baseUrl = (() => {
  const url = process.env.OU_BASE_URL;
  if (!url) {
    throw new Error('OU_BASE_URL is not set: start the server and run these tests with ./run');
  }
  return url.replace(/\/+$/, '');
})();

export const apiUrl = `${baseUrl}/api/v1`;

export const admin = {
  email: process.env.OU_ADMIN_EMAIL ?? 'admin@example.org',
  password: process.env.OU_ADMIN_PASSWORD ?? 'admin-password-123',
};

/** A JSON request to the API; throws with the status and body on anything but 2xx. */
export async function api(path, { method = 'GET', token, body, headers = {} } = {}) {
  const res = await fetch(`${apiUrl}${path}`, {
    method,
    headers: {
      ...(body !== undefined && { 'Content-Type': 'application/json' }),
      ...(token && { Authorization: `Bearer ${token}` }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

export const login = (email, password) =>
  api('/auth/login', { method: 'POST', body: { email, password } });

/** A POST /graphql from Node (no browser), for comparing with what a client shows. */
export async function graphql(query, variables, token) {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      ...(token && { Authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: await res.json() };
}

/**
 * A fresh editor account for the labor sector, made by the admin. Each test file makes its own
 * (with a unique email) so files and repeated runs on one database never share tokens.
 */
export async function createEditor(label = 'editor') {
  const { access_token } = await login(admin.email, admin.password);
  const sectors = await api('/sectors?slug=labor');
  const email = `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.org`;
  const password = 'editor-password-123';
  const user = await api('/users', {
    method: 'POST',
    token: access_token,
    body: { email, password, role: 'editor', sector_ids: sectors.map((s) => s.id) },
  });
  return { ...user, email, password, adminToken: access_token };
}

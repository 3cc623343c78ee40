// react-admin-auth.mjs: sign-in for react-admin, and the httpClient its data providers use.
import { fetchUtils } from 'ra-core'; // or from 'react-admin', which re-exports it

// Tokens live in localStorage, so a reload keeps the user signed in.
const KEY = 'ou.tokens';
const load = () => JSON.parse(localStorage.getItem(KEY) ?? 'null');
const save = (tokens) =>
  tokens ? localStorage.setItem(KEY, JSON.stringify(tokens)) : localStorage.removeItem(KEY);

// apiUrl: the API's base URL, such as 'http://127.0.0.1:8080/api/v1'.
export const createAuth = (apiUrl) => {
  const post = (path, body, accessToken) =>
    fetch(`${apiUrl}${path}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...(accessToken && { Authorization: `Bearer ${accessToken}` }),
      },
      body: body && JSON.stringify(body),
    });

  // One refresh at a time: a refresh token used twice ends the session.
  let refreshing = null;
  const refresh = () =>
    (refreshing ??= post('/auth/refresh', { refresh_token: load()?.refresh_token })
      .then(async (res) => { save(res.ok ? await res.json() : null); return res.ok; })
      .finally(() => { refreshing = null; }));

  const httpClient = async (url, options = {}) => {
    const sent = load()?.access_token;
    const send = () => {
      const tokens = load();
      return fetchUtils.fetchJson(url, {
        ...options,
        user: { authenticated: !!tokens, token: tokens && `Bearer ${tokens.access_token}` },
      });
    };
    try {
      return await send();
    } catch (error) {
      // A 401 with the stored token: refresh once and retry. If another request refreshed the
      // tokens meanwhile, just retry with the new ones.
      if (error.status === 401 && load()) {
        if (load().access_token !== sent || (await refresh())) return send();
      }
      throw error;
    }
  };

  const authProvider = {
    login: async ({ username, password }) => {
      const res = await post('/auth/login', { email: username, password });
      if (res.status === 429) {
        throw new Error(`Too many attempts; try again in ${res.headers.get('Retry-After')} seconds`);
      }
      if (!res.ok) throw new Error('Invalid email or password');
      save(await res.json());
    },
    logout: async () => {
      const tokens = load();
      save(null);
      if (tokens) await post('/auth/logout', null, tokens.access_token).catch(() => {});
    },
    checkAuth: async () => {
      if (!load()) throw new Error('Not signed in');
    },
    checkError: async (error) => {
      // 401: the session is over. 403 (not allowed) keeps the user signed in.
      if (error.status === 401) { save(null); throw error; }
    },
    getIdentity: async () => {
      const { json } = await httpClient(`${apiUrl}/me`);
      return { id: json.id, fullName: json.email };
    },
    // [{ resource, action, scope }, …], for hiding buttons the user may not use
    getPermissions: async () => (await httpClient(`${apiUrl}/me`)).json.permissions,
  };

  return { authProvider, httpClient };
};

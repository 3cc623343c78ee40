// refine-auth.ts: an axios instance for @refinedev/simple-rest, and Refine's authProvider.
import axios, { type AxiosInstance } from "axios";
import type { AuthProvider, HttpError } from "@refinedev/core";

// Tokens live in localStorage, so a reload keeps the user signed in.
const KEY = "ou.tokens";
const load = () => JSON.parse(localStorage.getItem(KEY) ?? "null");
const save = (tokens: unknown) =>
  tokens ? localStorage.setItem(KEY, JSON.stringify(tokens)) : localStorage.removeItem(KEY);

// apiUrl: the API's base URL, such as "http://127.0.0.1:8080/api/v1".
export const createAuth = (apiUrl: string): { http: AxiosInstance; authProvider: AuthProvider } => {
  const http = axios.create();

  http.interceptors.request.use((config) => {
    const tokens = load();
    if (tokens) config.headers.Authorization = `Bearer ${tokens.access_token}`;
    return config;
  });

  // One refresh at a time: a refresh token used twice ends the session.
  let refreshing: Promise<boolean> | null = null;
  const refresh = () =>
    (refreshing ??= axios
      .post(`${apiUrl}/auth/refresh`, { refresh_token: load()?.refresh_token })
      .then(({ data }) => { save(data); return true; }, () => { save(null); return false; })
      .finally(() => { refreshing = null; }));

  http.interceptors.response.use(undefined, async (error) => {
    const { config, response } = error;
    if (response?.status === 401 && load() && !config._retried) {
      config._retried = true;
      // If another request refreshed the tokens meanwhile, just retry with the new ones.
      const sent = config.headers.Authorization;
      if (sent !== `Bearer ${load().access_token}` || (await refresh())) return http(config);
    }
    // Problem documents become Refine's HttpError, with a 422's per-field `errors` for the forms.
    const problem = response?.data ?? {};
    const httpError: HttpError = {
      message: problem.detail ?? error.message,
      statusCode: response?.status ?? 0,
      errors: problem.errors,
    };
    return Promise.reject(httpError);
  });

  const authProvider: AuthProvider = {
    login: async ({ email, password }) => {
      try {
        const { data } = await axios.post(`${apiUrl}/auth/login`, { email, password });
        save(data);
        return { success: true, redirectTo: "/" };
      } catch (e: any) {
        const message = e.response?.status === 429
          ? `Too many attempts; try again in ${e.response.headers["retry-after"]} seconds`
          : "Invalid email or password";
        return { success: false, error: { name: "Sign-in failed", message } };
      }
    },
    logout: async () => {
      const tokens = load();
      save(null);
      if (tokens) {
        await axios
          .post(`${apiUrl}/auth/logout`, null, { headers: { Authorization: `Bearer ${tokens.access_token}` } })
          .catch(() => {});
      }
      return { success: true, redirectTo: "/login" };
    },
    check: async () => (load() ? { authenticated: true } : { authenticated: false, redirectTo: "/login" }),
    onError: async (error) => (error?.statusCode === 401 ? { logout: true, redirectTo: "/login" } : {}),
    getIdentity: async () => {
      const { data } = await http.get(`${apiUrl}/me`);
      return { id: data.id, name: data.email };
    },
    getPermissions: async () => (await http.get(`${apiUrl}/me`)).data.permissions,
  };

  return { http, authProvider };
};

// A typed REST client: openapi-fetch with the types openapi-typescript generates from
// docs/openapi.json (see "Typed clients" in docs/rest-api.md). Paths, parameters, bodies and
// responses are checked by the compiler: a renamed field or parameter is a type error here.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./generated/openapi";

// A write answers with the whole record; reads may leave fields out (lists leave out the bodies
// unless `fields` names them, and `fields` selects), so their answers are typed as sparse.
export type Essay = components["schemas"]["ContentRecord"];
export type EssayRead = components["schemas"]["SparseContentRecord"];
export type TokenPair = components["schemas"]["TokenPair"];

// baseUrl: the server, such as "http://127.0.0.1:8080" (the paths carry /api/v1).
export const createApi = (baseUrl: string) => {
  const api = createClient<paths>({ baseUrl });
  let tokens: TokenPair | undefined;

  // Every request carries the access token once signed in.
  const auth: Middleware = {
    onRequest({ request }) {
      if (tokens) request.headers.set("Authorization", `Bearer ${tokens.access_token}`);
      return request;
    },
  };
  api.use(auth);

  return {
    async signIn(email: string, password: string): Promise<void> {
      const { data, error } = await api.POST("/api/v1/auth/login", { body: { email, password } });
      if (error) throw new Error(error.detail ?? "sign-in failed");
      tokens = data;
    },

    // The newest essays of a sector, with the total from X-Total-Count.
    async latestEssays(sector: string, limit = 5): Promise<{ essays: EssayRead[]; total: number }> {
      const { data, error, response } = await api.GET("/api/v1/essays", {
        params: { query: { sector, limit, sort: "-published_at" } },
      });
      if (error) throw new Error(error.detail ?? `listing failed: ${response.status}`);
      return { essays: data, total: Number(response.headers.get("X-Total-Count")) };
    },

    async essay(idOrSlug: string): Promise<EssayRead | undefined> {
      const { data, response } = await api.GET("/api/v1/essays/{id_or_slug}", {
        params: { path: { id_or_slug: idOrSlug } },
      });
      if (response.status === 404) return undefined;
      return data;
    },

    // A draft, a change to it, and a submission for review. Content writes name the version they
    // start from: the ETag in If-Match for the PUT, `version` in the body of a workflow action.
    async draftEssay(title: string, sectorIds: string[]): Promise<Essay> {
      const created = await api.POST("/api/v1/essays", {
        body: { title, summary: "A first draft.", sector_ids: sectorIds },
      });
      if (created.error) throw new Error(created.error.detail ?? "create failed");
      const { id } = created.data;

      const replaced = await api.PUT("/api/v1/essays/{id}", {
        params: { path: { id } },
        headers: { "If-Match": created.response.headers.get("ETag") ?? "" },
        body: { title, subtitle: "Written with a typed client", summary: "A first draft.", sector_ids: sectorIds },
      });
      if (replaced.error) throw new Error(replaced.error.detail ?? "update failed");

      const submitted = await api.POST("/api/v1/essays/{id}/{action}", {
        params: { path: { id, action: "submit" } },
        body: { version: replaced.data.version },
      });
      if (submitted.error) throw new Error(submitted.error.detail ?? "submit failed");
      return submitted.data;
    },
  };
};

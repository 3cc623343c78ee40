// react-admin-data-provider.mjs: ra-data-simple-rest (or ra-data-json-server), with updateMany
// sent as PATCHes and the API's own actions added.
import simpleRestProvider from 'ra-data-simple-rest';

// httpClient: the one from react-admin-auth.mjs. base: the provider to extend.
export const createDataProvider = (apiUrl, httpClient, base = simpleRestProvider(apiUrl, httpClient)) => ({
  ...base,

  // The providers' updateMany PUTs only the changed fields, which a PUT (a whole replacement)
  // refuses. PATCH them instead, with each item's current version.
  updateMany: (resource, { ids, data }) =>
    Promise.all(ids.map(async (id) => {
      const { json: current } = await httpClient(`${apiUrl}/${resource}/${id}`);
      // `version` is undefined (and left out) for resources without one
      return httpClient(`${apiUrl}/${resource}/${id}`, {
        method: 'PATCH',
        body: JSON.stringify({ ...data, version: current.version }),
      });
    }))
      .then((responses) => ({ data: responses.map(({ json }) => json.id) })),

  // useDataProvider().act('essays', record.id, 'publish', { version: record.version })
  act: (resource, id, action, body = {}) =>
    httpClient(`${apiUrl}/${resource}/${id}/${action}`, { method: 'POST', body: JSON.stringify(body) })
      .then(({ json }) => ({ data: json })),
  purge: (resource, id) =>
    httpClient(`${apiUrl}/${resource}/${id}?purge=true`, { method: 'DELETE' }).then(({ json }) => ({ data: json })),
  revisions: (resource, id) =>
    httpClient(`${apiUrl}/${resource}/${id}/revisions`).then(({ json }) => ({ data: json, total: json.length })),
  restoreRevision: (resource, id, revision, version) =>
    httpClient(`${apiUrl}/${resource}/${id}/revisions/${revision}/restore`, { method: 'POST', body: JSON.stringify({ version }) })
      .then(({ json }) => ({ data: json })),
});

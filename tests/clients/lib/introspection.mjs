// The introspection queries graphql-js clients send, shared by introspection.test.mjs and
// make-introspection-fixtures.mjs.

import { getIntrospectionQuery } from 'graphql';

// Every option of getIntrospectionQuery in graphql@16.15 (see its IntrospectionOptions), with
// its default. Clients turn them on when they know the server supports them.
export const OPTION_DEFAULTS = {
  descriptions: true,
  specifiedByUrl: false,
  directiveIsRepeatable: false,
  schemaDescription: false,
  inputValueDeprecation: false,
  oneOf: false,
};

/** All 2^6 combinations of the options, each as an object naming every option. */
export function everyCombination() {
  const names = Object.keys(OPTION_DEFAULTS);
  return Array.from({ length: 2 ** names.length }, (_, bits) =>
    Object.fromEntries(names.map((name, i) => [name, Boolean(bits & (1 << i))])));
}

const allTrue = Object.fromEntries(Object.keys(OPTION_DEFAULTS).map((name) => [name, true]));

/** Fixture files under tests/api/fixtures/introspection/ and the query text each holds. */
export const FIXTURES = {
  'introspection-default.graphql': getIntrospectionQuery(),
  'introspection-all-options.graphql': getIntrospectionQuery(allTrue),
};

export const FIXTURE_DIR = new URL('../../api/fixtures/introspection/', import.meta.url);

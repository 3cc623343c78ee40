// A typed GraphQL client with nothing but fetch: GraphQL Code Generator's client preset turns each
// operation in this folder into a TypedDocumentString that carries its result and variable types
// (see "Typed clients" in docs/graphql.md). A field the schema lacks fails the generation; a
// result used the wrong way fails the compiler.
import {
  CreateEssayDocument,
  EssayBySlugDocument,
  EssaysDocument,
  type TypedDocumentString,
} from "./generated/graphql";

export class GraphQLError extends Error {
  constructor(readonly errors: { message: string; extensions?: { code?: string } }[]) {
    super(errors.map((e) => e.message).join("; "));
  }
}

// endpoint: such as "http://127.0.0.1:8080/graphql". token: an access token or API key, if any.
export const createGraphQL = (endpoint: string, token?: string) =>
  async function execute<TResult, TVariables>(
    query: TypedDocumentString<TResult, TVariables>,
    // Operations without variables take none; the others must get theirs.
    ...[variables]: TVariables extends Record<string, never> ? [] : [TVariables]
  ): Promise<TResult> {
    const response = await fetch(endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/graphql-response+json",
        ...(token && { Authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify({ query: query.toString(), variables }),
    });
    const { data, errors } = (await response.json()) as { data?: TResult; errors?: GraphQLError["errors"] };
    if (errors?.length || !data) throw new GraphQLError(errors ?? [{ message: `HTTP ${response.status}` }]);
    return data;
  };

// What a frontend does with it.
export async function example(endpoint: string, token: string, laborSectorId: string) {
  const execute = createGraphQL(endpoint, token);

  const { essays } = await execute(EssaysDocument, { first: 3, sector: ["labor"] });
  const lines = essays.nodes.map(
    (essay) => `${essay.title} by ${essay.authors.map((a) => a.displayName).join(", ")} (${essay.readingTimeMinutes} min)`,
  );

  const { essay } = await execute(EssayBySlugDocument, { slug: essays.nodes[0]?.slug ?? "none" });
  const tags = essay?.tags.map((tag) => tag.name) ?? [];

  const { createContent } = await execute(CreateEssayDocument, {
    input: { title: "Why we organize", summary: "A draft from a typed client.", sectorIds: [laborSectorId] },
  });
  const featured = createContent.__typename === "Essay" ? createContent.featured : undefined;

  return { lines, total: essays.totalCount, tags, draft: { id: createContent.databaseId, status: createContent.status, featured } };
}

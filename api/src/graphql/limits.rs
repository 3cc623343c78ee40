//! The limits a request runs under. Data queries are held to a depth and a complexity, refused
//! before any database work. A query that reads nothing but the schema (`__schema`, `__type`,
//! `__typename` at its root) cannot reach data, and the standard introspection query that
//! GraphiQL, codegen and IDE plugins send nests `ofType` deeper than any data query should, so it
//! runs under a looser depth; what bounds its cost instead is how deeply it nests the list-valued
//! meta fields (`types`, `fields`, `args`…), each of which multiplies the work.

use async_graphql::parser::types::{ExecutableDocument, OperationDefinition, OperationType, Selection, SelectionSet};

/// Deepest data query accepted.
pub const MAX_DEPTH: usize = 12;
/// Most complex query accepted (each field counts one, lists by their page size).
pub const MAX_COMPLEXITY: usize = 5000;
/// Deepest schema-only query accepted: graphql-js's query nests `ofType` seven levels below
/// `__schema { types { fields { args { type` (depth 13); newer clients may nest it further.
pub const MAX_INTROSPECTION_DEPTH: usize = 32;
/// Most list-valued meta fields nested in one another: the standard query nests three
/// (`types { fields { args } }`).
pub const MAX_INTROSPECTION_LISTS: usize = 4;

/// Meta fields whose value is a list.
const LIST_META_FIELDS: &[&str] = &["types", "fields", "args", "inputFields", "interfaces", "possibleTypes", "enumValues", "directives"];
/// Meta fields that may stand at the root of a schema-only query.
const ROOT_META_FIELDS: &[&str] = &["__schema", "__type", "__typename"];
/// Fragment spreads and selection sets followed before giving up (a cycle is invalid anyway).
const MAX_NESTING: usize = 64;

/// What the operation a request runs is.
#[derive(Debug, PartialEq, Eq)]
pub enum Operation {
    /// A mutation.
    Mutation,
    /// A query of the schema only, with how deeply it nests list-valued meta fields.
    SchemaOnly { nested_lists: usize },
    /// Anything else, including text that does not parse (the schema then reports why).
    Other,
}

/// Classifies the operation `operation_name` chooses in `query`.
pub fn classify(query: &str, operation_name: Option<&str>) -> Operation {
    let Ok(document) = async_graphql::parser::parse_query(query) else {
        return Operation::Other;
    };
    let Some(operation) = chosen(&document, operation_name) else {
        return Operation::Other;
    };
    match operation.ty {
        OperationType::Mutation => Operation::Mutation,
        OperationType::Subscription => Operation::Other,
        OperationType::Query => {
            if !only_meta_at_root(&operation.selection_set.node, &document, 0) {
                return Operation::Other;
            }
            match nested_lists(&operation.selection_set.node, &document, 0) {
                Some(nested_lists) => Operation::SchemaOnly { nested_lists },
                None => Operation::Other,
            }
        }
    }
}

fn chosen<'a>(document: &'a ExecutableDocument, operation_name: Option<&str>) -> Option<&'a OperationDefinition> {
    let mut operations = document.operations.iter();
    match operation_name {
        Some(wanted) => operations.find(|(name, _)| name.is_some_and(|name| name.as_str() == wanted)).map(|(_, op)| &op.node),
        None => {
            let (_, first) = operations.next()?;
            // Several operations without a name to choose: the schema refuses the request.
            operations.next().is_none().then_some(&first.node)
        }
    }
}

/// The selections of `set`, with fragments followed: `Err` when nesting runs away.
fn for_each_field<'a>(
    set: &'a SelectionSet,
    document: &'a ExecutableDocument,
    nesting: usize,
    visit: &mut dyn FnMut(&'a async_graphql::parser::types::Field, usize) -> Option<()>,
) -> Option<()> {
    if nesting > MAX_NESTING {
        return None;
    }
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => visit(&field.node, nesting)?,
            Selection::InlineFragment(fragment) => for_each_field(&fragment.node.selection_set.node, document, nesting + 1, visit)?,
            Selection::FragmentSpread(spread) => {
                let fragment = document.fragments.get(&spread.node.fragment_name.node)?;
                for_each_field(&fragment.node.selection_set.node, document, nesting + 1, visit)?
            }
        }
    }
    Some(())
}

fn only_meta_at_root(set: &SelectionSet, document: &ExecutableDocument, nesting: usize) -> bool {
    let mut fields = 0;
    let walked = for_each_field(set, document, nesting, &mut |field, _| {
        fields += 1;
        ROOT_META_FIELDS.contains(&field.name.node.as_str()).then_some(())
    });
    walked.is_some() && fields > 0
}

/// How deeply list-valued meta fields nest under `set`; `None` when nesting runs away.
fn nested_lists(set: &SelectionSet, document: &ExecutableDocument, nesting: usize) -> Option<usize> {
    let mut deepest = 0;
    for_each_field(set, document, nesting, &mut |field, nesting| {
        let own = usize::from(LIST_META_FIELDS.contains(&field.name.node.as_str()));
        deepest = deepest.max(own + nested_lists(&field.selection_set.node, document, nesting + 1)?);
        Some(())
    })?;
    Some(deepest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_only_queries_are_told_apart_from_data_queries() {
        assert_eq!(classify("{ __schema { types { fields { args { name } } } } }", None), Operation::SchemaOnly { nested_lists: 3 });
        assert_eq!(classify("query A { __typename } mutation B { logout }", Some("B")), Operation::Mutation);
        assert_eq!(classify("query A { __typename } mutation B { logout }", Some("A")), Operation::SchemaOnly { nested_lists: 0 });
        assert_eq!(classify("{ __schema { queryType { name } } essays { totalCount } }", None), Operation::Other);
        assert_eq!(classify("{ ...F } fragment F on Query { __type(name: \"Essay\") { name } }", None), Operation::SchemaOnly { nested_lists: 0 });
        assert_eq!(classify("{ ...F } fragment F on Query { essays { totalCount } }", None), Operation::Other);
        assert_eq!(classify("{ ...F } fragment F on Query { ...F }", None), Operation::Other);
        assert_eq!(classify("{ __typename } { __typename }", None), Operation::Other);
        assert_eq!(classify("not graphql", None), Operation::Other);
    }

    #[test]
    fn nested_lists_count_through_fragments() {
        let query = "{ __schema { types { ...T } } } fragment T on __Type { fields { type { fields { name } } } }";
        assert_eq!(classify(query, None), Operation::SchemaOnly { nested_lists: 3 });
    }
}

//! Checks on a parsed request before it runs: its breadth, which operation it runs, and the code
//! of errors raised before execution.

use async_graphql::parser::types::{ExecutableDocument, OperationDefinition};

use crate::config::Limits;

/// Refuses a document with more root fields or aliases than allowed: async-graphql limits depth
/// and complexity, not breadth.
pub fn check_breadth(document: &ExecutableDocument, limits: &Limits) -> Result<(), String> {
    use async_graphql::parser::types::{Selection, SelectionSet};
    fn aliases(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(f) => usize::from(f.node.alias.is_some()) + aliases(&f.node.selection_set.node),
                Selection::InlineFragment(f) => aliases(&f.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let mut total_aliases = document
        .fragments
        .values()
        .map(|f| aliases(&f.node.selection_set.node))
        .sum::<usize>();
    for (_, operation) in document.operations.iter() {
        let roots = operation.node.selection_set.node.items.len();
        if roots > limits.max_root_fields {
            return Err(format!(
                "the operation has {roots} root fields; at most {} are allowed",
                limits.max_root_fields
            ));
        }
        total_aliases += aliases(&operation.node.selection_set.node);
    }
    if total_aliases > limits.max_aliases {
        return Err(format!(
            "the document has {total_aliases} aliases; at most {} are allowed",
            limits.max_aliases
        ));
    }
    Ok(())
}

/// The operation a request runs: the one it names, else the first written.
pub fn chosen_operation<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<(
    Option<&'a async_graphql::Name>,
    &'a async_graphql::Positioned<OperationDefinition>,
)> {
    match operation_name {
        Some(wanted) => document
            .operations
            .iter()
            .find(|(name, _)| name.is_some_and(|n| n.as_str() == wanted)),
        None => document.operations.iter().min_by_key(|(_, operation)| operation.pos),
    }
}

/// Errors raised before execution (syntax, validation, argument coercion) carry no code of ours;
/// they are all the client's input.
pub fn tag_uncoded_errors(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", "BAD_USER_INPUT");
        }
    }
}

//! The default roles as PRODUCT.md §4 states them, written out by hand so that the permission
//! tests check the seeded grants against the product, not against themselves.

use std::collections::HashMap;

use api::policy::{Action, Resource, Scope};

use Action::*;
use Resource::*;

const CONTENT: &[Resource] = &[Essays, Analyses, BlogPosts, NewsLinks];
const CATALOG: &[Resource] = &[Blogs, Editors, Sectors, Tags, Questions];

/// (role, resources, actions, scope): each line one sentence of §4.
const GRANTS: &[(&str, &[Resource], &[Action], Scope)] = &[
    // admin: everything, including users, roles, API keys, webhooks, settings, purge.
    ("admin", CONTENT, &[Read, Create, Update, Delete, Submit, Publish, Unpublish, Schedule, Archive, Restore, Purge], Scope::All),
    ("admin", CATALOG, &[Read, Create, Update, Delete], Scope::All),
    ("admin", &[Users, Roles, ApiKeys, Webhooks, NewsSources], &[Read, Create, Update, Delete], Scope::All),
    ("admin", &[AuditLog], &[Read], Scope::All),
    // editor: everything on content in their sectors (edit, review, publish, schedule, unpublish,
    // archive, restore) but purge; manage tags, blogs and editor profiles.
    ("editor", CONTENT, &[Read, Create, Update, Delete, Submit, Publish, Unpublish, Schedule, Archive, Restore], Scope::Sector),
    ("editor", &[Blogs, Editors, Tags], &[Create, Update, Delete], Scope::All),
    // editors and news collectors manage the news sources of their sectors (the news
    // aggregation issue, which details §4's "manage news sources").
    ("editor", &[NewsSources], &[Read, Create, Update, Delete], Scope::Sector),
    // author: create drafts, edit and delete their own, submit for review, read their own; no publishing.
    ("author", &[Essays, Analyses, BlogPosts], &[Read, Create, Update, Delete, Submit], Scope::Own),
    // news_collector: create, edit, publish and unpublish news links (and keep them tidy: trash,
    // archive, restore, submit); manage news sources.
    ("news_collector", &[NewsLinks], &[Read, Create, Update, Delete, Submit, Publish, Unpublish, Archive, Restore], Scope::All),
    ("news_collector", &[NewsSources], &[Read, Create, Update, Delete], Scope::Sector),
];

/// Every default role with what it may do.
pub fn product_roles() -> Vec<(&'static str, HashMap<(Resource, Action), Scope>)> {
    let mut roles: Vec<(&'static str, HashMap<(Resource, Action), Scope>)> = Vec::new();
    for (role, resources, actions, scope) in GRANTS {
        let position = match roles.iter().position(|(name, _)| name == role) {
            Some(position) => position,
            None => {
                roles.push((role, HashMap::new()));
                roles.len() - 1
            }
        };
        for resource in *resources {
            for action in *actions {
                roles[position].1.insert((*resource, *action), *scope);
            }
        }
    }
    roles
}

//! The permission vocabulary: resources, actions and scopes that roles are made of.

use crate::domain::{ContentKind, vocabulary};

vocabulary!(
    /// What a permission is about.
    Resource {
        Essays = "essays",
        Analyses = "analyses",
        BlogPosts = "blog_posts",
        NewsLinks = "news_links",
        Blogs = "blogs",
        Editors = "editors",
        Sectors = "sectors",
        Tags = "tags",
        Questions = "questions",
        Users = "users",
        Roles = "roles",
        ApiKeys = "api_keys",
        Webhooks = "webhooks",
        NewsSources = "news_sources",
        AuditLog = "audit_log",
    }
);

vocabulary!(
    /// What a permission lets a role do.
    Action {
        /// Read what the public may not (drafts; private resources).
        Read = "read",
        Create = "create",
        Update = "update",
        /// Soft delete (trash) for content.
        Delete = "delete",
        Submit = "submit",
        Publish = "publish",
        Unpublish = "unpublish",
        Schedule = "schedule",
        Archive = "archive",
        /// Bring back from the trash, or restore a revision.
        Restore = "restore",
        /// Delete for good.
        Purge = "purge",
    }
);

vocabulary!(
    /// Which rows a permission covers.
    Scope {
        /// Items the user created or is an author of.
        Own = "own",
        /// Items in the user's sectors (all sectors when none are assigned).
        Sector = "sector",
        /// Everything.
        All = "all",
    }
);

impl Resource {
    /// The resource that governs a content kind.
    pub fn for_kind(kind: ContentKind) -> Resource {
        match kind {
            ContentKind::Essay => Resource::Essays,
            ContentKind::StrategyAnalysis => Resource::Analyses,
            ContentKind::BlogPost => Resource::BlogPosts,
            ContentKind::NewsLink => Resource::NewsLinks,
        }
    }

    /// Whether the resource is a content kind (workflow actions and own/sector scopes apply).
    pub fn is_content(self) -> bool {
        matches!(self, Resource::Essays | Resource::Analyses | Resource::BlogPosts | Resource::NewsLinks)
    }

    /// Whether a grant on this resource may have `scope`: content takes every scope, news
    /// sources `sector` too (their sectors), everything else only `all`.
    pub fn takes_scope(self, scope: Scope) -> bool {
        match scope {
            Scope::All => true,
            Scope::Sector => self.is_content() || self == Resource::NewsSources,
            Scope::Own => self.is_content(),
        }
    }

    /// The actions that mean something for this resource.
    pub fn actions(self) -> &'static [Action] {
        use Action::*;
        if self.is_content() {
            Action::ALL
        } else if self == Resource::AuditLog {
            &[Read]
        } else {
            &[Read, Create, Update, Delete]
        }
    }
}

/// The default roles and their grants, seeded on first start.
pub fn default_roles() -> Vec<(&'static str, &'static str, Vec<(Resource, Action, Scope)>)> {
    use Action::*;
    let content = [Resource::Essays, Resource::Analyses, Resource::BlogPosts, Resource::NewsLinks];
    let mut admin = Vec::new();
    for resource in Resource::ALL {
        for action in resource.actions() {
            admin.push((*resource, *action, Scope::All));
        }
    }
    let mut editor = Vec::new();
    for resource in content {
        for action in [Read, Create, Update, Delete, Submit, Publish, Unpublish, Schedule, Archive, Restore] {
            editor.push((resource, action, Scope::Sector));
        }
    }
    for resource in [Resource::Blogs, Resource::Editors, Resource::Tags] {
        for action in [Create, Update, Delete] {
            editor.push((resource, action, Scope::All));
        }
    }
    for action in [Read, Create, Update, Delete] {
        editor.push((Resource::NewsSources, action, Scope::Sector));
    }
    let mut author = Vec::new();
    for resource in [Resource::Essays, Resource::Analyses, Resource::BlogPosts] {
        for action in [Read, Create, Update, Delete, Submit] {
            author.push((resource, action, Scope::Own));
        }
    }
    let mut collector = Vec::new();
    for action in [Read, Create, Update, Delete, Submit, Publish, Unpublish, Archive, Restore] {
        collector.push((Resource::NewsLinks, action, Scope::All));
    }
    for action in [Read, Create, Update, Delete] {
        collector.push((Resource::NewsSources, action, Scope::Sector));
    }
    vec![
        ("admin", "Everything, including users, roles, API keys, webhooks and purge", admin),
        ("editor", "All content and news sources in their sectors; tags, blogs and editor profiles", editor),
        ("author", "Their own drafts: write, submit for review", author),
        ("news_collector", "News links, and news sources in their sectors", collector),
    ]
}

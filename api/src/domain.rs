//! Domain vocabulary parsed once at the edge: content kinds, statuses, team roles, slugs.



/// Where a JSON value holds a NUL character (in a string or a key), as a path such as
/// `links[0].label`. PostgreSQL can neither store nor compare text holding NUL, so input with one
/// is refused at the edge on every database alike.
pub fn nul_in(value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(text) => text.contains('\0').then(String::new),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| nul_in(item).map(|rest| format!("[{i}]{rest}"))),
        Value::Object(map) => map.iter().find_map(|(key, item)| {
            if key.contains('\0') {
                return Some(String::new());
            }
            nul_in(item).map(|rest| if rest.starts_with('[') || rest.is_empty() { format!("{key}{rest}") } else { format!("{key}.{rest}") })
        }),
        _ => None,
    }
}

/// Whether a text holds a NUL character, raw or written as the JSON escape `\u0000` (which a
/// `filter` object in a query string decodes to).
pub fn holds_nul(text: &str) -> bool {
    text.contains('\0') || text.contains("\\u0000")
}

/// A closed vocabulary stored and sent as snake_case text: the enum, `ALL`, `NAMES`, and the one
/// table between them (`as_str`, `parse`).
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "adapters", derive(utoipa::ToSchema, async_graphql::Enum))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every stored and wire form, in the same order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// The stored and wire form.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the stored and wire form.
            pub fn parse(value: &str) -> Option<$name> {
                match value { $($text => Some($name::$variant),)+ _ => None }
            }

            /// Reads a stored value; anything else is a corrupt row: a server fault, logged,
            /// never silently a default.
            pub fn stored(value: &str) -> Result<$name, crate::error::AppError> {
                Self::parse(value).ok_or_else(|| {
                    crate::error::AppError::Internal(anyhow::anyhow!("stored {} `{value}` is none of {:?}", stringify!($name), Self::NAMES))
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use vocabulary;

vocabulary!(
    /// The four kinds of content item.
    ContentKind {
        /// A feature essay.
        Essay = "essay",
        /// An analysis of conditions and strategy.
        StrategyAnalysis = "strategy_analysis",
        /// A post on one of the blogs.
        BlogPost = "blog_post",
        /// An aggregated news item.
        NewsLink = "news_link",
    }
);

impl ContentKind {
    /// The REST collection this kind lives under.
    pub fn collection(self) -> &'static str {
        match self {
            ContentKind::Essay => "essays",
            ContentKind::StrategyAnalysis => "analyses",
            ContentKind::BlogPost => "blog-posts",
            ContentKind::NewsLink => "news-links",
        }
    }
}

vocabulary!(
    /// Where a content item stands in the editorial workflow.
    ContentStatus {
        /// Being written.
        Draft = "draft",
        /// Submitted for an editor's review.
        InReview = "in_review",
        /// Will be published at `scheduled_at`.
        Scheduled = "scheduled",
        /// Public.
        Published = "published",
        /// Withdrawn from the public but kept.
        Archived = "archived",
    }
);

vocabulary!(
    /// The role an editor profile plays on the team.
    TeamRole {
        /// Commissions, edits and publishes.
        Editor = "editor",
        /// Writes for a blog.
        Blogger = "blogger",
        /// Aggregates news links.
        NewsCollector = "news_collector",
        /// Writes occasionally.
        Contributor = "contributor",
    }
);

/// A URL-safe identifier: lowercase ASCII letters, digits and single hyphens, 1–200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    /// Longest slug accepted.
    pub const MAX_LEN: usize = 200;

    /// Parses a slug, or `None` when it is not one.
    pub fn parse(value: &str) -> Option<Slug> {
        let valid = !value.is_empty()
            && value.len() <= Self::MAX_LEN
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !value.starts_with('-')
            && !value.ends_with('-')
            && !value.contains("--");
        valid.then(|| Slug(value.to_owned()))
    }

    /// Makes a slug from a title ("Why We Organize!" → `why-we-organize`).
    pub fn from_title(title: &str) -> Option<Slug> {
        let mut out = String::new();
        for c in title.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
            if out.len() >= Self::MAX_LEN {
                break;
            }
        }
        Slug::parse(out.trim_end_matches('-'))
    }

    /// The slug text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether a text looks like an email address (`local@domain.tld`, no spaces, at most 320 bytes).
pub fn is_email(email: &str) -> bool {
    let email = email.trim();
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && email.len() <= 320
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

/// How a resource is addressed in a path: by UUID or by slug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdOrSlug {
    /// A UUID.
    Id(uuid::Uuid),
    /// A slug.
    Slug(Slug),
}

impl IdOrSlug {
    /// Parses a path segment; `None` when it is neither a UUID nor a slug.
    pub fn parse(value: &str) -> Option<IdOrSlug> {
        match uuid::Uuid::try_parse(value) {
            Ok(id) => Some(IdOrSlug::Id(id)),
            Err(_) => Slug::parse(value).map(IdOrSlug::Slug),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_strict() {
        assert!(Slug::parse("labor-and-power-2026").is_some());
        for bad in ["", "Labor", "a b", "-a", "a-", "a--b", "a_b", "' OR 1=1 --"] {
            assert!(Slug::parse(bad).is_none(), "{bad:?} accepted");
        }
    }

    #[test]
    fn slugs_from_titles() {
        assert_eq!(Slug::from_title("Why We Organize!").unwrap().as_str(), "why-we-organize");
        assert_eq!(Slug::from_title("  Labor's 2026: A Turn ").unwrap().as_str(), "labor-s-2026-a-turn");
        assert!(Slug::from_title("!!!").is_none());
    }
}

//! Event types (`essay.published`) and the patterns endpoints subscribe with (`content.*`,
//! `*.published`, `*`): one vocabulary, checked when a webhook is written.

use crate::services::changes::{ChangeAction, RecordKind};

/// The event a new endpoint or a ping sends, outside the change log.
pub const PING: &str = "ping";

/// Groups of kinds a pattern may name instead of one kind.
const GROUPS: &[&str] = &["content", "catalog"];

/// Why a pattern is not one, or None when it is.
pub fn invalid_pattern(pattern: &str) -> Option<String> {
    if pattern == "*" || pattern == PING {
        return None;
    }
    let Some((kind, action)) = pattern.split_once('.') else {
        return Some(format!("`{pattern}` is not an event pattern like essay.published, content.* or *"));
    };
    if !(kind == "*" || GROUPS.contains(&kind) || RecordKind::parse(kind).is_some()) {
        return Some(format!("`{kind}` is none of *, {}, {}", GROUPS.join(", "), RecordKind::NAMES.join(", ")));
    }
    if !(action == "*" || ChangeAction::parse(action).is_some()) {
        return Some(format!("`{action}` is none of *, {}", ChangeAction::NAMES.join(", ")));
    }
    None
}

/// Whether `pattern` covers the event `kind.action`.
pub fn matches(pattern: &str, kind: RecordKind, action: ChangeAction) -> bool {
    if pattern == "*" {
        return true;
    }
    let Some((want_kind, want_action)) = pattern.split_once('.') else {
        return false;
    };
    let kind_ok = match want_kind {
        "*" => true,
        "content" => kind.content_kind().is_some(),
        "catalog" => kind.content_kind().is_none(),
        one => one == kind.as_str(),
    };
    kind_ok && (want_action == "*" || want_action == action.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_cover_what_they_name() {
        use ChangeAction::*;
        use RecordKind::*;
        assert!(matches("*", Tag, Deleted));
        assert!(matches("essay.published", Essay, Published));
        assert!(!matches("essay.published", Essay, Updated));
        assert!(!matches("essay.published", BlogPost, Published));
        assert!(matches("content.*", NewsLink, Trashed));
        assert!(!matches("content.*", Sector, Created));
        assert!(matches("catalog.*", Editor, Updated));
        assert!(matches("*.published", StrategyAnalysis, Published));
        assert!(invalid_pattern("essay.published").is_none());
        assert!(invalid_pattern("content.*").is_none());
        assert!(invalid_pattern("essays.published").is_some());
        assert!(invalid_pattern("essay.posted").is_some());
        assert!(invalid_pattern("essay").is_some());
    }
}

//! The search grammar, parsed here and only here: words (all required), `"exact phrases"`,
//! `-excluded`, `OR` between terms and `prefix*`. Everything else is text. A parsed query is
//! written out for FTS5 or `to_tsquery` from folded words alone, so no user syntax reaches
//! either engine.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::error::AppError;

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// Most words a query may hold (phrases count each word).
const MAX_WORDS: usize = 32;
/// Longest word kept, in characters.
const MAX_WORD_CHARS: usize = 64;

/// One term: a word, or a phrase of words in order; `prefix` applies to the last word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub words: Vec<String>,
    pub prefix: bool,
}

/// A part every match must satisfy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clause {
    /// At least one of the terms (one term: that term).
    AnyOf(Vec<Term>),
    /// Not this term.
    Not(Term),
}

/// A parsed query: all clauses hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub clauses: Vec<Clause>,
}

/// Lowercase, without diacritics: what both indexes store and what queries look for.
pub fn fold(word: &str) -> String {
    word.nfd().filter(|c| !is_combining_mark(*c)).flat_map(char::to_lowercase).collect()
}

/// The words of a text and where each starts and ends (byte offsets), as the index splits them.
pub fn words(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        while chars.peek().is_some_and(|(_, c)| !c.is_alphanumeric()) {
            chars.next();
        }
        let (start, _) = *chars.peek()?;
        let mut end = start;
        while let Some((i, c)) = chars.peek().copied().filter(|(_, c)| c.is_alphanumeric()) {
            end = i + c.len_utf8();
            chars.next();
        }
        Some((start, end))
    })
}

/// The folded words of a text, for the PostgreSQL vector.
pub fn folded_words(text: &str) -> String {
    words(text).map(|(s, e)| fold(&text[s..e])).collect::<Vec<_>>().join(" ")
}

fn invalid(detail: impl Into<String>) -> AppError {
    AppError::bad_request("invalid_search", detail)
}

/// A raw token of the input.
enum Token {
    Text { text: String, excluded: bool, prefix: bool },
    Or,
}

fn tokens(input: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() || c == '\0' {
            chars.next();
            continue;
        }
        let excluded = c == '-';
        if excluded {
            chars.next();
        }
        let mut text = String::new();
        let phrase = chars.peek() == Some(&'"');
        if phrase {
            chars.next();
            // An unclosed quote runs to the end, as people mean it.
            for c in chars.by_ref() {
                if c == '"' {
                    break;
                }
                text.push(c);
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '"' || c == '\0' {
                    break;
                }
                text.push(c);
                chars.next();
            }
        }
        let prefix = if phrase { chars.peek() == Some(&'*') } else { text.ends_with('*') };
        if phrase && prefix {
            chars.next();
        }
        if !phrase && !excluded && text == "OR" {
            out.push(Token::Or);
        } else {
            out.push(Token::Text { text, excluded, prefix });
        }
    }
    out
}

/// Parses what a reader typed. Empty or word-less input, only exclusions, or more than the
/// limits allow are a 400 problem; nothing else is refused.
pub fn parse(input: &str) -> Result<Query, AppError> {
    if input.chars().count() > MAX_QUERY_CHARS {
        return Err(invalid(format!("a search may be at most {MAX_QUERY_CHARS} characters long")));
    }
    let mut clauses: Vec<Clause> = Vec::new();
    let mut join_next = false;
    let mut word_count = 0;
    for token in tokens(input) {
        let (text, excluded, prefix) = match token {
            Token::Or => {
                join_next = matches!(clauses.last(), Some(Clause::AnyOf(_)));
                continue;
            }
            Token::Text { text, excluded, prefix } => (text, excluded, prefix),
        };
        let found: Vec<String> = words(&text).map(|(s, e)| fold(&text[s..e]).chars().take(MAX_WORD_CHARS).collect()).collect();
        if found.is_empty() {
            continue;
        }
        word_count += found.len();
        if word_count > MAX_WORDS {
            return Err(invalid(format!("a search may hold at most {MAX_WORDS} words")));
        }
        // Punctuation inside a word (`e-mail`, `co.op`) makes it a phrase of its parts.
        let term = Term { words: found, prefix };
        if excluded {
            clauses.push(Clause::Not(term));
            join_next = false;
            continue;
        }
        match clauses.last_mut() {
            Some(Clause::AnyOf(terms)) if join_next => terms.push(term),
            _ => clauses.push(Clause::AnyOf(vec![term])),
        }
        join_next = false;
    }
    if clauses.is_empty() {
        return Err(invalid("the search holds no words to look for"));
    }
    if !clauses.iter().any(|c| matches!(c, Clause::AnyOf(_))) {
        return Err(invalid("a search needs at least one word that is not excluded"));
    }
    Ok(Query { clauses })
}

/// One term as `to_tsquery` text: quoted lexemes, a phrase joined by `<->`, `:*` for a prefix.
fn tsquery_term(t: &Term) -> String {
    let last = t.words.len() - 1;
    let lexemes: Vec<String> = t
        .words
        .iter()
        .enumerate()
        .map(|(i, w)| format!("'{w}'{}", if t.prefix && i == last { ":*" } else { "" }))
        .collect();
    format!("({})", lexemes.join(" <-> "))
}

impl Query {
    /// The FTS5 MATCH expression: every word a quoted string, so none is an operator.
    pub fn to_fts5(&self) -> String {
        let term = |t: &Term| format!("\"{}\"{}", t.words.join(" "), if t.prefix { "*" } else { "" });
        let mut out: Vec<String> = Vec::new();
        for clause in &self.clauses {
            if let Clause::AnyOf(terms) = clause {
                out.push(format!("({})", terms.iter().map(term).collect::<Vec<_>>().join(" OR ")));
            }
        }
        // NOT binds tighter than AND in FTS5: `a AND b NOT c` is `a AND (b NOT c)`.
        let mut text = out.join(" AND ");
        for clause in &self.clauses {
            if let Clause::Not(t) = clause {
                text.push_str(&format!(" NOT {}", term(t)));
            }
        }
        text
    }

    /// The `to_tsquery('simple', …)` text: every word a quoted lexeme.
    pub fn to_tsquery(&self) -> String {
        self.clauses
            .iter()
            .map(|clause| match clause {
                Clause::AnyOf(terms) => format!("({})", terms.iter().map(tsquery_term).collect::<Vec<_>>().join(" | ")),
                Clause::Not(t) => format!("!{}", tsquery_term(t)),
            })
            .collect::<Vec<_>>()
            .join(" & ")
    }

    /// A `to_tsquery` text that any one of the wanted terms satisfies (which fields hold a match).
    pub fn to_tsquery_any(&self) -> String {
        self.wanted().map(tsquery_term).collect::<Vec<_>>().join(" | ")
    }

    /// The terms a match may show (for highlighting), excluded ones left out.
    pub fn wanted(&self) -> impl Iterator<Item = &Term> {
        self.clauses.iter().flat_map(|c| match c {
            Clause::AnyOf(terms) => terms.as_slice(),
            Clause::Not(_) => &[],
        })
    }

    /// The query written back in the grammar, with `replace` applied to each single word.
    pub fn rewrite(&self, replace: impl Fn(&str) -> Option<String>) -> String {
        let term = |t: &Term| {
            let words: Vec<String> = t.words.iter().map(|w| if t.words.len() == 1 { replace(w).unwrap_or_else(|| w.clone()) } else { w.clone() }).collect();
            let star = if t.prefix { "*" } else { "" };
            if words.len() == 1 { format!("{}{star}", words[0]) } else { format!("\"{}\"{star}", words.join(" ")) }
        };
        self.clauses
            .iter()
            .map(|clause| match clause {
                Clause::AnyOf(terms) => terms.iter().map(term).collect::<Vec<_>>().join(" OR "),
                Clause::Not(t) => format!("-{}", term(t)),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fts(q: &str) -> String {
        parse(q).unwrap().to_fts5()
    }

    #[test]
    fn words_phrases_exclusions_or_and_prefixes() {
        assert_eq!(fts("Union  power"), r#"("union") AND ("power")"#);
        assert_eq!(fts(r#""rank and file" strike"#), r#"("rank and file") AND ("strike")"#);
        assert_eq!(fts("tenant -landlord"), r#"("tenant") NOT "landlord""#);
        assert_eq!(fts("strike OR walkout wage"), r#"("strike" OR "walkout") AND ("wage")"#);
        assert_eq!(fts("organ*"), r#"("organ"*)"#);
        assert_eq!(fts("Éducation"), r#"("education")"#);
        assert_eq!(fts("e-mail"), r#"("e mail")"#);
        assert_eq!(parse("strike OR walkout -scab").unwrap().to_tsquery(), "(('strike') | ('walkout')) & !('scab')");
        assert_eq!(parse(r#""rank file"* x"#).unwrap().to_tsquery(), "(('rank' <-> 'file':*)) & (('x'))");
        assert_eq!(parse("strike OR walkout -scab wage").unwrap().to_tsquery_any(), "('strike') | ('walkout') | ('wage')");
    }

    #[test]
    fn hostile_input_is_text_or_refused() {
        for q in [r#"a" OR NEAR(b c) ^d"#, "col:title", "AND NOT", "(((", "a\0b", "\"", "a OR OR b", "OR a", "*a*", "NEAR/3"] {
            if let Ok(query) = parse(q) {
                let text = query.to_fts5();
                assert!(text.matches('"').count() % 2 == 0, "{q} → {text}");
                assert!(!text.contains('\0') && !text.contains(':') && !text.contains('^'), "{q} → {text}");
            }
        }
        for q in ["", "*", "()", "\"\"", "-a", "- -b", &"x ".repeat(40), &"y".repeat(600)] {
            assert!(parse(q).is_err(), "{q:?} should be refused");
        }
    }

    #[test]
    fn rewrites_with_replacements() {
        let q = parse(r#"strik "rank file" -scab OR x"#).unwrap();
        assert_eq!(q.rewrite(|w| (w == "strik").then(|| "strike".to_owned())), r#"strike "rank file" -scab x"#);
    }
}

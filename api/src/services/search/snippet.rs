//! Snippets: a short passage around the first match, HTML-escaped, matches wrapped in `<mark>`.

use super::grammar::{Term, fold, words};
use crate::rendering::escape_html;

/// Words before the first match that a snippet keeps.
const BEFORE: usize = 8;
/// Words a snippet shows.
const LENGTH: usize = 32;

/// Which of the words (`spans` of `text`) a query's terms match: each word of a term, a
/// phrase's words only where they stand together in order.
fn matched(text: &str, spans: &[(usize, usize)], terms: &[&Term]) -> Vec<bool> {
    let folded: Vec<String> = spans.iter().map(|&(s, e)| fold(&text[s..e])).collect();
    let mut marks = vec![false; spans.len()];
    for term in terms {
        let n = term.words.len();
        for start in 0..folded.len().saturating_sub(n - 1) {
            let fits = term.words.iter().enumerate().all(|(k, w)| {
                let word = &folded[start + k];
                *word == *w || (term.prefix && k == n - 1 && word.starts_with(w.as_str()))
            });
            if fits {
                marks[start..start + n].iter_mut().for_each(|m| *m = true);
            }
        }
    }
    marks
}

/// The passage of the first of `texts` that holds a match (or the start of the first non-empty one).
pub fn snippet(texts: &[&str], terms: &[&Term]) -> String {
    for text in texts {
        let spans: Vec<(usize, usize)> = words(text).collect();
        let marks = matched(text, &spans, terms);
        if let Some(first) = marks.iter().position(|m| *m) {
            return passage(text, &spans, &marks, first.saturating_sub(BEFORE));
        }
    }
    texts
        .iter()
        .find(|t| !t.trim().is_empty())
        .map(|text| {
            let spans: Vec<(usize, usize)> = words(text).collect();
            passage(text, &spans, &vec![false; spans.len()], 0)
        })
        .unwrap_or_default()
}

fn passage(text: &str, spans: &[(usize, usize)], marks: &[bool], from: usize) -> String {
    let Some(&(first, _)) = spans.get(from) else {
        return String::new();
    };
    // From the start, the passage keeps what comes before the first word.
    let start = if from == 0 { 0 } else { first };
    let to = (from + LENGTH).min(spans.len());
    let end = spans[to - 1].1;
    let mut out = String::new();
    if from > 0 {
        out.push_str("… ");
    }
    let mut at = start;
    for (&(s, e), &marked) in spans[from..to].iter().zip(&marks[from..to]) {
        out.push_str(&between(&text[at..s]));
        if marked {
            out.push_str("<mark>");
            out.push_str(&escape_html(&text[s..e]));
            out.push_str("</mark>");
        } else {
            out.push_str(&escape_html(&text[s..e]));
        }
        at = e;
    }
    if to < spans.len() {
        out.push_str(" …");
    } else {
        out.push_str(&between(&text[end..]));
    }
    out.trim().to_owned()
}

/// What stands between two words, escaped, each run of spaces and line breaks one space.
fn between(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if !c.is_whitespace() {
            out.push_str(&escape_html(c.encode_utf8(&mut [0; 4])));
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::search::grammar::parse;

    #[test]
    fn marks_matches_and_escapes_the_rest() {
        let query = parse("strike organ*").unwrap();
        let terms: Vec<&Term> = query.wanted().collect();
        let text = "<b>Workers</b> & the Strike: organizing, again.";
        assert_eq!(snippet(&["", text], &terms), "&lt;b&gt;Workers&lt;/b&gt; &amp; the <mark>Strike</mark>: <mark>organizing</mark>, again.");
        let long = format!("{} strike {}", "word ".repeat(50), "tail ".repeat(50));
        let cut = snippet(&[&long], &terms);
        assert!(cut.starts_with("… ") && cut.ends_with(" …") && cut.contains("<mark>strike</mark>"), "{cut}");
        assert_eq!(snippet(&["Nothing\n\n  here"], &terms), "Nothing here");
        let phrase = parse("\"rank and file\"").unwrap();
        let terms: Vec<&Term> = phrase.wanted().collect();
        assert_eq!(snippet(&["Bread and roses: the rank and file decide."], &terms), "Bread and roses: the <mark>rank</mark> <mark>and</mark> <mark>file</mark> decide.");
    }
}

//! Markdown rendering: sanitized HTML, word count and reading time for content bodies.

use pulldown_cmark::{Options, Parser, html};

/// Words per minute assumed for reading time.
const WORDS_PER_MINUTE: usize = 230;

/// A rendered Markdown body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedBody {
    /// Sanitized HTML: no scripts, no event handlers, no `javascript:` URLs.
    pub html: String,
    /// Words in the text (markup excluded).
    pub word_count: i32,
    /// Estimated minutes to read, at least 1 for any non-empty text.
    pub reading_time_minutes: i32,
}

/// Renders Markdown to sanitized HTML and counts its words.
pub fn render_markdown(markdown: &str) -> RenderedBody {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_SMART_PUNCTUATION;
    let mut raw_html = String::with_capacity(markdown.len() * 5 / 4);
    html::push_html(&mut raw_html, Parser::new_ext(markdown, options));
    let html = ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .clean(&raw_html)
        .to_string();
    // Count what a reader sees: the text of the sanitized HTML.
    let words = count_words(&html);
    let word_count = i32::try_from(words).unwrap_or(i32::MAX);
    let reading_time_minutes = if words == 0 {
        0
    } else {
        i32::try_from(words.div_ceil(WORDS_PER_MINUTE)).unwrap_or(i32::MAX)
    };
    RenderedBody { html, word_count, reading_time_minutes }
}

/// Words in HTML text, ignoring tags (the input is sanitizer output, so tags are well-formed).
fn count_words(html: &str) -> usize {
    let mut words = 0;
    let mut in_tag = false;
    let mut in_word = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                in_word = false;
            }
            '>' if in_tag => in_tag = false,
            _ if in_tag => {}
            c if c.is_whitespace() => in_word = false,
            _ => {
                if !in_word {
                    words += 1;
                    in_word = true;
                }
            }
        }
    }
    words
}

/// Text made safe to stand in HTML.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The text of sanitized HTML: tags and runs of white space become one space, character
/// references their characters.
pub fn plain_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let space = |text: &mut String| {
        if !text.is_empty() && !text.ends_with(' ') {
            text.push(' ');
        }
    };
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                space(&mut text);
                rest = &rest[rest.find('>').map_or(rest.len(), |i| i + 1)..];
            }
            '&' => {
                let (decoded, used) = reference(rest).unwrap_or(('&', 1));
                if decoded.is_whitespace() { space(&mut text) } else { text.push(decoded) }
                rest = &rest[used..];
            }
            c => {
                if c.is_whitespace() { space(&mut text) } else { text.push(c) }
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    text.trim_end().to_owned()
}

/// The character a reference at the start of `text` stands for, and its length.
fn reference(text: &str) -> Option<(char, usize)> {
    let end = text.bytes().take(12).position(|b| b == b';')?;
    let name = &text[1..end];
    let decoded = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((decoded, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_counts() {
        let r = render_markdown("# Power\n\nBuild *power* where we work.");
        assert!(r.html.contains("<h1>Power</h1>"));
        assert!(r.html.contains("<em>power</em>"));
        assert_eq!(r.word_count, 6);
        assert_eq!(r.reading_time_minutes, 1);
    }

    #[test]
    fn strips_dangerous_markup() {
        let r = render_markdown(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1)) <a href=\"javascript:alert(2)\" onclick=\"x()\">y</a>",
        );
        let html = r.html.to_lowercase();
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("onclick"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }

    #[test]
    fn plain_text_of_html() {
        let html = render_markdown("# Power\n\nBuild *power* & \"win\" <3").html;
        assert_eq!(plain_text(&html), "Power Build power & “win” <3");
        assert_eq!(plain_text("a&#x41;&#66;&bogus;b"), "aAB&bogus;b");
    }

    #[test]
    fn empty_body_reads_in_no_time() {
        assert_eq!(render_markdown("").reading_time_minutes, 0);
        assert_eq!(render_markdown(&"word ".repeat(461)).reading_time_minutes, 3);
    }
}

//! Reading what a news source answered: RSS 0.9x/1.0/2.0, Atom and JSON Feed through feed-rs,
//! into entries with our own identity; and the feeds a web page advertises.

use url::Url;

use super::canonical::canonical;
use crate::rendering::plain_text;

/// Longest title kept (the news link's limit).
const TITLE_CHARS: usize = 300;
/// Longest summary kept.
const SUMMARY_CHARS: usize = 600;
/// Most entries read from one answer.
const MAX_ENTRIES: usize = 200;
/// Longest URL a news link takes.
const URL_MAX: usize = 2048;

/// One story of a feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The entry's identity within its source: its GUID, else its canonical URL (never the title).
    pub key: String,
    pub url: String,
    pub title: String,
    pub summary: String,
}

/// A parsed feed.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub title: Option<String>,
    pub site_url: Option<String>,
    pub entries: Vec<Entry>,
}

/// Plain text of what may be HTML: tags removed, references decoded, white space collapsed,
/// cut to `limit` characters at a word.
fn text(html: &str, limit: usize) -> String {
    let cleaned = ammonia::Builder::empty().clean(html).to_string();
    let text: String = plain_text(&cleaned).chars().filter(|c| !c.is_control()).collect();
    if text.chars().count() <= limit {
        return text;
    }
    let cut: String = text.chars().take(limit - 1).collect();
    let cut = cut.rfind(' ').map_or(cut.as_str(), |i| &cut[..i]);
    format!("{}…", cut.trim_end())
}

/// Longest GUID kept as it is; longer ones are known by their digest (indexes have a limit).
const KEY_MAX: usize = 512;

fn entry_key(guid: &str) -> String {
    if guid.len() <= KEY_MAX {
        return guid.to_owned();
    }
    format!("sha256:{}", crate::auth::secrets::digest(guid))
}

/// Parses a feed answered at `base`. Entries without an http(s) link are left out.
pub fn parse(body: &[u8], base: &Url) -> Result<Parsed, String> {
    // No generated ids: an entry without a GUID is known by its canonical URL.
    let parser = feed_rs::parser::Builder::new().base_uri(Some(base.as_str())).id_generator(|_, _, _| String::new()).build();
    let feed = parser.parse(body).map_err(|e| format!("not a feed: {e}"))?;
    let usable = |url: &String| url.len() <= URL_MAX;
    let site_url = feed.links.iter().find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate")).and_then(|l| canonical(&l.href, Some(base))).filter(usable);
    let mut entries = Vec::new();
    for item in feed.entries.into_iter().take(MAX_ENTRIES) {
        let link = item
            .links
            .iter()
            .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
            .or(item.links.first())
            .and_then(|l| canonical(&l.href, Some(base)))
            .filter(usable);
        // Without an http(s) link of a usable length there is no news link to make.
        let Some(url) = link else { continue };
        let title = item.title.as_ref().map(|t| text(&t.content, TITLE_CHARS)).filter(|t| !t.is_empty()).unwrap_or_else(|| text(&url, TITLE_CHARS));
        let summary = item
            .summary
            .as_ref()
            .map(|s| s.content.clone())
            .or_else(|| item.content.as_ref().and_then(|c| c.body.clone()))
            .map(|s| text(&s, SUMMARY_CHARS))
            .unwrap_or_default();
        let key = match item.id.trim() {
            "" => url.clone(),
            guid => entry_key(guid),
        };
        entries.push(Entry { key, url, title, summary });
    }
    Ok(Parsed { title: feed.title.map(|t| text(&t.content, TITLE_CHARS)).filter(|t| !t.is_empty()), site_url, entries })
}

/// The feed URLs an HTML page advertises with `<link rel="alternate" type="…">`.
pub fn advertised(html: &str, base: &Url) -> Vec<String> {
    const TYPES: &[&str] = &["application/rss+xml", "application/atom+xml", "application/feed+json", "application/json"];
    let lower = html.to_ascii_lowercase();
    let mut feeds = Vec::new();
    let mut from = 0;
    while let Some(start) = lower[from..].find("<link") {
        let start = from + start;
        let end = lower[start..].find('>').map_or(lower.len(), |e| start + e);
        let tag = &html[start..end];
        let attribute = |name: &str| attribute(tag, name);
        let alternate = attribute("rel").is_some_and(|r| r.split_whitespace().any(|r| r.eq_ignore_ascii_case("alternate")));
        let feed_type = attribute("type").is_some_and(|t| TYPES.contains(&t.to_ascii_lowercase().as_str()));
        if alternate && feed_type {
            if let Some(url) = attribute("href").and_then(|href| canonical(&href, Some(base))) {
                if !feeds.contains(&url) {
                    feeds.push(url);
                }
            }
        }
        from = end;
    }
    feeds
}

/// The value of an attribute in a tag's text (quoted or not), with `&amp;` decoded.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower[from..].find(name) {
        let at = from + found;
        from = at + name.len();
        let before_ok = at > 0 && lower.as_bytes()[at - 1].is_ascii_whitespace();
        let rest = lower[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let value_start = tag.len() - rest.len() + 1;
        let value = tag[value_start..].trim_start();
        let (value, _) = match value.chars().next() {
            Some(quote @ ('"' | '\'')) => value[1..].split_once(quote).unwrap_or((&value[1..], "")),
            _ => value.split_once(char::is_whitespace).unwrap_or((value, "")),
        };
        return Some(value.replace("&amp;", "&"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://news.example.org/feeds/labor.xml").unwrap()
    }

    #[test]
    fn rss_with_relative_links_missing_guids_and_html_titles() {
        let rss = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Labor &amp; Work</title><link>https://news.example.org/</link>
            <item><title>&lt;b&gt;Strike&lt;/b&gt; wins</title><link>/2026/strike?utm_source=rss</link><guid isPermaLink="false">story-1</guid><description>&lt;p&gt;Workers &lt;em&gt;won&lt;/em&gt;.&lt;/p&gt;</description></item>
            <item><title>No guid</title><link>https://news.example.org/2026/other#top</link></item>
            <item><title>No link</title><guid>x</guid></item>
        </channel></rss>"#;
        let parsed = parse(rss.as_bytes(), &base()).unwrap();
        assert_eq!(parsed.title.as_deref(), Some("Labor & Work"));
        assert_eq!(parsed.entries.len(), 2);
        assert_eq!(parsed.entries[0], Entry { key: "story-1".into(), url: "https://news.example.org/2026/strike".into(), title: "Strike wins".into(), summary: "Workers won.".into() });
        assert_eq!(parsed.entries[1].key, "https://news.example.org/2026/other");
        let long = format!(r#"<rss version="2.0"><channel><title>T</title><item><title>X</title><link>https://x.example.org/1</link><guid>{}</guid></item><item><title>Y</title><link>https://x.example.org/{}</link></item></channel></rss>"#, "g".repeat(5000), "p".repeat(3000));
        let parsed = parse(long.as_bytes(), &base()).unwrap();
        assert_eq!(parsed.entries.len(), 1, "a link too long for a news link is left out");
        assert!(parsed.entries[0].key.starts_with("sha256:") && parsed.entries[0].key.len() == 71);
    }

    #[test]
    fn atom_and_json_feed() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title type="html">A &lt;i&gt;feed&lt;/i&gt;</title><id>urn:x</id><updated>2026-12-01T00:00:00Z</updated>
            <entry><id>urn:uuid:1</id><title>One</title><updated>2026-12-01T00:00:00Z</updated><link rel="alternate" href="stories/1"/><summary>S</summary></entry></feed>"#;
        let parsed = parse(atom.as_bytes(), &base()).unwrap();
        assert_eq!(parsed.title.as_deref(), Some("A feed"));
        assert_eq!(parsed.entries[0].url, "https://news.example.org/feeds/stories/1");
        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"7","url":"https://example.org/7","title":"Seven","content_text":"Text"}]}"#;
        let parsed = parse(json.as_bytes(), &base()).unwrap();
        assert_eq!(parsed.entries[0], Entry { key: "7".into(), url: "https://example.org/7".into(), title: "Seven".into(), summary: "Text".into() });
        assert!(parse(b"<html><body>hello</body></html>", &base()).is_err());
        assert!(parse(b"<rss><channel><item>", &base()).is_err());
    }

    #[test]
    fn pages_advertise_feeds() {
        let html = r#"<html><head><link rel="stylesheet" href="/s.css"><LINK REL="alternate" TYPE="application/rss+xml" HREF="/feed.xml?a=1&amp;b=2">
            <link type='application/atom+xml' rel='alternate' href='https://news.example.org/atom'/><link rel=alternate type=application/feed+json href=/feed.json></head></html>"#;
        assert_eq!(advertised(html, &base()), vec!["https://news.example.org/feed.xml?a=1&b=2", "https://news.example.org/atom", "https://news.example.org/feed.json"]);
    }
}

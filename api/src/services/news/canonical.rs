//! Canonical story URLs: the one form of a link that tells two mentions of a story apart from
//! two stories, whatever feed, campaign or click carried it.

use url::Url;

/// Query parameters that track a click rather than name a page.
const TRACKING: &[&str] = &[
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid", "mc_cid", "mc_eid", "_hsenc", "_hsmi",
    "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "rb_clickid", "s_cid", "ncid", "cmpid", "ito", "spm",
];

fn is_tracking(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("utm_") || TRACKING.contains(&name.as_str())
}

/// The canonical form of `link` (resolved against `base` when relative): lower-case scheme and
/// host, no default port, no credentials, no fragment, no tracking parameters, the remaining
/// parameters sorted. `None` for anything but an http(s) URL.
pub fn canonical(link: &str, base: Option<&Url>) -> Option<String> {
    let link = link.trim();
    if link.is_empty() {
        return None;
    }
    let mut url = match base {
        Some(base) => base.join(link).ok()?,
        None => Url::parse(link).ok()?,
    };
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return None;
    }
    url.set_fragment(None);
    url.set_username("").ok()?;
    url.set_password(None).ok()?;
    let mut pairs: Vec<(String, String)> = url.query_pairs().filter(|(name, _)| !is_tracking(name)).map(|(n, v)| (n.into_owned(), v.into_owned())).collect();
    pairs.sort();
    if pairs.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    Some(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_story_one_url() {
        let same = [
            "https://News.Example.org:443/2026/strike?utm_source=x&b=2&a=1#comments",
            "HTTPS://news.example.org/2026/strike?a=1&b=2&fbclid=abc&mc_cid=1&mc_eid=2",
            "https://user:pw@news.example.org/2026/strike?gclid=z&b=2&a=1&UTM_MEDIUM=email",
        ];
        for link in same {
            assert_eq!(canonical(link, None).as_deref(), Some("https://news.example.org/2026/strike?a=1&b=2"), "{link}");
        }
        assert_eq!(canonical("http://example.org:80/a?utm_campaign=c", None).as_deref(), Some("http://example.org/a"));
        assert_eq!(canonical("http://example.org:8080/a", None).as_deref(), Some("http://example.org:8080/a"));
        let base = Url::parse("https://example.org/feeds/all.xml").unwrap();
        assert_eq!(canonical("../stories/1?ref=home", Some(&base)).as_deref(), Some("https://example.org/stories/1?ref=home"));
        assert_eq!(canonical("/stories/2", Some(&base)).as_deref(), Some("https://example.org/stories/2"));
        for refused in ["javascript:alert(1)", "mailto:a@example.org", "ftp://example.org/x", "not a url", ""] {
            assert_eq!(canonical(refused, None), None, "{refused}");
        }
    }
}

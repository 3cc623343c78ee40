//! Outbound HTTP: the one guarded client every request to a URL someone configured goes
//! through (webhook deliveries, news sources). Only http(s); every address a name resolves to
//! is checked before connecting, on every redirect hop too, so loopback, private, link-local,
//! CGNAT, multicast and other reserved ranges are out of reach unless `outbound_allow_private`;
//! time, redirects and the body read are bounded.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::HeaderMap;
use url::{Host, Url};

/// Why an outbound request was not made or did not finish.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    /// The URL is not one the server may call.
    #[error("{0}")]
    Refused(String),
    /// Connecting, sending or reading failed (or took too long).
    #[error("{0}")]
    Failed(String),
}

/// What an endpoint answered.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    /// The body, up to the read limit.
    pub body: Vec<u8>,
    /// Whether the body was cut at the read limit.
    pub truncated: bool,
    pub elapsed: Duration,
}

/// Whether an address is on the public internet: not loopback, private, link-local, CGNAT,
/// multicast, documentation, benchmarking, reserved or unspecified.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (s[0] == 0x64 && s[1] == 0xff9b) // NAT64 64:ff9b::/96 and /48
                || (s[0] == 0x100 && s[1] == 0 && s[2] == 0 && s[3] == 0) // discard 100::/64
                || (s[0] == 0x2001 && s[1] < 0x200) // IETF protocol assignments 2001::/23
                || (s[0] == 0x2001 && s[1] == 0xdb8) // documentation
                || s[0] == 0x2002 // 6to4 embeds an IPv4 address of any kind
                || v6 == Ipv6Addr::from(1u128)) // also loopback, for clarity
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0 // "this network"
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64/10
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && c == 0) // IETF 192.0.0/24
        || (a == 192 && b == 0 && c == 2) // TEST-NET-1
        || (a == 192 && b == 88 && c == 99) // 6to4 relay
        || (a == 192 && b == 168)
        || (a == 198 && (b == 18 || b == 19)) // benchmarking 198.18/15
        || (a == 198 && b == 51 && c == 100) // TEST-NET-2
        || (a == 203 && b == 0 && c == 113) // TEST-NET-3
        || a >= 224) // multicast 224/4, reserved 240/4, broadcast
}

/// Refuses URLs the server must not call: other schemes, credentials in the URL, and hosts
/// given as an address that is not public (names are checked when they are resolved).
pub fn check_url(url: &Url, allow_private: bool) -> Result<(), OutboundError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(OutboundError::Refused("only http and https URLs can be called".into()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(OutboundError::Refused("the URL must not carry a user name or password".into()));
    }
    let ip = match url.host() {
        None => return Err(OutboundError::Refused("the URL has no host".into())),
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if !allow_private && (name == "localhost" || name.ends_with(".localhost")) {
                return Err(OutboundError::Refused("the URL points at this machine".into()));
            }
            return Ok(());
        }
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
    };
    if allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(OutboundError::Refused(format!("{ip} is not a public address")))
    }
}

/// Resolves names and keeps only the addresses the client may connect to, so the address
/// checked is the address used (no rebinding between a check and the connect).
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found.iter().copied().filter(|a| allow_private || is_public(a.ip())).collect();
            if allowed.is_empty() {
                let reason = if found.is_empty() { format!("{host} has no address") } else { format!("{host} resolves to no public address") };
                return Err(reason.into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// The guarded client.
#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    allow_private: bool,
    max_body: usize,
}

/// Limits of one kind of outbound request.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    /// Redirects followed (0: a 3xx is the answer).
    pub redirects: usize,
    /// Bytes of the body read; the rest is dropped.
    pub max_body: usize,
}

impl Outbound {
    /// A client with these limits; `allow_private` lets it reach local and private addresses.
    pub fn new(allow_private: bool, limits: Limits) -> anyhow::Result<Outbound> {
        let max_redirects = limits.redirects;
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > max_redirects {
                attempt.error("too many redirects")
            } else if let Err(refused) = check_url(attempt.url(), allow_private) {
                attempt.error(refused.to_string())
            } else {
                attempt.follow()
            }
        });
        let redirects = if max_redirects == 0 { reqwest::redirect::Policy::none() } else { redirects };
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver { allow_private }))
            .redirect(redirects)
            .timeout(limits.timeout)
            .connect_timeout(limits.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("OrganizingUpgrade/", env!("CARGO_PKG_VERSION")))
            .no_proxy()
            // No connection outlives its request: the client is shared by the jobs and the
            // handlers of every worker, each worker on its own runtime, and a kept connection
            // lives on the runtime that opened it. A worker that stops first (an idle one, at a
            // graceful shutdown) would take it along, failing another worker's request in flight.
            .pool_max_idle_per_host(0)
            .build()?;
        Ok(Outbound { client, allow_private, max_body: limits.max_body })
    }

    /// Sends a request built on the client; the URL is checked first.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer, OutboundError> {
        let request = request.build().map_err(|e| OutboundError::Refused(e.to_string()))?;
        check_url(request.url(), self.allow_private)?;
        let started = Instant::now();
        let mut response = self.client.execute(request).await.map_err(|e| OutboundError::Failed(describe(&e)))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        let mut truncated = false;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = self.max_body - body.len();
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if chunk.len() > room {
                        truncated = true;
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => return Err(OutboundError::Failed(describe(&e))),
            }
        }
        Ok(Answer { status, headers, body, truncated, elapsed: started.elapsed() })
    }

    /// Whether the client may reach loopback and private addresses.
    pub fn allows_private(&self) -> bool {
        self.allow_private
    }

    /// A POST to `url`, to complete and [`send`](Self::send).
    pub fn post(&self, url: &str) -> reqwest::RequestBuilder {
        self.client.post(url)
    }

    /// A GET of `url`, to complete and [`send`](Self::send).
    pub fn get(&self, url: &str) -> reqwest::RequestBuilder {
        self.client.get(url)
    }
}

/// The error and its causes in one line (reqwest's own message names only the outer layer).
fn describe(error: &reqwest::Error) -> String {
    let mut text = if error.is_timeout() { "timed out".to_owned() } else { error.to_string() };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_ranges_are_not_public() {
        for ip in ["127.0.0.1", "10.1.2.3", "172.20.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "240.0.0.1", "198.18.0.1", "::1", "::", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "64:ff9b::7f00:1", "ff02::1"] {
            assert!(!is_public(ip.parse().unwrap()), "{ip} must not be public");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip} is public");
        }
    }

    #[test]
    fn urls_are_checked_before_any_request() {
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(check_url(&url("https://example.org/hook"), false).is_ok());
        assert!(check_url(&url("ftp://example.org/"), false).is_err());
        assert!(check_url(&url("http://127.0.0.1:8080/"), false).is_err());
        assert!(check_url(&url("http://[::1]/"), false).is_err());
        assert!(check_url(&url("http://localhost/"), false).is_err());
        assert!(check_url(&url("http://user:pw@example.org/"), false).is_err());
        assert!(check_url(&url("http://127.0.0.1:8080/"), true).is_ok());
    }
}

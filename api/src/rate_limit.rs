//! Rate limits per route class, per client address and per credential: one set of limiters per
//! process, shared by all its workers (so a node's limits are the configured ones, and several
//! nodes each keep their own). Built on governor's GCRA: a class allows its rate per minute, in
//! bursts of up to a quarter of it.
//!
//! Answers carry `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers); a
//! refused request gets `429`, `Retry-After` and the same headers, and reaches no handler.

use std::num::NonZeroU32;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::error::AppError;
use crate::settings::Settings;
use crate::state::AppState;

/// What a request is, for its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// GET/HEAD without credentials.
    AnonymousRead,
    /// GET/HEAD with a token or an API key.
    AuthenticatedRead,
    /// Every other method (logins and GraphQL aside).
    Write,
    /// `POST /api/v1/auth/login`.
    Login,
    /// `/graphql`, charged by the cost of each query (each request at least 1).
    GraphQl,
}

impl Class {
    /// The name the headers use.
    fn name(self) -> &'static str {
        match self {
            Class::AnonymousRead => "anonymous-reads",
            Class::AuthenticatedRead => "authenticated-reads",
            Class::Write => "writes",
            Class::Login => "logins",
            Class::GraphQl => "graphql-cost",
        }
    }
}

/// Seconds over which a burst refills: a quarter minute.
const WINDOW_SECONDS: u32 = 15;

/// One class's limiter.
struct Limiter {
    class: Class,
    burst: u32,
    keyed: DefaultKeyedRateLimiter<String, StateInformationMiddleware>,
}

/// The limits of this process.
pub struct RateLimits {
    limiters: Vec<Limiter>,
    clock: DefaultClock,
}

/// What a limiter said.
#[derive(Debug, Clone, Copy)]
pub enum Decision {
    /// Allowed, with what is left of the burst.
    Allowed { class: Class, burst: u32, remaining: u32 },
    /// Refused: retry after this many seconds.
    Refused { class: Class, burst: u32, retry_after: u64 },
}

impl RateLimits {
    /// The limits `settings` configure (a rate of 0 turns its class off).
    pub fn new(settings: &Settings) -> RateLimits {
        let configured = [
            (Class::AnonymousRead, settings.rate_limit_anonymous_reads_per_minute),
            (Class::AuthenticatedRead, settings.rate_limit_authenticated_reads_per_minute),
            (Class::Write, settings.rate_limit_writes_per_minute),
            (Class::Login, settings.rate_limit_logins_per_minute),
            (Class::GraphQl, settings.rate_limit_graphql_cost_per_minute),
        ];
        let limiters = configured
            .into_iter()
            .filter_map(|(class, per_minute)| {
                let rate = NonZeroU32::new(per_minute)?;
                let burst = NonZeroU32::new(per_minute.div_ceil(60 / WINDOW_SECONDS)).unwrap_or(NonZeroU32::MIN);
                let quota = Quota::per_minute(rate).allow_burst(burst);
                Some(Limiter { class, burst: burst.get(), keyed: DefaultKeyedRateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>() })
            })
            .collect();
        RateLimits { limiters, clock: DefaultClock::default() }
    }

    /// Charges `cost` to every key of a request of `class`; the tightest answer wins, and a refusal
    /// by one key charges none of the later ones.
    pub fn charge(&self, class: Class, keys: &[String], cost: u32) -> Option<Decision> {
        let limiter = self.limiters.iter().find(|l| l.class == class)?;
        let cost = NonZeroU32::new(cost.min(limiter.burst)).unwrap_or(NonZeroU32::MIN);
        let mut tightest: Option<Decision> = None;
        for key in keys {
            match limiter.keyed.check_key_n(key, cost) {
                Ok(Ok(state)) => {
                    let remaining = state.remaining_burst_capacity();
                    if !matches!(tightest, Some(Decision::Allowed { remaining: r, .. }) if r <= remaining) {
                        tightest = Some(Decision::Allowed { class, burst: limiter.burst, remaining });
                    }
                }
                Ok(Err(not_until)) => {
                    let wait = not_until.wait_time_from(self.clock.now());
                    return Some(Decision::Refused { class, burst: limiter.burst, retry_after: wait.as_secs() + u64::from(wait.subsec_nanos() > 0) });
                }
                // A cost above the burst was capped to it above, so this cannot be reached.
                Err(_) => return Some(Decision::Refused { class, burst: limiter.burst, retry_after: u64::from(WINDOW_SECONDS) }),
            }
        }
        tightest
    }

    /// Forgets keys whose buckets are full again, so memory follows the clients of the last
    /// quarter minute rather than every client ever seen.
    pub fn forget_idle(&self) {
        for limiter in &self.limiters {
            limiter.keyed.retain_recent();
            limiter.keyed.shrink_to_fit();
        }
    }
}

impl Decision {
    /// `RateLimit-Policy` and `RateLimit`, as the draft spells them.
    fn headers(&self) -> [(HeaderName, String); 2] {
        let (class, burst, remaining, reset) = match *self {
            Decision::Allowed { class, burst, remaining } => {
                let used = u64::from(burst - remaining.min(burst));
                (class, burst, remaining, (used * u64::from(WINDOW_SECONDS)).div_ceil(u64::from(burst.max(1))))
            }
            Decision::Refused { class, burst, retry_after } => (class, burst, 0, retry_after),
        };
        [
            (HeaderName::from_static("ratelimit-policy"), format!("\"{}\";q={burst};w={WINDOW_SECONDS}", class.name())),
            (HeaderName::from_static("ratelimit"), format!("\"{}\";r={remaining};t={reset}", class.name())),
        ]
    }

    /// The refusal as an error, when it is one.
    pub fn refusal(&self) -> Option<AppError> {
        match *self {
            Decision::Refused { retry_after, .. } => Some(AppError::TooManyRequests { retry_after }),
            Decision::Allowed { .. } => None,
        }
    }

    /// Adds the headers to a response.
    pub fn annotate(&self, headers: &mut actix_web::http::header::HeaderMap) {
        for (name, value) in self.headers() {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
    }
}

/// The keys a request is counted under: its client address, and its credential when it has one
/// (a digest of the header, so an unchecked credential costs nothing to key and is never kept).
#[derive(Debug, Clone)]
pub struct RateKeys(pub Vec<String>);

impl RateKeys {
    fn of(req: &ServiceRequest) -> (RateKeys, bool) {
        let address = crate::auth::principal::client_address(req.request());
        let mut keys = vec![format!("ip:{address}")];
        let credential = [actix_web::http::header::AUTHORIZATION.as_str(), "x-api-key"]
            .iter()
            .find_map(|name| req.headers().get(*name))
            .map(|value| xxhash_rust::xxh3::xxh3_128(value.as_bytes()));
        if let Some(digest) = credential {
            keys.push(format!("credential:{digest:032x}"));
        }
        (RateKeys(keys), credential.is_some())
    }
}

/// Paths that are never limited: load balancers and scrapers poll them.
const UNLIMITED: &[&str] = &["/healthz", "/readyz", "/metrics"];

/// The middleware: classifies the request, charges its keys, refuses with 429 or passes it on
/// with the headers. GraphQL requests also get their keys, for the query's cost.
pub async fn limit_requests(req: ServiceRequest, next: Next<impl MessageBody>) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    };
    let path = req.path();
    if UNLIMITED.contains(&path) || req.method() == actix_web::http::Method::OPTIONS {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    }
    let (keys, authenticated) = RateKeys::of(&req);
    let reads = matches!(*req.method(), actix_web::http::Method::GET | actix_web::http::Method::HEAD);
    let class = if path == "/graphql" {
        Class::GraphQl
    } else if path == "/api/v1/auth/login" {
        Class::Login
    } else if !reads {
        Class::Write
    } else if authenticated {
        Class::AuthenticatedRead
    } else {
        Class::AnonymousRead
    };
    // Logins are counted per address only: the credential is what is being guessed.
    let counted = if class == Class::Login { &keys.0[..1] } else { &keys.0[..] };
    let decision = state.rate_limits.charge(class, counted, 1);
    if let Some(refused) = decision.as_ref().and_then(Decision::refusal) {
        let mut response = actix_web::ResponseError::error_response(&refused);
        if let Some(decision) = &decision {
            decision.annotate(response.headers_mut());
        }
        return Ok(req.into_response(response).map_into_right_body());
    }
    if class == Class::GraphQl {
        req.extensions_mut().insert(keys);
    }
    let mut response = next.call(req).await?;
    if let Some(decision) = decision {
        // A GraphQL answer that was refused for its cost carries its own headers already.
        if !response.headers().contains_key("ratelimit") {
            decision.annotate(response.headers_mut());
        }
    }
    Ok(response.map_into_left_body())
}

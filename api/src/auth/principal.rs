//! Who is calling: the `Caller` extractor resolves a request's credentials into a principal once
//! per request, and `client_info` says where the request came from (for sessions). Both
//! adapters take them from here.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use uuid::Uuid;

use crate::error::AppError;
use crate::policy::Principal;
use crate::services::sessions::{self, ClientInfo};
use crate::state::AppState;

/// Who is calling: anonymous without credentials; a 401 for credentials that are not valid.
#[derive(Clone)]
pub struct Caller {
    /// The principal the policy decides for.
    pub principal: Principal,
    /// The session family of the access token, when a user token was presented.
    pub family: Option<Uuid>,
}

/// `Authorization: Bearer …` or `X-Api-Key: …`.
fn credential(req: &HttpRequest) -> Result<Option<String>, AppError> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let value = value.to_str().map_err(|_| AppError::Unauthenticated)?;
        let (scheme, token) = value.trim().split_once(' ').ok_or(AppError::Unauthenticated)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AppError::Unauthenticated);
        }
        return Ok(Some(token.trim().to_owned()));
    }
    match req.headers().get("x-api-key") {
        Some(value) => Ok(Some(value.to_str().map_err(|_| AppError::Unauthenticated)?.to_owned())),
        None => Ok(None),
    }
}

impl FromRequest for Caller {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Caller, AppError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        // The response cache may have resolved the caller already.
        if let Some(caller) = req.extensions().get::<Caller>().cloned() {
            return Box::pin(async move { Ok(caller) });
        }
        Box::pin(Caller::resolve(req))
    }
}

impl Caller {
    /// Resolves the request's credentials (a database read for keys and sessions).
    pub fn resolve(req: &HttpRequest) -> impl Future<Output = Result<Caller, AppError>> + 'static {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let credential = credential(req);
        async move {
            let state = state.ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?;
            let credential = credential?;
            let authenticated = sessions::authenticate(&state.db, &state.keys, credential.as_deref()).await?;
            Ok(Caller { principal: authenticated.principal, family: authenticated.family })
        }
    }

    /// The signed-in user's id and session family, or a 401.
    pub fn session(&self) -> Result<(Uuid, Uuid), AppError> {
        match (self.principal.user(), self.family) {
            (Some(user), Some(family)) => Ok((user.id, family)),
            _ => Err(AppError::Unauthenticated),
        }
    }
}

/// The client's address: the connection's peer, or the last `X-Forwarded-For` entry (the one
/// the proxy in front added) when `trust_forwarded_for` is set.
pub fn client_address(req: &HttpRequest) -> String {
    let trusted = req.app_data::<actix_web::web::Data<crate::state::AppState>>().is_some_and(|s| s.settings.trust_forwarded_for);
    let forwarded = trusted
        .then(|| req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok()))
        .flatten()
        .and_then(|list| list.rsplit(',').map(str::trim).find(|a| !a.is_empty()))
        .and_then(|a| a.parse::<std::net::IpAddr>().ok());
    forwarded.or_else(|| req.peer_addr().map(|a| a.ip())).map(|a| a.to_string()).unwrap_or_default()
}

/// The client's address and user agent, recorded with the sessions it opens.
pub fn client_info(req: &HttpRequest) -> ClientInfo {
    ClientInfo {
        ip: client_address(req),
        user_agent: req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned),
    }
}

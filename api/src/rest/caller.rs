//! The `Caller` extractor: who is making the request, as the policy sees them.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use crate::error::AppError;
use crate::policy::Principal;

/// The authenticated principal of a request (anonymous until credentials are presented).
pub struct Caller(pub Principal);

impl FromRequest for Caller {
    type Error = AppError;
    type Future = Ready<Result<Caller, AppError>>;

    fn from_request(_req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(Ok(Caller(Principal::Anonymous)))
    }
}

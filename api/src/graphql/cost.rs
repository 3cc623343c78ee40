//! Charges each query's cost (its complexity, as validation computes it) to the caller's GraphQL
//! rate limit before anything runs; a refused query gets `TOO_MANY_REQUESTS` and an HTTP 429.

use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{ServerError, ValidationResult};

use crate::graphql::errors::ToGraphql;
use crate::rate_limit::{Class, Decision, RateKeys, RateLimits};

/// What the limiter said about this request's query, for the HTTP answer's headers.
#[derive(Clone, Default)]
pub struct Charged(Arc<Mutex<Option<Decision>>>);

impl Charged {
    /// The decision, once validation has run.
    pub fn decision(&self) -> Option<Decision> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The extension factory registered on both schemas.
pub struct CostLimit;

impl ExtensionFactory for CostLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CostLimit)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for CostLimit {
    async fn validation(&self, ctx: &ExtensionContext<'_>, next: NextValidation<'_>) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let (Some(limits), Some(keys), Some(charged)) = (ctx.data_opt::<Arc<RateLimits>>(), ctx.data_opt::<RateKeys>(), ctx.data_opt::<Charged>()) else {
            return Ok(result);
        };
        let cost = u32::try_from(result.complexity).unwrap_or(u32::MAX).max(1);
        let decision = limits.charge(Class::GraphQl, &keys.0, cost);
        *charged.0.lock().unwrap_or_else(PoisonError::into_inner) = decision;
        match decision.as_ref().and_then(Decision::refusal) {
            Some(refused) => Err(vec![refused.to_graphql().into_server_error(async_graphql::Pos::default())]),
            None => Ok(result),
        }
    }
}

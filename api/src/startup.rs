//! Start-up: open the database, migrate, build the app, bind the server. Used by `main` and tests alike.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Instant;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::ErrorHandlers;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use tracing_actix_web::TracingLogger;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::throttle::LoginThrottle;
use crate::auth::tokens::TokenKeys;
use crate::db::{DbStats, connect};
use crate::services::{roles, users};
use crate::rest::{self, system};
use crate::settings::Settings;
use crate::state::AppState;

/// Opens the configured database and applies pending migrations.
pub async fn open_database(settings: &Settings) -> anyhow::Result<(sea_orm::DatabaseConnection, Arc<DbStats>)> {
    let stats = Arc::new(DbStats::default());
    let db = connect(&settings.effective_database_url(), stats.clone()).await?;
    migration::apply(&db).await.context("applying migrations failed")?;
    let indexed = crate::services::search::index::store_missing(&db).await.context("indexing content for search failed")?;
    if indexed > 0 {
        tracing::info!(indexed, "search documents written for content that had none");
    }
    Ok((db, stats))
}

fn cors(settings: &Settings) -> Cors {
    let origins = settings.cors_origin_list();
    let mut cors = if origins.is_empty() {
        Cors::default().allow_any_origin().send_wildcard()
    } else {
        origins.iter().fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
    };
    cors = cors
        .allowed_methods([Method::GET, Method::HEAD, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::OPTIONS])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::RANGE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("x-api-key"),
        ])
        .expose_headers([
            header::HeaderName::from_static("x-total-count"),
            header::CONTENT_RANGE,
            header::LINK,
            header::ETAG,
            header::LOCATION,
        ])
        .max_age(3600);
    cors
}

/// The whole HTTP application: routes, middleware and error handling.
pub fn build_app(
    state: AppState,
    schemas: crate::graphql::Schemas,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let settings = state.settings.clone();
    App::new()
        .app_data(web::Data::new(state))
        .app_data(web::PayloadConfig::new(settings.max_body_bytes))
        .wrap(actix_web::middleware::from_fn(crate::response_cache::serve))
        .wrap(actix_web::middleware::from_fn(crate::rate_limit::limit_requests))
        .wrap(actix_web::middleware::from_fn(rest::refuse_nul))
        .wrap(cors(&settings))
        .wrap(ErrorHandlers::new().default_handler(rest::problem_for_bare_errors))
        .wrap(TracingLogger::default())
        .wrap(actix_web::middleware::from_fn(crate::metrics::record_requests))
        .service(rest::read_only("/healthz", system::healthz))
        .service(rest::read_only("/readyz", system::readyz))
        .service(rest::read_only("/metrics", system::metrics))
        .route("/docs", web::get().to(system::docs_redirect))
        .service(rest::read_only("/openapi.json", system::openapi))
        .service(SwaggerUi::new("/docs/{_:.*}").config(utoipa_swagger_ui::Config::from("/openapi.json")))
        .configure(rest::configure)
        .configure(rest::feeds::configure)
        .configure(|cfg| crate::graphql::configure(cfg, schemas))
        .default_service(web::to(system::not_found))
}

/// The access-token secret: the configured one, or one generated once and kept in `data_dir`.
fn jwt_secret(settings: &Settings) -> anyhow::Result<Vec<u8>> {
    if !settings.jwt_secret.is_empty() {
        return Ok(settings.jwt_secret.as_bytes().to_vec());
    }
    let path = settings.data_dir.join("jwt_secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        if existing.len() >= 32 {
            return Ok(existing.as_bytes().to_vec());
        }
    }
    if !settings.database_url.is_empty() && !settings.database_url.starts_with("sqlite:") {
        tracing::warn!("OU_JWT_SECRET is not set: a secret is generated for this node only; several nodes need one shared secret");
    }
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("cannot create {}", settings.data_dir.display()))?;
    let secret = crate::auth::secrets::random_token(48)?;
    write_private(&path, &secret).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(secret.into_bytes())
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    file.write_all(content.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, content)
}

/// A bound, migrated server ready to run.
pub struct Application {
    server: Server,
    addr: SocketAddr,
    state: AppState,
    jobs: crate::jobs::Jobs,
    generated_admin_password: Option<String>,
}

/// How long a stopping server waits for requests in flight, and then for job rounds.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

impl Application {
    /// Opens the database, migrates it and binds the listener (port 0 picks a free port).
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let (db, db_stats) = open_database(&settings).await?;
        roles::ensure_defaults(&db).await.context("seeding the default roles failed")?;
        let generated_admin_password = users::bootstrap_admin(&db, &settings.admin_email, &settings.admin_password)
            .await
            .context("creating the first admin failed")?;
        let keys = TokenKeys::new(
            &jwt_secret(&settings)?,
            &settings.jwt_issuer,
            &settings.jwt_audience,
            chrono::Duration::seconds(i64::from(settings.access_token_seconds)),
        );
        let throttle = Arc::new(LoginThrottle::new(settings.login_attempts_per_minute));
        crate::metrics::handle();
        crate::metrics::start_upkeep();
        let jobs = crate::jobs::Jobs::default();
        if settings.scheduler_interval_seconds > 0 {
            crate::jobs::scheduler::spawn(&jobs, db.clone(), std::time::Duration::from_secs(u64::from(settings.scheduler_interval_seconds)));
        }
        if settings.webhook_interval_seconds > 0 {
            let deliverer = crate::jobs::webhooks::Deliverer {
                db: db.clone(),
                outbound: crate::outbound::Outbound::new(settings.outbound_allow_private, crate::jobs::webhooks::DELIVERY_LIMITS)?,
                policy: crate::services::webhooks::delivery::RetryPolicy { schedule: settings.retry_schedule()?, failure_limit: settings.webhook_failure_limit },
            };
            crate::jobs::webhooks::spawn(&jobs, deliverer, std::time::Duration::from_secs(u64::from(settings.webhook_interval_seconds)));
        }
        crate::jobs::retention::spawn(&jobs, db.clone(), settings.change_log_retention_days);
        // Built once; the GraphQL adapter holds them, the shared state knows nothing of GraphQL.
        let schemas = crate::graphql::build_schemas(settings.graphql_introspection);
        let news = crate::services::news::poll::Poller {
            db: db.clone(),
            outbound: crate::outbound::Outbound::new(settings.outbound_allow_private, crate::services::news::poll::limits(settings.news_fetch_timeout_seconds))?,
            timeout: std::time::Duration::from_secs(u64::from(settings.news_fetch_timeout_seconds)),
            failure_limit: settings.news_failure_limit,
        };
        if settings.news_poll_interval_seconds > 0 {
            crate::jobs::news::spawn(&jobs, news.clone(), std::time::Duration::from_secs(u64::from(settings.news_poll_interval_seconds)));
        }
        let rate_limits = Arc::new(crate::rate_limit::RateLimits::new(&settings));
        let forgetting = rate_limits.clone();
        jobs.every("rate_limit_cleanup", std::time::Duration::from_secs(60), std::time::Duration::from_secs(60), move || {
            let limits = forgetting.clone();
            async move {
                limits.forget_idle();
                Ok::<usize, std::convert::Infallible>(0)
            }
        });
        let response_cache = Arc::new(crate::response_cache::ResponseCache::new(settings.response_cache_bytes));
        let positions = Arc::new(crate::services::positions::PositionReads::default());
        let counts = Arc::new(crate::services::counts::CountCache::new(db.clone(), positions.clone()));
        let state = AppState {
            db,
            settings: Arc::new(settings),
            keys,
            throttle,
            rate_limits,
            response_cache,
            positions,
            counts,
            db_stats,
            started_at: Instant::now(),
            news,
        };
        let listener = TcpListener::bind(state.settings.bind_addr()?)
            .with_context(|| format!("cannot listen on {}", state.settings.bind))?;
        let addr = listener.local_addr().context("listener has no address")?;
        let app_state = state.clone();
        let mut server = HttpServer::new(move || build_app(app_state.clone(), schemas.clone()));
        if state.settings.workers > 0 {
            server = server.workers(state.settings.workers);
        }
        let server = server
            .listen(listener)
            .context("cannot start the HTTP server")?
            .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
            .run();
        Ok(Application { server, addr, state, jobs, generated_admin_password })
    }

    /// The first admin's password, when this start created the admin and generated it.
    pub fn generated_admin_password(&self) -> Option<&str> {
        self.generated_admin_password.as_deref()
    }

    /// The address actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared state (database pool, settings, counters).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until shut down. SIGTERM or Ctrl-C stop it gracefully: no new connections,
    /// requests in flight are answered, then the background jobs finish their rounds.
    pub async fn run(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.jobs.stop(SHUTDOWN_GRACE).await;
        served
    }
}

//! Database connection: the embedded SQLite file or PostgreSQL, with statement counting.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
use sea_orm::sqlx::{ConnectOptions, Connection};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, SqlxPostgresConnector, SqlxSqliteConnector};

/// Counts SQL statements executed, exported on `/metrics`.
#[derive(Debug, Default)]
pub struct DbStats {
    statements: AtomicU64,
    failed: AtomicU64,
    /// Statements `/metrics` ran to read its own figures, left out of the count so that a
    /// scrape does not change what it reports.
    scrapes: AtomicU64,
}

impl DbStats {
    /// Statements executed since start for anything but `/metrics` itself.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed).saturating_sub(self.scrapes.load(Ordering::Relaxed))
    }

    /// Runs `read` (a scrape's own queries) without counting its statements (nor those other
    /// requests run in the same moment: a scrape is brief, and exactness matters when it is alone).
    pub async fn uncounted<T>(&self, read: impl std::future::Future<Output = T>) -> T {
        let before = self.statements.load(Ordering::Relaxed);
        let value = read.await;
        let ran = self.statements.load(Ordering::Relaxed).saturating_sub(before);
        self.scrapes.fetch_add(ran, Ordering::Relaxed);
        value
    }

    /// Statements that returned an error since start.
    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }
}

/// How long a PostgreSQL connection may have waited in the pool before it is pinged on use.
const PING_AFTER_IDLE: Duration = Duration::from_secs(5);

/// Opens a pool for `url` (creating the SQLite file and its directory when needed).
pub async fn connect(url: &str, stats: Arc<DbStats>) -> anyhow::Result<DatabaseConnection> {
    let mut conn = if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)
            .with_context(|| format!("invalid SQLite URL {url}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        if let Some(dir) = options.get_filename().parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create database directory {}", dir.display()))?;
            }
        }
        // Fewer connections save memory but cost CPU: requests queueing for a connection (four
        // on two cores) made a list cost half as much again.
        // A connection to a file cannot have been dropped by a server, so the pool does not ping
        // it before each use: every ping is a round trip to the connection's worker thread, and
        // reads outside a transaction take a connection per statement.
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .with_context(|| format!("cannot open SQLite database {url}"))?;
        SqlxSqliteConnector::from_sqlx_sqlite_pool(pool)
    } else {
        let mut options = PgConnectOptions::from_str(url).context("invalid PostgreSQL URL")?;
        if on_this_machine(&options) && !names_ssl_mode(url) {
            options = options.ssl_mode(PgSslMode::Disable);
        }
        // One direct connection first: the pool would only report a timeout, not why.
        options.connect().await.context("cannot connect to PostgreSQL")?.close().await.ok();
        // A connection is pinged before use only when it has waited a while (a server restart
        // or a dropped link shows there): under load a request takes a connection released
        // moments ago, and a ping per statement would be a round trip per statement.
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_AFTER_IDLE {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(options)
            .await
            .context("cannot open a PostgreSQL connection pool")?;
        SqlxPostgresConnector::from_sqlx_postgres_pool(pool)
    };
    conn.set_metric_callback(move |info| {
        crate::metrics::statement(info.elapsed, info.failed);
        stats.statements.fetch_add(1, Ordering::Relaxed);
        if info.failed {
            stats.failed.fetch_add(1, Ordering::Relaxed);
        }
    });
    Ok(conn)
}

/// Whether the PostgreSQL server is reached over loopback (or a local socket), where TLS protects
/// nothing and its handshake is most of the cost of opening a connection (a few hundred
/// milliseconds at start).
fn on_this_machine(options: &PgConnectOptions) -> bool {
    let host = options.get_host();
    let address = host.trim_start_matches('[').trim_end_matches(']');
    host.starts_with('/') || host == "localhost" || address.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether the operator chose a TLS mode, in the URL or in libpq's `PGSSLMODE`.
fn names_ssl_mode(url: &str) -> bool {
    url_names_ssl_mode(url) || std::env::var_os("PGSSLMODE").is_some()
}

fn url_names_ssl_mode(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|url| url.query_pairs().any(|(name, _)| name == "sslmode" || name == "ssl-mode"))
}

/// Connections of the pool: (open, idle).
pub fn pool_usage(db: &DatabaseConnection) -> (u32, usize) {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
    }
}

/// Starts a write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`),
/// so concurrent writers queue on the busy timeout instead of failing when a read lock
/// would have to be upgraded.
pub async fn begin_write(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Writes a consistent copy of a live SQLite database to `to` (`VACUUM INTO`: one read
/// transaction, so writers go on meanwhile and the copy is the database as of its start).
/// PostgreSQL has its own tools (`pg_dump`), and the file must not exist yet.
pub async fn backup(db: &DatabaseConnection, to: &std::path::Path) -> anyhow::Result<()> {
    use sea_orm::Statement;
    if db.get_database_backend() != DbBackend::Sqlite {
        anyhow::bail!("`ou backup` copies the embedded SQLite database; back PostgreSQL up with pg_dump (see docs/deployment.md), or move a publication with `ou export`");
    }
    if to.exists() {
        anyhow::bail!("{} exists already; a backup never overwrites a file", to.display());
    }
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let target = to.to_str().with_context(|| format!("{} is not a UTF-8 path", to.display()))?;
    db.execute_raw(Statement::from_sql_and_values(DbBackend::Sqlite, "VACUUM INTO ?", [target.into()]))
        .await
        .with_context(|| format!("cannot write the backup to {}", to.display()))?;
    Ok(())
}

/// The plan the database picks for a statement, one line per step (`EXPLAIN QUERY PLAN` on
/// SQLite, `EXPLAIN` on PostgreSQL).
pub async fn plan(db: &impl ConnectionTrait, mut statement: sea_orm::Statement) -> Result<String, crate::error::AppError> {
    let backend = db.get_database_backend();
    statement.sql = match backend {
        DbBackend::Sqlite => format!("EXPLAIN QUERY PLAN {}", statement.sql),
        _ => format!("EXPLAIN {}", statement.sql),
    };
    let mut lines = Vec::new();
    for row in db.query_all_raw(statement).await? {
        lines.push(match backend {
            DbBackend::Sqlite => row.try_get::<String>("", "detail")?,
            _ => row.try_get::<String>("", "QUERY PLAN")?,
        });
    }
    Ok(lines.join("\n"))
}

/// `base` (a PostgreSQL URL) pointing at `database` instead: for tools that make databases of
/// their own (the tests, the benchmark).
pub fn url_with_database(base: &str, database: &str) -> String {
    let (without_query, query) = match base.split_once('?') {
        Some((u, q)) => (u, Some(q)),
        None => (base, None),
    };
    let scheme_end = without_query.find("://").map_or(0, |i| i + 3);
    let prefix = match without_query[scheme_end..].find('/') {
        Some(slash) => &without_query[..scheme_end + slash],
        None => without_query,
    };
    match query {
        Some(q) => format!("{prefix}/{database}?{q}"),
        None => format!("{prefix}/{database}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(url: &str) -> bool {
        on_this_machine(&PgConnectOptions::from_str(url).unwrap())
    }

    #[test]
    fn tls_is_left_out_only_on_this_machine_and_only_when_no_mode_is_named() {
        assert!(local("postgres://u@127.0.0.1:5432/db") && local("postgres://u@localhost/db") && local("postgres://u@[::1]/db"));
        assert!(local("postgres://u@127.0.0.1/db?host=/var/run/postgresql"));
        assert!(!local("postgres://u@db.example.org/db") && !local("postgres://u@10.0.0.5/db"));
        assert!(url_names_ssl_mode("postgres://u@127.0.0.1/db?sslmode=require"));
        assert!(!url_names_ssl_mode("postgres://u@127.0.0.1/db?application_name=ou"));
    }
}

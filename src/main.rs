//! `ou`: the Organizing Upgrade content API server and its admin commands.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use api::db::{DbStats, connect};
use api::settings::{Settings, SettingsOverrides};
use api::startup::{Application, open_database};
use clap::{Parser, Subcommand};
use migration::{Migrator, MigratorTrait};

#[derive(Parser)]
#[command(name = "ou", version, about = "Organizing Upgrade content API")]
struct Cli {
    /// Configuration file (TOML); `./ou.toml` is read when present.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Listen address (overrides OU_BIND).
    #[arg(long, global = true)]
    bind: Option<String>,
    /// Database URL (overrides OU_DATABASE_URL).
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Data directory for the embedded database (overrides OU_DATA_DIR).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations and serve the API (the default).
    Serve {
        /// Load the demo publication before serving.
        #[arg(long)]
        demo: bool,
    },
    /// Manage the database schema.
    Migrate {
        #[command(subcommand)]
        action: Option<MigrateAction>,
    },
    /// Load the demo publication (idempotent).
    SeedDemo,
    /// Manage user accounts.
    Users {
        #[command(subcommand)]
        action: UsersAction,
    },
    /// Maintain the full-text search index.
    Search {
        #[command(subcommand)]
        action: SearchAction,
    },
    /// Write everything in the database to a dump (JSON lines, versioned) that `ou import` reads
    /// into any database.
    Export {
        /// Where to write the dump (standard output when left out).
        #[arg(long)]
        to: Option<PathBuf>,
        /// Leave out password hashes, API key digests, webhook secrets and sessions.
        #[arg(long)]
        no_secrets: bool,
    },
    /// Read a dump made by `ou export` into the database (all of it or nothing).
    Import {
        /// The dump file (`-` for standard input).
        file: PathBuf,
        /// Delete everything in the database first (otherwise it must be empty).
        #[arg(long)]
        replace: bool,
    },
    /// Copy the live SQLite database into a new file while the server goes on serving.
    Backup {
        /// The file to write; it must not exist.
        #[arg(long)]
        to: PathBuf,
    },
    /// Write the OpenAPI document and the GraphQL schema.
    ExportSchema {
        /// Where to write the OpenAPI document.
        #[arg(long, default_value = "docs/openapi.json")]
        openapi: PathBuf,
        /// Where to write the GraphQL SDL.
        #[arg(long, default_value = "schema.graphql")]
        graphql: PathBuf,
    },
}

#[derive(Subcommand)]
enum UsersAction {
    /// Create an account; the password is read from stdin, or generated and printed.
    Create {
        #[arg(long)]
        email: String,
        /// admin, editor, author, news_collector, or a custom role.
        #[arg(long)]
        role: String,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a password (every session of the account ends).
    SetPassword {
        #[arg(long)]
        email: String,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account (every session ends at once).
    Disable {
        #[arg(long)]
        email: String,
    },
    /// List accounts.
    List,
}

#[derive(Subcommand)]
enum SearchAction {
    /// Rebuild every search document from the content.
    Reindex,
    /// Show the plan the database picks for a search (the index should appear in it).
    Explain {
        /// A search, in the search grammar.
        query: String,
    },
}

#[derive(Subcommand, Clone, Copy)]
enum MigrateAction {
    /// Apply pending migrations (the default).
    Up,
    /// Roll back migrations.
    Down {
        /// How many to roll back.
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether each is applied.
    Status,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let overrides = SettingsOverrides {
        bind: cli.bind.clone(),
        database_url: cli.database_url.clone(),
        data_dir: cli.data_dir.clone(),
    };
    if let Some(path) = cli.config.as_ref().filter(|p| !p.is_file()) {
        eprintln!("error: configuration file {} does not exist", path.display());
        return ExitCode::from(2);
    }
    let config = cli.config.clone().unwrap_or_else(|| PathBuf::from("ou.toml"));
    let settings = match Settings::load(&config, &overrides) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&settings.log)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Option<Command>, settings: Settings) -> anyhow::Result<()> {
    match command.unwrap_or(Command::Serve { demo: false }) {
        Command::Serve { demo } => serve(settings, demo).await,
        Command::Migrate { action } => migrate(settings, action.unwrap_or(MigrateAction::Up)).await,
        Command::SeedDemo => {
            let (db, _) = open_database(&settings).await?;
            let report = api::services::seed::seed_demo(&db).await.context("loading the demo publication failed")?;
            println!("demo publication: {} rows created, {} already present", report.created, report.kept);
            Ok(())
        }
        Command::Users { action } => users(settings, action).await,
        Command::Search { action } => {
            let (db, _) = open_database(&settings).await?;
            match action {
                SearchAction::Reindex => {
                    let indexed = api::services::search::index::rebuild(&db).await.context("rebuilding the search index failed")?;
                    println!("search index rebuilt: {indexed} items");
                }
                SearchAction::Explain { query } => println!("{}", api::services::search::plan(&db, &query).await?),
            }
            Ok(())
        }
        Command::Export { to, no_secrets } => {
            let (db, _) = open_database(&settings).await?;
            let rows = match &to {
                Some(path) => {
                    let file = std::fs::File::create_new(path).with_context(|| format!("cannot create {} (an export never overwrites a file)", path.display()))?;
                    api::services::transfer::export(&db, &mut std::io::BufWriter::new(file), !no_secrets).await?
                }
                None => api::services::transfer::export(&db, &mut std::io::BufWriter::new(std::io::stdout().lock()), !no_secrets).await?,
            };
            if let Some(path) = to {
                println!("exported {rows} rows to {}", path.display());
            }
            Ok(())
        }
        Command::Import { file, replace } => {
            let (db, _) = open_database(&settings).await?;
            let imported = if file.as_os_str() == "-" {
                api::services::transfer::import(&db, std::io::stdin().lock(), replace).await?
            } else {
                let input = std::fs::File::open(&file).with_context(|| format!("cannot open {}", file.display()))?;
                api::services::transfer::import(&db, std::io::BufReader::new(input), replace).await?
            };
            println!(
                "imported {} rows (dump of {}, version {}{})",
                imported.rows,
                imported.header.exported_at.to_rfc3339(),
                imported.header.app_version,
                if imported.header.secrets { "" } else { ", without secrets: accounts need new passwords, API keys new keys" },
            );
            Ok(())
        }
        Command::Backup { to } => {
            let (db, _) = open_database(&settings).await?;
            api::db::backup(&db, &to).await?;
            println!("backed up to {}", to.display());
            Ok(())
        }
        Command::ExportSchema { openapi, graphql } => {
            for (path, content) in [
                (&openapi, format!("{}\n", api::rest::openapi::document_json())),
                (&graphql, api::graphql::sdl()),
            ] {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
                }
                std::fs::write(path, content).with_context(|| format!("cannot write {}", path.display()))?;
                println!("wrote {}", path.display());
            }
            Ok(())
        }
    }
}

/// The password from stdin, or a generated one (printed once by the caller).
fn password_input(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).context("cannot read the password from stdin")?;
        Ok((line.trim_end_matches(['\n', '\r']).to_owned(), false))
    } else {
        Ok((api::auth::secrets::random_token(18)?, true))
    }
}

async fn users(settings: Settings, action: UsersAction) -> anyhow::Result<()> {
    let (db, _) = open_database(&settings).await?;
    api::services::roles::ensure_defaults(&db).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let explain = |e: api::error::AppError| match e {
        api::error::AppError::Validation { errors } => anyhow::anyhow!(
            "{}",
            errors.iter().map(|(field, messages)| format!("{field}: {}", messages.join(", "))).collect::<Vec<_>>().join("; ")
        ),
        other => anyhow::anyhow!("{other}"),
    };
    match action {
        UsersAction::Create { email, role, password_stdin } => {
            let (password, generated) = password_input(password_stdin)?;
            let input = api::services::users::UserInput {
                email: email.clone(),
                password: Some(password.clone()),
                role,
                disabled: false,
                sector_ids: Vec::new(),
                editor_id: None,
            };
            api::services::users::create_account(&db, &input).await.map_err(explain)?;
            println!("created {email}");
            if generated {
                println!("password: {password}");
            }
        }
        UsersAction::SetPassword { email, password_stdin } => {
            let (password, generated) = password_input(password_stdin)?;
            api::services::users::set_password(&db, &email, &password).await.map_err(explain)?;
            println!("password set for {email}");
            if generated {
                println!("password: {password}");
            }
        }
        UsersAction::Disable { email } => {
            api::services::users::disable(&db, &email).await.map_err(explain)?;
            println!("disabled {email}");
        }
        UsersAction::List => {
            for user in api::services::users::all(&db).await.map_err(explain)? {
                println!("{:<40} {:<16} {}", user.email, user.role, if user.disabled { "disabled" } else { "active" });
            }
        }
    }
    Ok(())
}

async fn serve(settings: Settings, demo: bool) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    if let Some(password) = app.generated_admin_password() {
        println!("created the first admin {} with password: {password}", app.state().settings.admin_email);
        println!("(shown once; change it with `ou users set-password --email …`)");
    }
    if demo {
        api::services::seed::seed_demo(&app.state().db).await.context("loading the demo publication failed")?;
    }
    let base = if app.state().settings.public_url.is_empty() {
        format!("http://{}", app.addr())
    } else {
        app.state().settings.public_url.trim_end_matches('/').to_owned()
    };
    println!("Organizing Upgrade content API listening on {}", app.addr());
    println!("  database  {}", redact(&app.state().settings.effective_database_url()));
    println!("  REST      {base}/api/v1/essays");
    println!("  docs      {base}/docs");
    println!("  OpenAPI   {base}/openapi.json");
    app.run().await.context("the server stopped with an error")
}

async fn migrate(settings: Settings, action: MigrateAction) -> anyhow::Result<()> {
    let db = connect(&settings.effective_database_url(), Arc::new(DbStats::default())).await?;
    match action {
        MigrateAction::Up => {
            migration::apply(&db).await.context("applying migrations failed")?;
            println!("migrations applied");
        }
        MigrateAction::Down { steps } => {
            migration::roll_back(&db, steps).await.context("rolling back failed")?;
            println!("rolled back {steps} migration(s)");
        }
        MigrateAction::Status => {
            for m in Migrator::get_migration_with_status(&db).await? {
                println!("{:<10} {}", format!("{:?}", m.status()).to_lowercase(), m.name());
            }
        }
    }
    Ok(())
}

/// Hides a password in a database URL before printing it.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}://{user}:***@{}", &url[..scheme], &url[at + 1..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

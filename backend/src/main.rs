//! The `tocsin` command: parses the command line and starts what it names
//! (for `serve`, with glibc's malloc arenas limited first).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tocsin_server::settings::{LogFormat, Settings};
use tocsin_server::startup::{self, AdminBootstrap, Application};
use tocsin_server::telemetry;

/// Tocsin, a self-hosted notification hub.
///
/// Configuration comes from defaults, then the config file, then TOCSIN_*
/// environment variables (TOCSIN_DATABASE_URL, TOCSIN_BIND, TOCSIN_ADMIN_PASSWORD,
/// TOCSIN_JWT_SECRET, TOCSIN_PUBLIC_URL, …; nested keys joined by `__`, e.g.
/// TOCSIN_AUTH__TOKEN_TTL_MINUTES). See the README for every setting.
#[derive(Parser)]
#[command(name = "tocsin", version)]
struct Cli {
    /// Configuration file (TOML); missing is fine.
    #[arg(long, global = true, env = "TOCSIN_CONFIG", default_value = "tocsin.toml")]
    config: PathBuf,
    /// Log format: human or json (overrides TOCSIN_LOG_FORMAT).
    #[arg(long, global = true, value_parser = ["human", "json"])]
    log_format: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server: apply migrations, create the first admin on an empty
    /// database, then serve the API, its docs (/api/docs) and metrics.
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080 (overrides TOCSIN_BIND).
        #[arg(long)]
        bind: Option<String>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document (JSON) and exit.
    Openapi,
    /// Import another system's directory.
    #[command(subcommand)]
    Import(ImportSource),
}

#[derive(Subcommand)]
enum ImportSource {
    /// Load a RedFlash installation from its `manage.py dumpdata` JSON: contacts and
    /// their endpoints, groups, API users with their keys, events. Existing slugs
    /// and keys are left alone, so running it twice changes nothing.
    Redflash {
        /// The dump file.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Command::Serve { .. }) {
        limit_malloc_arenas();
    }
    run(cli)
}

/// glibc's malloc gives threads that allocate at the same moment arenas of
/// their own, up to eight per core, and memory freed in one arena is not
/// reused by another: a 10,000-recipient fan-out peaked at about 215 MB,
/// against 170 MB with one arena per core (docs/PERFORMANCE.md). The limit is
/// set through the environment, which glibc reads only when a process starts
/// (`mallopt` would need `unsafe`, which this workspace forbids), so the
/// server sets it and starts itself again: same binary (`/proc/self/exe`,
/// even if the file was replaced since), same arguments, same process id. A
/// limit the operator set, in `MALLOC_ARENA_MAX` or `GLIBC_TUNABLES`, is kept.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    use std::os::unix::process::CommandExt;
    const LIMIT: &str = "MALLOC_ARENA_MAX";
    let tuned = std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("glibc.malloc.arena_max"));
    if std::env::var_os(LIMIT).is_some() || tuned {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get().max(2));
    let mut args = std::env::args_os();
    let mut command = std::process::Command::new("/proc/self/exe");
    if let Some(arg0) = args.next() {
        command.arg0(arg0);
    }
    let err = command.args(args).env(LIMIT, cores.to_string()).exec();
    // exec returns only when it failed: run on with glibc's default.
    eprintln!("tocsin: could not restart with {LIMIT}={cores} ({err}); going on without it");
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}

#[tokio::main]
async fn run(cli: Cli) -> ExitCode {
    let mut settings = match Settings::load(&cli.config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tocsin: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(format) = &cli.log_format {
        settings.log_format = if format == "json" { LogFormat::Json } else { LogFormat::Human };
    }
    telemetry::init(settings.log_format);
    let outcome = match cli.command {
        Command::Serve { bind } => {
            if let Some(bind) = bind {
                settings.bind = bind;
            }
            serve(settings).await
        }
        Command::Migrate => startup::migrate(&settings).await.map(|applied| {
            println!("{} migration(s) applied", applied.len());
        }),
        Command::Import(ImportSource::Redflash { file }) => import_redflash(&settings, &file).await,
        Command::Openapi => {
            tocsin_server::http::openapi::document().to_pretty_json().map(|json| println!("{json}")).map_err(Into::into)
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tocsin: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn import_redflash(settings: &Settings, file: &std::path::Path) -> anyhow::Result<()> {
    let dump = std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let (report, warnings) = startup::import_redflash(settings, &dump).await?;
    for warning in &warnings {
        println!("warning: {warning}");
    }
    let line = |kind: &str, (created, existing): (usize, usize)| {
        println!("{kind}: {created} imported, {existing} already present")
    };
    line("contacts", report.contacts);
    println!("destinations: {} imported", report.destinations);
    line("groups", report.groups);
    line("API keys", report.api_keys);
    line("events", report.events);
    Ok(())
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let bind_host = settings.bind.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h).to_owned();
    let app = Application::build(settings).await?;
    let host = if bind_host == "0.0.0.0" || bind_host == "[::]" { "127.0.0.1".to_owned() } else { bind_host };
    let url = format!("http://{host}:{}", app.port());
    println!("Tocsin is running at {url}/ (database: {})", app.database);
    println!("  API docs: {url}/api/docs/");
    match &app.admin {
        AdminBootstrap::CreatedWithGeneratedPassword(password) => {
            println!("  First admin created. Log in as user 'admin' with password: {password}");
            println!("  (shown only this once; set TOCSIN_ADMIN_PASSWORD before the first start to choose it)");
        }
        AdminBootstrap::CreatedWithConfiguredPassword => {
            println!("  First admin created. Log in as user 'admin' with the password from TOCSIN_ADMIN_PASSWORD.");
        }
        AdminBootstrap::Existing => println!("  Log in with an existing operator account."),
    }
    println!(
        "  Try: curl -s {url}/api/v1/session -H 'Content-Type: application/json' -d '{{\"username\":\"admin\",\"password\":\"…\"}}'"
    );
    app.run_until_stopped().await?;
    Ok(())
}

//! `collector serve | token create | demo-data | backup | restore | retention | openapi`: the command-line
//! edge of the collector library.
//!
//! ```text
//! serve      flags / COLLECTOR_* / TOML ─► Config ─► collector::open ─► collector::serve
//! token      --role ─► service::tokens::create (store opened directly; server stopped)
//! demo-data  Config ─► publish, indexes_for ─► synth::submissions ─► service::import::load ─► refresh sled's snapshot
//! backup     collector::open_store ─► Store::backup (server stopped)
//! restore    store::restore: copy beside DIR, check, sync, rename
//! openapi    http::openapi::document ─► stdout
//! retention  service::retention::run (store opened directly; server stopped) ─► counts [─► SledStore::compact]
//! ```
//!
//! Every command run with the server stopped finds its data folder as
//! `serve` does, through [`DataArgs`]: `--data`, else the `--config` file's.

/// mimalloc: the server allocates a little per request on every worker
/// thread, and glibc's allocator showed as about a sixth of the samples
/// under load (`perf` over `bench_submit`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use collector::config::{ForwardedHeader, TrustedProxy};
use collector::model::Role;
use collector::store::{SledStore, Store};
use collector::Config;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(version, about = "Community feedback collector")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log lines as text, or as one JSON object a line for a log shipper.
    #[arg(
        long,
        global = true,
        env = "COLLECTOR_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    log_format: LogFormat,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the forms, the widget and the API.
    Serve(Box<ServeArgs>),
    /// Manage analyst and admin tokens (with the server stopped).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Write a consistent copy of the data folder to DEST (with the server
    /// stopped; while it runs, use POST /api/v1/backup).
    Backup {
        #[command(flatten)]
        at: DataArgs,
        /// Folder to write the copy into; must not exist, or be empty.
        dest: PathBuf,
    },
    /// Replace the data folder with a backup (with the server stopped).
    Restore {
        #[command(flatten)]
        at: DataArgs,
        /// The backup folder.
        src: PathBuf,
        /// Replace a data folder that is not empty.
        #[arg(long)]
        force: bool,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Load realistic synthetic responses for a demonstration (with the
    /// server stopped).
    DemoData(DemoArgs),
    /// Erase the free text of responses older than each form's retention
    /// period, once, and print the counts (with the server stopped).
    Retention {
        #[command(flatten)]
        at: DataArgs,
        /// Then rewrite the data folder with only current values, so the
        /// erased text's old bytes leave sled's files too.
        #[arg(long)]
        compact: bool,
    },
}

/// Where a command run with the server stopped finds the data folder:
/// `--data` (or `COLLECTOR_DATA`), else the `data` of the configuration
/// file `serve` reads (`--config` or `COLLECTOR_CONFIG`), else `./data`.
/// So with `COLLECTOR_CONFIG` set for the service, `collector token
/// create` writes to the folder the server reads, not to `./data`.
#[derive(clap::Args)]
struct DataArgs {
    /// TOML configuration file, as `serve` reads it (see
    /// collector.example.toml).
    #[arg(long, env = "COLLECTOR_CONFIG")]
    config: Option<PathBuf>,
    /// sled data folder [default: the configuration file's `data`, or
    /// ./data].
    #[arg(long, env = "COLLECTOR_DATA")]
    data: Option<PathBuf>,
}

impl DataArgs {
    /// The configuration this command runs with: the file's, warned of
    /// its unknown keys, with `--data` over its `data`.
    fn config(&self) -> anyhow::Result<Config> {
        let mut config = read_config(self.config.as_deref())?;
        if let Some(data) = &self.data {
            config.data = data.clone();
        }
        Ok(config)
    }
}

/// The configuration file at `path` (each unknown key warned of), or the
/// defaults without one.
fn read_config(path: Option<&std::path::Path>) -> anyhow::Result<Config> {
    let Some(path) = path else {
        return Ok(Config::default());
    };
    let (config, unknown) = Config::from_toml_file(path)?;
    for key in unknown {
        tracing::warn!(%key, file = %path.display(), "unknown configuration key ignored");
    }
    Ok(config)
}

#[derive(clap::Args)]
struct DemoArgs {
    #[command(flatten)]
    at: DataArgs,
    /// Folder of form JSON files to publish first [default: the
    /// configuration file's `forms`, or examples/forms].
    #[arg(long, env = "COLLECTOR_FORMS")]
    forms: Option<PathBuf>,
    /// Responses to generate for each form.
    #[arg(long, default_value_t = 20_000)]
    count: usize,
    /// Seed: the same seed gives the same responses.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Forms to fill (community-safety, victim-satisfaction, street-feedback), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "community-safety")]
    form: Vec<String>,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// TOML configuration file (see collector.example.toml).
    #[arg(long, env = "COLLECTOR_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "COLLECTOR_ADDR")]
    addr: Option<SocketAddr>,
    /// sled data folder [default: ./data].
    #[arg(long, env = "COLLECTOR_DATA")]
    data: Option<PathBuf>,
    /// Folder of form JSON files to publish [default: examples/forms].
    #[arg(long, env = "COLLECTOR_FORMS")]
    forms: Option<PathBuf>,
    /// The register of places as JSON [default: places.json beside the
    /// forms folder].
    #[arg(long, env = "COLLECTOR_PLACES")]
    places: Option<PathBuf>,
    /// Folder of the built widget [default: dist].
    #[arg(long, env = "COLLECTOR_DIST")]
    dist: Option<PathBuf>,
    /// Submissions per client per minute, 0 = off [default: 120].
    #[arg(long, env = "COLLECTOR_RATE_LIMIT")]
    rate_limit: Option<u32>,
    /// Submissions per second across all clients, 0 = off [default: 500].
    #[arg(long, env = "COLLECTOR_GLOBAL_RATE_LIMIT")]
    global_rate_limit: Option<u32>,
    /// Reverse proxies trusted to name the client in X-Forwarded-For or
    /// Forwarded (addresses or CIDR ranges, comma-separated) [default: none].
    #[arg(long, env = "COLLECTOR_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Option<Vec<TrustedProxy>>,
    /// The header the trusted proxies name the client in, x-forwarded-for
    /// or forwarded; the other is ignored [default: x-forwarded-for].
    #[arg(long, env = "COLLECTOR_FORWARDED_HEADER")]
    forwarded_header: Option<ForwardedHeader>,
    /// Clients that may read /metrics (addresses or CIDR ranges,
    /// comma-separated) [default: loopback and the private ranges].
    #[arg(long, env = "COLLECTOR_METRICS_FROM", value_delimiter = ',')]
    metrics_from: Option<Vec<TrustedProxy>>,
    /// Longest a request, or its headers, may take, in seconds [default: 30].
    #[arg(long, env = "COLLECTOR_REQUEST_TIMEOUT_SECS")]
    request_timeout_secs: Option<u64>,
    /// Longest a request body may wait for its next bytes, in seconds [default: 10].
    #[arg(long, env = "COLLECTOR_BODY_TIMEOUT_SECS")]
    body_timeout_secs: Option<u64>,
    /// Bot checks on the hosted form [default: on].
    #[arg(long, env = "COLLECTOR_BOT_CHECKS", value_parser = on_off)]
    bot_checks: Option<bool>,
    /// Origins allowed to embed every form (comma-separated).
    #[arg(long, env = "COLLECTOR_ALLOWED_ORIGINS", value_delimiter = ',')]
    allowed_origins: Option<Vec<String>>,
    /// Folder that POST /api/v1/backup writes its copies into [default: none, route off].
    #[arg(long, env = "COLLECTOR_BACKUP_DIR")]
    backup_dir: Option<PathBuf>,
    /// Seconds between runs of the retention service, at most 86400; 0 = off [default: 3600].
    #[arg(long, env = "COLLECTOR_RETENTION_INTERVAL_SECS")]
    retention_interval_secs: Option<u64>,
    /// The address people and staff reach this collector at, for links in
    /// invitations, QR codes and alerts [default: the request's].
    #[arg(long, env = "COLLECTOR_PUBLIC_URL")]
    public_url: Option<String>,
    /// Let webhooks target loopback and private addresses (tests) [default: refused].
    #[arg(long, env = "COLLECTOR_ALLOW_PRIVATE_WEBHOOKS")]
    allow_private_webhooks: bool,
    /// Wait after a webhook delivery's first failed attempt, in ms; each
    /// later wait is five times longer [default: 5000].
    #[arg(long, env = "COLLECTOR_WEBHOOK_RETRY_BASE_MS")]
    webhook_retry_base_ms: Option<u64>,
    /// Attempts before a webhook delivery is a dead letter [default: 8].
    #[arg(long, env = "COLLECTOR_WEBHOOK_ATTEMPTS")]
    webhook_attempts: Option<u32>,
    /// Longest one webhook attempt may take, in ms [default: 15000].
    #[arg(long, env = "COLLECTOR_WEBHOOK_TIMEOUT_MS")]
    webhook_timeout_ms: Option<u64>,
}

fn on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" | "true" | "1" => Ok(true),
        "off" | "false" | "0" => Ok(false),
        _ => Err("expected on or off".into()),
    }
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token; it is printed once, as the last line.
    Create {
        #[command(flatten)]
        at: DataArgs,
        /// Role of the token.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// What it is for, shown when tokens are listed.
        #[arg(long, default_value = "")]
        label: String,
        /// Days until it stops working; none: it does not expire.
        #[arg(long)]
        expires_days: Option<u32>,
        /// A supervisor's team (repeat for several).
        #[arg(long = "team")]
        teams: Vec<String>,
        /// A supervisor's place (repeat for several).
        #[arg(long = "place")]
        places: Vec<String>,
    },
}

/// [`Role`] as the command line names it.
#[derive(Clone, Copy, clap::ValueEnum)]
enum RoleArg {
    /// Reads aggregates, exports and free text; codes answers.
    Analyst,
    /// Works the cases of its teams or places and reads their results.
    Supervisor,
    /// Everything an analyst does, and publishes forms and creates tokens.
    Admin,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Analyst => Role::Analyst,
            RoleArg::Supervisor => Role::Supervisor,
            RoleArg::Admin => Role::Admin,
        }
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // axum logs each accepted connection's peer address at trace level:
    // whatever RUST_LOG asks for, no client address reaches the logs.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,tower_http=warn".into())
        .add_directive("axum::serve=debug".parse()?);
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    match cli.command {
        Command::Serve(args) => serve(*args),
        Command::Token {
            command:
                TokenCommand::Create {
                    at,
                    role,
                    label,
                    expires_days,
                    teams,
                    places,
                },
        } => {
            let data = at.config()?.data;
            let store = SledStore::open(&data).with_context(|| {
                format!(
                    "cannot open {} (is the server running? then use POST /api/v1/tokens)",
                    data.display()
                )
            })?;
            let role = Role::from(role);
            let spec = collector::service::tokens::Spec {
                role,
                label,
                expires_ms: expires_days
                    .map(|d| collector::model::now_ms() + u64::from(d) * 86_400_000),
                teams,
                places,
            };
            let (token, _) = collector::service::tokens::create(&store, spec)?;
            eprintln!("Created a {role:?} token. Keep it secret; it is not shown again:");
            println!("{token}");
            Ok(())
        }
        Command::DemoData(args) => demo_data(args),
        Command::Backup { at, dest } => backup(&at.config()?.data, &dest),
        Command::Restore { at, src, force } => {
            let data = at.config()?.data;
            let restored = collector::store::restore(&data, &src, force).with_context(|| {
                format!("cannot restore {} into {}", src.display(), data.display())
            })?;
            println!(
                "restored {} into {} ({} bytes)",
                src.display(),
                data.display(),
                restored.bytes
            );
            Ok(())
        }
        Command::Retention { at, compact } => retention(&at.config()?.data, compact),
        Command::Openapi => {
            println!("{}", collector::http::openapi::document());
            Ok(())
        }
    }
}

fn backup(data: &std::path::Path, dest: &std::path::Path) -> anyhow::Result<()> {
    // Checked before opening, which would create an empty store.
    if !data.join("db").is_file() {
        anyhow::bail!("{} is not a collector data folder", data.display());
    }
    let store = collector::open_store(data)?;
    let info = store
        .backup(dest)
        .with_context(|| format!("cannot back up {} to {}", data.display(), dest.display()))?;
    drop(store);
    println!(
        "backed up {} responses ({} bytes) to {}",
        info.responses,
        info.bytes,
        info.path.display()
    );
    Ok(())
}

fn demo_data(args: DemoArgs) -> anyhow::Result<()> {
    let mut config = args.at.config()?;
    if let Some(forms) = args.forms {
        config.forms = forms;
    }
    let (data, forms) = (&config.data, &config.forms);
    let store = SledStore::open(data)
        .with_context(|| format!("cannot open {} (stop the server first)", data.display()))?;
    config.validate()?;
    collector::publish(&store, &config)?;
    // Coded as `serve` with the same configuration codes (its lexicon, its
    // label), so starting it does not score them all again.
    let indexes = collector::indexes_for(&config)?;
    // Imported answers are coded as a serving collector would code them:
    // with the theme models learned from analysts' codes, if any.
    collector::service::learning::load(&store, &indexes)?;
    for id in &args.form {
        let published = store.form(id).with_context(|| {
            format!(
                "no form '{id}' in {} or {}",
                forms.display(),
                data.display()
            )
        })?;
        let options = synth::Options {
            seed: args.seed,
            count: args.count,
            ..Default::default()
        };
        let started = std::time::Instant::now();
        let rows = synth::submissions(&published.form, options)?;
        let n = collector::service::import::load(&store, &indexes, &published.form, rows)?;
        println!(
            "{id}: imported {n} synthetic responses (seed {}, 2023-04-01 to 2025-03-31) into {} in {:.1} s",
            options.seed,
            data.display(),
            started.elapsed().as_secs_f64()
        );
    }
    drop(store);
    let replay = SledStore::refresh_snapshot(data)?;
    println!(
        "sled recorded where its log stands ({:.1} s), so the next start need not replay the import",
        replay.as_secs_f64()
    );
    Ok(())
}

fn retention(data: &std::path::Path, compact: bool) -> anyhow::Result<()> {
    let store = SledStore::open(data)
        .with_context(|| format!("cannot open {} (stop the server first)", data.display()))?;
    let runs = collector::service::retention::run(&store, collector::model::now_ms())?;
    for run in &runs {
        println!(
            "{}: erased {} text answers and the personal answers of {} responses received before {} ms ({} days; each version by the shorter of its period and the current one's)",
            run.form, run.erased, run.personal, run.before_ms, run.days
        );
    }
    if runs.is_empty() {
        println!("no form in {} has a retention period", data.display());
    }
    drop(store);
    if compact {
        SledStore::compact(data).with_context(|| format!("cannot compact {}", data.display()))?;
        println!("{} rewritten with current values only", data.display());
    }
    Ok(())
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut config = read_config(args.config.as_deref())?;
    if let Some(v) = args.addr {
        config.addr = v;
    }
    if let Some(v) = args.data {
        config.data = v;
    }
    if let Some(v) = args.forms {
        config.forms = v;
    }
    if let Some(v) = args.places {
        config.places = Some(v);
    }
    if let Some(v) = args.dist {
        config.dist = v;
    }
    if let Some(v) = args.rate_limit {
        config.rate_limit = v;
    }
    if let Some(v) = args.global_rate_limit {
        config.global_rate_limit = v;
    }
    if let Some(v) = args.trusted_proxies {
        config.trusted_proxies = v;
    }
    if let Some(v) = args.forwarded_header {
        config.forwarded_header = v;
    }
    if let Some(v) = args.metrics_from {
        config.metrics_from = v;
    }
    if let Some(v) = args.request_timeout_secs {
        config.request_timeout_secs = v;
    }
    if let Some(v) = args.body_timeout_secs {
        config.body_timeout_secs = v;
    }
    if let Some(v) = args.bot_checks {
        config.bot_checks = v;
    }
    if let Some(v) = args.allowed_origins {
        config.allowed_origins = v;
    }
    if let Some(v) = args.backup_dir {
        config.backup_dir = Some(v);
    }
    if let Some(v) = args.retention_interval_secs {
        config.retention_interval_secs = v;
    }
    if let Some(v) = args.public_url {
        config.public_url = Some(v);
    }
    if args.allow_private_webhooks {
        config.allow_private_webhooks = true;
    }
    if let Some(v) = args.webhook_retry_base_ms {
        config.webhook_retry_base_ms = v;
    }
    if let Some(v) = args.webhook_attempts {
        config.webhook_attempts = v;
    }
    if let Some(v) = args.webhook_timeout_ms {
        config.webhook_timeout_ms = v;
    }

    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let addr = config.addr;
        let state = collector::open(config)?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        tracing::info!("listening on http://{}", listener.local_addr()?);
        collector::serve(listener, state, stop_signal()).await?;
        // The store was dropped with the app: its last writes are flushed.
        tracing::info!("stopped");
        anyhow::Ok(())
    })
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM, what systemd and container
/// runtimes send to stop a service: the server then stops accepting,
/// finishes the requests in flight and flushes the store before exiting 0.
async fn stop_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM; Ctrl-C still stops");
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("stopping: finishing the requests in flight");
}

//! `acs-chat-emulator` binary: runs the emulator until Ctrl-C (or SIGTERM).
//!
//! On success it prints exactly one line to stdout, for scripts:
//!
//! ```text
//! ACS_EMULATOR_READY endpoint=http://127.0.0.1:8080/ connection_string="endpoint=http://127.0.0.1:8080/;accesskey=..." [ca_cert="/tmp/.../ca.pem"]
//! ```
//!
//! (`ca_cert` only with TLS, `resource.NAME=ENDPOINT` once per `--resource`;
//! quoted values never contain `"`.) With an
//! access key of your own (`--access-key`), the connection string shows only
//! its first four characters (`accesskey=abcd…`): stdout often ends up in
//! CI logs. Everything else goes to stderr, including the request log
//! (`RUST_LOG=acs_chat_emulator::requests=info`: method, path, status,
//! latency, request id; no other header, no token or key). Exit code 0 after a clean shutdown, 1 if the
//! emulator could not start, 2 for bad arguments.
#![forbid(unsafe_code)]

use std::io::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use acs_chat_emulator::events::{EventDeliveryOptions, NewEventSubscription};
use acs_chat_emulator::rate_limits::RateLimits;
use acs_chat_emulator::{Emulator, EmulatorError, FaultConfig, TlsConfig, DEV_ACCESS_KEY};
use clap::Parser;

// mimalloc rather than glibc's malloc: the emulator allocates a little for
// every request on every worker thread, and glibc's arenas then make
// threads wait on each other's locks (seen as futex waits under load).
// Measured with `cargo bench --bench emulator_throughput`, which uses the
// same allocator: send-message ran 1.75x faster (22.8k to 39.9k req/s)
// in one interleaved run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// In-memory Azure Communication Services (Chat + Identity) emulator.
///
/// Serves the ACS Identity API (HMAC-signed, like the real service), the
/// Chat API (threads, messages, participants, read receipts, typing; bearer
/// tokens it issued), chat events to webhooks (as Event Grid delivers them),
/// and emulator-only admin routes under /admin/ on loopback binds. Every
/// option can also be set through the environment variable shown with it.
/// Request log on stderr: RUST_LOG=acs_chat_emulator::requests=info.
#[derive(Debug, Parser)]
#[command(name = "acs-chat-emulator", version)]
struct Args {
    /// Address to listen on. Non-loopback addresses need --allow-remote.
    #[arg(long, env = "ACS_EMULATOR_HOST", default_value = "127.0.0.1")]
    host: IpAddr,

    /// Port to listen on (0 picks a free port).
    #[arg(long, env = "ACS_EMULATOR_PORT", default_value_t = 8080)]
    port: u16,

    /// Serve HTTPS with a freshly generated development CA and certificate
    /// (for localhost, 127.0.0.1, ::1); the CA's PEM path is printed.
    #[arg(long, env = "ACS_EMULATOR_TLS")]
    tls: bool,

    /// Serve HTTPS with this PEM certificate chain (needs --tls-key).
    #[arg(
        long,
        env = "ACS_EMULATOR_TLS_CERT",
        value_name = "PATH",
        requires = "tls_key"
    )]
    tls_cert: Option<PathBuf>,

    /// PEM private key for --tls-cert.
    #[arg(
        long,
        env = "ACS_EMULATOR_TLS_KEY",
        value_name = "PATH",
        requires = "tls_cert"
    )]
    tls_key: Option<PathBuf>,

    /// Where to write the generated CA certificate with --tls (default: a
    /// new temporary directory).
    #[arg(
        long,
        env = "ACS_EMULATOR_CA_CERT_OUT",
        value_name = "PATH",
        conflicts_with = "tls_cert"
    )]
    ca_cert_out: Option<PathBuf>,

    /// Access key (base64). Default: the public development key.
    #[arg(long, env = "ACS_EMULATOR_ACCESS_KEY", default_value = DEV_ACCESS_KEY, hide_default_value = true, hide_env_values = true)]
    access_key: String,

    /// Allow listening on a non-loopback address. Needs --access-key with a
    /// key of your own (with the public development key anyone on the
    /// network could mint tokens). The unauthenticated /admin/ routes are
    /// then disabled, whatever the address.
    #[arg(long, env = "ACS_EMULATOR_ALLOW_REMOTE")]
    allow_remote: bool,

    /// Initial fault injection settings as JSON, e.g.
    /// '{"rate429":0.1,"retryAfterSeconds":1,"seed":42}'.
    #[arg(long, env = "ACS_EMULATOR_FAULTS", value_name = "JSON")]
    faults: Option<String>,

    /// Deliver chat events to this webhook (repeatable): Event Grid schema,
    /// every chat event type, one event per request. The endpoint must
    /// answer Event Grid's validation handshake at start. A secret can ride
    /// in the URL's query string. For other schemas, filters or headers use
    /// POST /admin/eventSubscriptions.
    #[arg(long, env = "ACS_EMULATOR_EVENT_SUBSCRIPTION", value_name = "URL")]
    event_subscription: Vec<String>,

    /// Multiplies Event Grid's retry schedule for failed deliveries
    /// (10 s, 30 s, 1 min, 5 min, ...); e.g. 0.001 turns 10 s into 10 ms.
    #[arg(
        long,
        env = "ACS_EMULATOR_EVENT_RETRY_TIME_SCALE",
        value_name = "FACTOR",
        default_value_t = 1.0
    )]
    event_retry_time_scale: f64,

    /// Request rates to enforce: `off` (the default, so load tests run) or
    /// `service` (the service's documented per-user, per-thread and
    /// per-resource table, answered with 429 and Retry-After).
    #[arg(
        long,
        env = "ACS_EMULATOR_RATE_LIMITS",
        value_name = "MODE",
        default_value = "off",
        value_parser = ["off", "service"]
    )]
    rate_limits: String,

    /// One more resource, NAME=ACCESSKEY (repeatable; a key of its own): its
    /// own users, tokens and threads on its own free port, printed on the
    /// ready line as resource.NAME=ENDPOINT.
    #[arg(
        long = "resource",
        env = "ACS_EMULATOR_RESOURCES",
        value_name = "NAME=ACCESSKEY",
        value_delimiter = ','
    )]
    resources: Vec<String>,

    /// Keep users, threads, messages, receipts and event subscriptions in an
    /// SQLite database in this directory (created if need be), so they
    /// survive a crash and a restart; without it, state is in memory only.
    #[arg(long, env = "ACS_EMULATOR_DATA_DIR", value_name = "PATH")]
    data_dir: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();

    let faults = match args
        .faults
        .as_deref()
        .map(serde_json::from_str::<FaultConfig>)
    {
        None => FaultConfig::default(),
        Some(Ok(faults)) => faults,
        Some(Err(err)) => {
            eprintln!("error: --faults is not a valid fault configuration: {err}");
            return ExitCode::from(2);
        }
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsConfig::Files {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ if args.tls || args.ca_cert_out.is_some() => Some(TlsConfig::SelfSigned {
            cert_path_out: args.ca_cert_out.clone(),
        }),
        _ => None,
    };

    // Handlers are installed before the ready line is printed, so a signal
    // sent right after reading it is never lost (or fatal).
    let mut signals = match Signals::install() {
        Ok(signals) => signals,
        Err(err) => {
            eprintln!("error: cannot install signal handlers: {err}");
            return ExitCode::from(1);
        }
    };

    let mut resources = Vec::new();
    for resource in &args.resources {
        match resource.split_once('=') {
            Some((name, key)) if !name.is_empty() && !key.is_empty() => {
                resources.push((name.to_owned(), key.to_owned()));
            }
            _ => {
                eprintln!("error: --resource takes NAME=ACCESSKEY");
                return ExitCode::from(2);
            }
        }
    }

    let mut builder = Emulator::builder()
        .host(args.host)
        .port(args.port)
        .access_key(args.access_key.clone())
        .allow_remote(args.allow_remote)
        .rate_limits(if args.rate_limits == "service" {
            RateLimits::service()
        } else {
            RateLimits::off()
        })
        .faults(faults)
        .event_delivery(EventDeliveryOptions {
            retry_time_scale: args.event_retry_time_scale,
            ..EventDeliveryOptions::default()
        });
    for url in &args.event_subscription {
        builder = builder.event_subscription(NewEventSubscription::webhook(url));
    }
    if let Some(dir) = &args.data_dir {
        builder = builder.data_dir(dir);
    }
    for (name, key) in resources {
        builder = builder.resource(name, key);
    }
    if let Some(tls) = tls {
        builder = builder.tls(tls);
    }
    let emulator = match builder.start().await {
        Ok(emulator) => emulator,
        Err(EmulatorError::NonLoopbackHost(ip)) => {
            eprintln!(
                "error: refusing to listen on non-loopback address {ip}; pass --allow-remote to allow it (admin routes are then disabled)"
            );
            return ExitCode::from(1);
        }
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(1);
        }
    };

    let connection_string = if args.access_key == DEV_ACCESS_KEY {
        emulator.connection_string()
    } else {
        let shown: String = args.access_key.chars().take(4).collect();
        format!("endpoint={};accesskey={shown}…", emulator.endpoint())
    };
    let mut line = format!(
        "ACS_EMULATOR_READY endpoint={} connection_string=\"{connection_string}\"",
        emulator.endpoint(),
    );
    for resource in emulator.resources() {
        line.push_str(&format!(
            " resource.{}={}",
            resource.name(),
            resource.endpoint()
        ));
    }
    if let Some(path) = emulator.ca_cert_path() {
        line.push_str(&format!(" ca_cert=\"{}\"", path.display()));
    }
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
    drop(stdout);

    eprintln!("ACS Chat emulator listening on {}", emulator.endpoint());
    match emulator.state().database() {
        Some(db) => eprintln!("State kept in {}", db.path().display()),
        None => eprintln!("State in memory only (use --data-dir to keep it)."),
    }
    if args.access_key == DEV_ACCESS_KEY {
        eprintln!("Using the public development access key (not a secret).");
    }
    if args.host.is_loopback() && !args.allow_remote {
        eprintln!(
            "Admin routes: {}admin/ (emulator-only, unauthenticated, loopback Host and Origin only)",
            emulator.endpoint()
        );
    } else {
        eprintln!("Remote access allowed: admin routes are disabled.");
    }
    if let Some(path) = emulator.ca_cert_path() {
        eprintln!("Trust this certificate for HTTPS: {}", path.display());
    }
    for subscription in emulator.state().events().subscriptions() {
        eprintln!(
            "Chat events go to {} ({})",
            subscription.endpoint_url, subscription.id
        );
    }
    eprintln!("Press Ctrl-C to stop.");

    signals.wait().await;
    eprintln!("Shutting down...");
    emulator.shutdown().await;
    eprintln!("Stopped.");
    ExitCode::SUCCESS
}

/// Ctrl-C (SIGINT) and, on Unix, SIGTERM, registered eagerly.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {})
        }
    }

    /// Completes when one of the signals arrives.
    async fn wait(&mut self) {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => {}
                _ = self.terminate.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

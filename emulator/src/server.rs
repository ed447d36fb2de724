//! The running emulator: [`Emulator`], [`EmulatorBuilder`], and the accept loop.
//!
//! The server owns its accept loop (hyper-util's HTTP/1 + HTTP/2 connection
//! builder, optionally behind tokio-rustls) instead of `axum::serve`, so that
//! every connection gets a [`ConnectionControl`] fault injection can use to
//! drop it, and so plain and TLS connections share one code path.
//!
//! * Endpoint: `http(s)://<host>:<port>/`, **with** a trailing slash. The host
//!   is the bind address, except that an unspecified bind (`0.0.0.0` / `::`)
//!   is advertised as `127.0.0.1` / `[::1]`.
//! * [`Emulator::shutdown`] stops accepting, lets open connections finish
//!   (HTTP/1 keep-alive connections are closed after their current request,
//!   HTTP/2 gets GOAWAY) for up to [`SHUTDOWN_GRACE`], then cuts the rest.
//! * Dropping an [`Emulator`] without calling `shutdown` aborts the server
//!   task at once (listener and every connection closed).
//! * Non-loopback binds are refused unless [`EmulatorBuilder::allow_remote`]
//!   is set; the unauthenticated `/admin/*` routes exist only on loopback
//!   binds.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

use crate::connection::{ConnectionControl, ConnectionScheme};
use crate::events::{EventDeliveryOptions, NewEventSubscription};
use crate::faults::FaultConfig;
use crate::front_door::App;
use crate::keys::{Keys, DEV_ACCESS_KEY};
use crate::rate_limits::RateLimits;
use crate::request_body::{BodyLimits, DEFAULT_BODY_READ_TIMEOUT};
use crate::router::{app, AppOptions};
use crate::state::{AppState, StateError, DEFAULT_RESOURCE_LOCATION};
use crate::tls::{self, TlsConfig, TlsError};

/// The main resource's database file in a data directory (other resources:
/// `resource-NAME.sqlite3`).
pub const MAIN_DATABASE_FILE: &str = "emulator.sqlite3";
/// How long [`Emulator::shutdown`] waits for open connections.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Time allowed for a TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The access key is not valid base64.
    #[error("invalid access key: {0}")]
    InvalidAccessKey(#[from] crate::keys::InvalidAccessKey),
    /// The initial fault configuration is invalid.
    #[error("invalid fault configuration: {0}")]
    InvalidFaults(crate::error::ApiError),
    /// `allow_remote` with the public development key: anyone on the
    /// network could sign identity requests with it and mint tokens.
    #[error("remote access needs an access key of your own: with the public development key anyone on the network could sign identity requests and mint a token for any user")]
    RemoteWithDevelopmentKey,
    /// A non-loopback host without `allow_remote`.
    #[error("refusing to listen on non-loopback address {0} without allow_remote")]
    NonLoopbackHost(IpAddr),
    /// Binding the listener failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
    /// TLS setup failed.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The event delivery options are invalid.
    #[error("invalid event delivery options: {0}")]
    InvalidEventOptions(String),
    /// The data directory cannot be used (see [`crate::persist`]).
    #[error("data directory: {0}")]
    DataDir(crate::persist::PersistError),
    /// A resource given to [`EmulatorBuilder::resource`] is invalid.
    #[error("invalid resource: {0}")]
    InvalidResource(String),
    /// An event subscription given to the builder was refused (invalid, or
    /// its endpoint failed the validation handshake).
    #[error("event subscription refused: {0}")]
    EventSubscription(String),
}

impl From<StateError> for EmulatorError {
    fn from(err: StateError) -> Self {
        match err {
            StateError::AccessKey(err) => Self::InvalidAccessKey(err),
            StateError::Events(message) => Self::InvalidEventOptions(message),
            StateError::Persist(err) => Self::DataDir(err),
        }
    }
}

/// Configures and starts an [`Emulator`]. Its `Debug` output leaves out
/// the access key.
pub struct EmulatorBuilder {
    host: IpAddr,
    port: u16,
    tls: Option<TlsConfig>,
    faults: FaultConfig,
    access_key: String,
    allow_remote: bool,
    resource_location: String,
    extra_routes: Option<Router<AppState>>,
    event_delivery: EventDeliveryOptions,
    event_subscriptions: Vec<NewEventSubscription>,
    body_read_timeout: Duration,
    rate_limits: RateLimits,
    resources: Vec<(String, String)>,
    data_dir: Option<PathBuf>,
}

impl std::fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorBuilder")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("faults", &self.faults)
            .field("custom_access_key", &(self.access_key != DEV_ACCESS_KEY))
            .field("allow_remote", &self.allow_remote)
            .field("resource_location", &self.resource_location)
            .field("event_delivery", &self.event_delivery)
            .field("event_subscriptions", &self.event_subscriptions)
            .field("body_read_timeout", &self.body_read_timeout)
            .field("rate_limits", &self.rate_limits)
            .field("data_dir", &self.data_dir)
            .field(
                "resources",
                &self
                    .resources
                    .iter()
                    .map(|(name, _)| name)
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            tls: None,
            faults: FaultConfig::default(),
            access_key: DEV_ACCESS_KEY.to_owned(),
            allow_remote: false,
            resource_location: DEFAULT_RESOURCE_LOCATION.to_owned(),
            extra_routes: None,
            event_delivery: EventDeliveryOptions::default(),
            event_subscriptions: Vec::new(),
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            rate_limits: RateLimits::off(),
            resources: Vec::new(),
            data_dir: None,
        }
    }
}

impl EmulatorBuilder {
    /// Bind address (default `127.0.0.1`).
    ///
    /// ```
    /// let builder = acs_chat_emulator::Emulator::builder().host(std::net::Ipv4Addr::LOCALHOST.into());
    /// ```
    #[must_use]
    pub fn host(mut self, host: IpAddr) -> Self {
        self.host = host;
        self
    }

    /// Port (default 0: a free port chosen by the OS).
    ///
    /// ```
    /// let builder = acs_chat_emulator::Emulator::builder().port(8080);
    /// ```
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Serve HTTPS.
    ///
    /// ```
    /// let builder = acs_chat_emulator::Emulator::builder()
    ///     .tls(acs_chat_emulator::TlsConfig::SelfSigned { cert_path_out: None });
    /// ```
    #[must_use]
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Initial fault injection settings (default: none).
    ///
    /// ```
    /// let faults: acs_chat_emulator::FaultConfig =
    ///     serde_json::from_str(r#"{"rate429": 0.1, "retryAfterSeconds": 1, "seed": 42}"#).expect("valid");
    /// let builder = acs_chat_emulator::Emulator::builder().faults(faults);
    /// ```
    #[must_use]
    pub fn faults(mut self, faults: FaultConfig) -> Self {
        self.faults = faults;
        self
    }

    /// Access key, base64 (default [`DEV_ACCESS_KEY`]).
    ///
    /// ```
    /// let builder = acs_chat_emulator::Emulator::builder().access_key(acs_chat_emulator::DEV_ACCESS_KEY);
    /// ```
    #[must_use]
    pub fn access_key(mut self, key: impl Into<String>) -> Self {
        self.access_key = key.into();
        self
    }

    /// Time allowed to receive a whole request body (default
    /// [`DEFAULT_BODY_READ_TIMEOUT`], 30 s). A body not received in time
    /// answers 408 and closes the connection, so a client that announces a
    /// body and never sends it cannot hold a connection open.
    ///
    /// ```
    /// let builder = acs_chat_emulator::Emulator::builder()
    ///     .body_read_timeout(std::time::Duration::from_secs(5));
    /// ```
    #[must_use]
    pub fn body_read_timeout(mut self, limit: Duration) -> Self {
        self.body_read_timeout = limit;
        self
    }

    /// The request rates to enforce: none (the default, so load tests run)
    /// or the service's documented table, answered with 429 and
    /// `Retry-After` (see [`crate::rate_limits`]).
    ///
    /// ```
    /// use acs_chat_emulator::rate_limits::RateLimits;
    ///
    /// let builder = acs_chat_emulator::Emulator::builder().rate_limits(RateLimits::service());
    /// ```
    #[must_use]
    pub fn rate_limits(mut self, limits: RateLimits) -> Self {
        self.rate_limits = limits;
        self
    }

    /// One more resource in this process, with its own access key (not the
    /// main one's), users, tokens and threads, served on its own free port
    /// of the same host: see [`Emulator::resource`]. A user of one resource
    /// is refused in another's threads as the service refuses it.
    ///
    /// ```
    /// let builder = acs_chat_emulator::Emulator::builder()
    ///     .resource("contoso", "Y29udG9zby1kZXZlbG9wbWVudC1rZXk=");
    /// ```
    #[must_use]
    pub fn resource(mut self, name: impl Into<String>, access_key: impl Into<String>) -> Self {
        self.resources.push((name.into(), access_key.into()));
        self
    }

    /// Keep the state in an SQLite database in `dir` (created if need be):
    /// users, threads, messages, participants, read receipts, repeatability
    /// records and event subscriptions survive a crash and a restart on the
    /// same directory, and tokens issued before stay valid (same access
    /// key). Without it (the default) the state lives in memory only. See
    /// [`crate::persist`].
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), acs_chat_emulator::EmulatorError> {
    /// let emulator = acs_chat_emulator::Emulator::builder()
    ///     .data_dir("/tmp/acs-emulator-data")
    ///     .start()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Allow a non-loopback bind address. Needs an access key of your own
    /// ([`access_key`](Self::access_key), not [`DEV_ACCESS_KEY`]), and turns
    /// the unauthenticated admin routes off, whatever the bind address.
    ///
    /// ```
    /// let builder = acs_chat_emulator::Emulator::builder()
    ///     .host("0.0.0.0".parse().expect("an address"))
    ///     .access_key("<a base64 key of your own>")
    ///     .allow_remote(true);
    /// ```
    #[must_use]
    pub fn allow_remote(mut self, allow: bool) -> Self {
        self.allow_remote = allow;
        self
    }

    /// The `resourceLocation` token claim (default `unitedstates`).
    ///
    /// ```
    /// let builder = acs_chat_emulator::Emulator::builder().resource_location("europe");
    /// ```
    #[must_use]
    pub fn resource_location(mut self, location: impl Into<String>) -> Self {
        self.resource_location = location.into();
        self
    }

    /// More spec routes, served behind fault injection like the built-in
    /// ones (e.g. Chat routes under development, or test routes).
    ///
    /// ```
    /// let routes = axum::Router::new().route("/custom", axum::routing::get(|| async { "hi" }));
    /// let builder = acs_chat_emulator::Emulator::builder().extra_routes(routes);
    /// ```
    #[must_use]
    pub fn extra_routes(mut self, routes: Router<AppState>) -> Self {
        self.extra_routes = Some(routes);
        self
    }

    /// How chat events are delivered (retry time scale, queue size...).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), acs_chat_emulator::EmulatorError> {
    /// use acs_chat_emulator::events::EventDeliveryOptions;
    /// let emulator = acs_chat_emulator::Emulator::builder()
    ///     .event_delivery(EventDeliveryOptions { retry_time_scale: 0.001, ..Default::default() })
    ///     .start()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn event_delivery(mut self, options: EventDeliveryOptions) -> Self {
        self.event_delivery = options;
        self
    }

    /// Subscribes a webhook to chat events at start (repeatable). Its
    /// endpoint must answer the validation handshake, or
    /// [`start`](Self::start) fails.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), acs_chat_emulator::EmulatorError> {
    /// use acs_chat_emulator::events::NewEventSubscription;
    /// let emulator = acs_chat_emulator::Emulator::builder()
    ///     .event_subscription(NewEventSubscription::webhook("http://127.0.0.1:9000/events"))
    ///     .start()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn event_subscription(mut self, subscription: NewEventSubscription) -> Self {
        self.event_subscriptions.push(subscription);
        self
    }

    /// Binds, prepares TLS if asked, and starts serving in a background task.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), acs_chat_emulator::EmulatorError> {
    /// let emulator = acs_chat_emulator::Emulator::builder().port(0).start().await?;
    /// println!("{}", emulator.endpoint());
    /// # Ok(()) }
    /// ```
    pub async fn start(self) -> Result<Emulator, EmulatorError> {
        self.faults
            .validate()
            .map_err(EmulatorError::InvalidFaults)?;
        if self.allow_remote && self.access_key == DEV_ACCESS_KEY {
            return Err(EmulatorError::RemoteWithDevelopmentKey);
        }
        if !self.host.is_loopback() && !self.allow_remote {
            return Err(EmulatorError::NonLoopbackHost(self.host));
        }
        self.check_resources()?;
        let new_state = |access_key: &str,
                         file: &str|
         -> Result<(AppState, Vec<NewEventSubscription>), EmulatorError> {
            let state = match &self.data_dir {
                Some(dir) => AppState::persisted(
                    access_key,
                    self.faults.clone(),
                    &self.resource_location,
                    self.event_delivery.clone(),
                    dir,
                    file,
                )?,
                None => AppState::with_event_options(
                    access_key,
                    self.faults.clone(),
                    &self.resource_location,
                    self.event_delivery.clone(),
                )?,
            };
            state.rate_limits().set(self.rate_limits);
            let restored = state.events().restore().map_err(EmulatorError::DataDir)?;
            Ok((state, restored))
        };
        let (state, restored) = new_state(&self.access_key, MAIN_DATABASE_FILE)?;
        let mut extra_states = Vec::new();
        for (name, key) in &self.resources {
            let file = format!("resource-{name}.sqlite3");
            extra_states.push((name.clone(), new_state(key, &file)?.0));
        }
        // A subscription given again at each start (`--event-subscription`
        // with `--data-dir`) is the stored one, not one more.
        for subscription in self.event_subscriptions {
            if restored.contains(&subscription) {
                continue;
            }
            state
                .events()
                .subscribe(subscription)
                .await
                .map_err(EmulatorError::EventSubscription)?;
        }

        let addr = SocketAddr::new(self.host, self.port);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| EmulatorError::Bind { addr, source })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| EmulatorError::Bind { addr, source })?;

        let prepared = self.tls.as_ref().map(tls::prepare).transpose()?;
        let (acceptor, ca_cert_path, owned_dir) = match prepared {
            Some(p) => (Some(p.acceptor), Some(p.ca_cert_path), p.owned_dir),
            None => (None, None, None),
        };

        let endpoint = endpoint_for(local_addr, acceptor.is_some());
        let app_for = |state: &AppState| {
            app(
                state.clone(),
                AppOptions {
                    // `allow_remote` turns the unauthenticated admin routes
                    // off whatever the bind address.
                    admin: self.host.is_loopback() && !self.allow_remote,
                    extra_spec_routes: self.extra_routes.clone(),
                    body_limits: BodyLimits {
                        read_timeout: self.body_read_timeout,
                        ..BodyLimits::default()
                    },
                },
            )
        };
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let mut tasks = vec![tokio::spawn(serve(
            listener,
            app_for(&state),
            acceptor.clone(),
            shutdown_rx.clone(),
        ))];
        let mut resources = Vec::new();
        for (name, resource_state) in extra_states {
            let addr = SocketAddr::new(self.host, 0);
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|source| EmulatorError::Bind { addr, source })?;
            let local_addr = listener
                .local_addr()
                .map_err(|source| EmulatorError::Bind { addr, source })?;
            tasks.push(tokio::spawn(serve(
                listener,
                app_for(&resource_state),
                acceptor.clone(),
                shutdown_rx.clone(),
            )));
            resources.push(EmulatorResource {
                name,
                endpoint: endpoint_for(local_addr, acceptor.is_some()),
                local_addr,
                state: resource_state,
            });
        }

        Ok(Emulator {
            endpoint,
            local_addr,
            ca_cert_path,
            owned_dir,
            state,
            resources,
            shutdown_tx,
            tasks,
        })
    }

    /// Names are 1 to 63 letters, digits or `-`, unique; keys differ from
    /// each other and from the main key (each key is a resource's identity).
    fn check_resources(&self) -> Result<(), EmulatorError> {
        let mut names = std::collections::HashSet::new();
        let mut ids = std::collections::HashSet::new();
        let main = Keys::new(&self.access_key)?;
        ids.insert(main.resource_id().to_owned());
        for (name, key) in &self.resources {
            let valid_name = (1..=63).contains(&name.len())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !valid_name {
                return Err(EmulatorError::InvalidResource(format!(
                    "resource name {name:?}: use 1 to 63 letters, digits or '-'"
                )));
            }
            if !names.insert(name.as_str()) {
                return Err(EmulatorError::InvalidResource(format!(
                    "resource {name} is named twice"
                )));
            }
            let keys = Keys::new(key)?;
            if !ids.insert(keys.resource_id().to_owned()) {
                return Err(EmulatorError::InvalidResource(format!(
                    "resource {name} needs an access key of its own (another resource has the same key)"
                )));
            }
        }
        Ok(())
    }
}

/// A running emulator. Dropping it stops the server (abruptly); prefer
/// [`shutdown`](Self::shutdown).
#[derive(Debug)]
pub struct Emulator {
    endpoint: String,
    local_addr: SocketAddr,
    ca_cert_path: Option<PathBuf>,
    owned_dir: Option<PathBuf>,
    state: AppState,
    resources: Vec<EmulatorResource>,
    shutdown_tx: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// One more resource of an [`Emulator`] (see [`EmulatorBuilder::resource`]):
/// its own endpoint (port), key, users and threads.
#[derive(Debug)]
pub struct EmulatorResource {
    name: String,
    endpoint: String,
    local_addr: SocketAddr,
    state: AppState,
}

impl EmulatorResource {
    /// The name it was given.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), acs_chat_emulator::EmulatorError> {
    /// let emulator = acs_chat_emulator::Emulator::builder()
    ///     .resource("contoso", "Y29udG9zby1kZXZlbG9wbWVudC1rZXk=")
    ///     .start()
    ///     .await?;
    /// assert_eq!(emulator.resources()[0].name(), "contoso");
    /// # Ok(()) }
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its endpoint, with a trailing slash.
    ///
    /// ```no_run
    /// # async fn run(emulator: acs_chat_emulator::Emulator) {
    /// let contoso = emulator.resource("contoso").expect("configured");
    /// assert_ne!(contoso.endpoint(), emulator.endpoint());
    /// # }
    /// ```
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// `endpoint=<endpoint>;accesskey=<key>`.
    ///
    /// ```no_run
    /// # async fn run(emulator: acs_chat_emulator::Emulator) {
    /// let contoso = emulator.resource("contoso").expect("configured");
    /// let connection_string = contoso.connection_string();
    /// # }
    /// ```
    pub fn connection_string(&self) -> String {
        format!(
            "endpoint={};accesskey={}",
            self.endpoint,
            self.state.keys().access_key()
        )
    }

    /// The bound socket address.
    ///
    /// ```no_run
    /// # async fn run(emulator: acs_chat_emulator::Emulator) {
    /// let contoso = emulator.resource("contoso").expect("configured");
    /// assert!(contoso.local_addr().ip().is_loopback());
    /// # }
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Its state.
    ///
    /// ```no_run
    /// # async fn run(emulator: acs_chat_emulator::Emulator) {
    /// let contoso = emulator.resource("contoso").expect("configured");
    /// contoso.state().reset().expect("cleared");
    /// # }
    /// ```
    pub fn state(&self) -> &AppState {
        &self.state
    }
}

impl Emulator {
    /// Starts an emulator with the defaults: `127.0.0.1`, a free port, plain
    /// HTTP, [`DEV_ACCESS_KEY`], no faults.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), acs_chat_emulator::EmulatorError> {
    /// let emulator = acs_chat_emulator::Emulator::builder().port(0).start().await?;
    /// println!("{}", emulator.endpoint());
    /// # Ok(()) }
    /// ```
    pub async fn start() -> Result<Emulator, EmulatorError> {
        Self::builder().start().await
    }

    /// A builder for other settings.
    ///
    /// ```
    /// let builder = acs_chat_emulator::Emulator::builder();
    /// ```
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// The endpoint, with a trailing slash: `http://127.0.0.1:PORT/`.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), acs_chat_emulator::EmulatorError> {
    /// let emulator = acs_chat_emulator::Emulator::start().await?;
    /// assert!(emulator.endpoint().ends_with('/'));
    /// # Ok(()) }
    /// ```
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// `endpoint=<endpoint>;accesskey=<key>`, as the Azure portal shows it.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), acs_chat_emulator::EmulatorError> {
    /// let emulator = acs_chat_emulator::Emulator::start().await?;
    /// let connection_string = emulator.connection_string(); // endpoint=...;accesskey=...
    /// # Ok(()) }
    /// ```
    pub fn connection_string(&self) -> String {
        format!("endpoint={};accesskey={}", self.endpoint, self.access_key())
    }

    /// The access key (base64).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), acs_chat_emulator::EmulatorError> {
    /// let emulator = acs_chat_emulator::Emulator::start().await?;
    /// assert_eq!(emulator.access_key(), acs_chat_emulator::DEV_ACCESS_KEY);
    /// # Ok(()) }
    /// ```
    pub fn access_key(&self) -> &str {
        self.state.keys().access_key()
    }

    /// The bound socket address.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), acs_chat_emulator::EmulatorError> {
    /// let emulator = acs_chat_emulator::Emulator::start().await?;
    /// assert!(emulator.local_addr().ip().is_loopback());
    /// # Ok(()) }
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// With TLS: the PEM file clients should trust (the generated CA, or the
    /// configured certificate chain). A CA generated into a temporary
    /// directory (no `cert_path_out`) is deleted when the emulator stops.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), acs_chat_emulator::EmulatorError> {
    /// let emulator = acs_chat_emulator::Emulator::builder()
    ///     .tls(acs_chat_emulator::TlsConfig::SelfSigned { cert_path_out: None })
    ///     .start()
    ///     .await?;
    /// println!("trust {:?}", emulator.ca_cert_path());
    /// # Ok(()) }
    /// ```
    pub fn ca_cert_path(&self) -> Option<&Path> {
        self.ca_cert_path.as_deref()
    }

    /// The shared state (to inspect or seed it from tests).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), acs_chat_emulator::EmulatorError> {
    /// let emulator = acs_chat_emulator::Emulator::start().await?;
    /// emulator.state().reset().expect("cleared"); // users, threads, faults, subscriptions
    /// # Ok(()) }
    /// ```
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Graceful shutdown: stop accepting, let open requests finish (at most
    /// [`SHUTDOWN_GRACE`]), then stop.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), acs_chat_emulator::EmulatorError> {
    /// let emulator = acs_chat_emulator::Emulator::start().await?;
    /// emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn shutdown(mut self) {
        self.close_events();
        let _ = self.shutdown_tx.send(true);
        let tasks = std::mem::take(&mut self.tasks);
        let aborts: Vec<_> = tasks.iter().map(JoinHandle::abort_handle).collect();
        let all = wait_all(tasks);
        if tokio::time::timeout(SHUTDOWN_GRACE + Duration::from_secs(1), all)
            .await
            .is_err()
        {
            aborts.iter().for_each(tokio::task::AbortHandle::abort);
        }
        self.remove_owned_dir();
    }

    /// The other resources (see [`EmulatorBuilder::resource`]), in the
    /// order they were configured.
    ///
    /// ```no_run
    /// # async fn run(emulator: acs_chat_emulator::Emulator) {
    /// for resource in emulator.resources() {
    ///     println!("{}: {}", resource.name(), resource.endpoint());
    /// }
    /// # }
    /// ```
    pub fn resources(&self) -> &[EmulatorResource] {
        &self.resources
    }

    /// The other resource with this name.
    ///
    /// ```no_run
    /// # async fn run(emulator: acs_chat_emulator::Emulator) {
    /// let contoso = emulator.resource("contoso").expect("configured");
    /// println!("{}", contoso.connection_string());
    /// # }
    /// ```
    pub fn resource(&self, name: &str) -> Option<&EmulatorResource> {
        self.resources.iter().find(|r| r.name == name)
    }

    fn close_events(&self) {
        self.state.events().close();
        for resource in &self.resources {
            resource.state.events().close();
        }
    }

    /// Removes the temporary directory holding a generated CA, if any.
    fn remove_owned_dir(&mut self) {
        if let Some(dir) = self.owned_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.close_events();
        let _ = self.shutdown_tx.send(true);
        for task in self.tasks.drain(..) {
            task.abort();
        }
        self.remove_owned_dir();
    }
}

/// Waits for every task (their results do not matter).
async fn wait_all(tasks: Vec<JoinHandle<()>>) {
    for task in tasks {
        let _ = task.await;
    }
}

fn endpoint_for(addr: SocketAddr, tls: bool) -> String {
    let scheme = ConnectionScheme::of(tls).0;
    let host = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => "127.0.0.1".to_owned(),
        IpAddr::V6(ip) if ip.is_unspecified() => "[::1]".to_owned(),
        IpAddr::V4(ip) => ip.to_string(),
        IpAddr::V6(ip) => format!("[{ip}]"),
    };
    format!("{scheme}://{host}:{}/", addr.port())
}

/// The accept loop; returns after shutdown once connections are done.
async fn serve(
    listener: TcpListener,
    app: App,
    tls: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(handle_connection(
                        stream,
                        peer,
                        app.clone(),
                        tls.clone(),
                        shutdown.clone(),
                    ));
                }
                // Transient accept errors (e.g. too many open files): back off.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            _ = shutdown.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
    }
}

async fn handle_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: App,
    tls: Option<TlsAcceptor>,
    shutdown: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    match tls {
        None => serve_io(TokioIo::new(stream), peer, false, app, shutdown).await,
        Some(acceptor) => {
            // A failed or slow handshake gets no answer.
            let handshake = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream));
            if let Ok(Ok(stream)) = handshake.await {
                serve_io(TokioIo::new(stream), peer, true, app, shutdown).await;
            }
        }
    }
}

async fn serve_io<I>(
    io: I,
    peer: SocketAddr,
    tls: bool,
    app: App,
    mut shutdown: watch::Receiver<bool>,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let control = ConnectionControl::new();
    let request_control = control.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(request_control.clone());
        req.extensions_mut().insert(ConnectInfo(peer));
        req.extensions_mut().insert(ConnectionScheme::of(tls));
        let app = app.clone();
        async move { Ok::<_, Infallible>(app.handle(req.map(Body::new)).await) }
    });

    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new());
    builder.http2().timer(TokioTimer::new());
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);

    let mut draining = *shutdown.borrow();
    if draining {
        connection.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            _ = connection.as_mut() => break,
            // Fault injection asked to drop the connection: dropping the
            // connection future closes the socket with nothing more written.
            () = control.aborted() => break,
            _ = shutdown.changed(), if !draining => {
                draining = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        let v4: SocketAddr = ([127, 0, 0, 1], 8080).into();
        assert_eq!(endpoint_for(v4, false), "http://127.0.0.1:8080/");
        let any: SocketAddr = ([0, 0, 0, 0], 1).into();
        assert_eq!(endpoint_for(any, true), "https://127.0.0.1:1/");
        let v6: SocketAddr = (std::net::Ipv6Addr::LOCALHOST, 2).into();
        assert_eq!(endpoint_for(v6, false), "http://[::1]:2/");
    }
}

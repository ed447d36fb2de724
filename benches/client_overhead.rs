//! What the facade costs next to bare reqwest doing the same requests, in
//! one run, against two servers that run as child processes of this one
//! (so that this process's CPU time is the client's alone):
//!
//! - a fixed-response axum server (the same answer to every request: the
//!   client is the bottleneck), and
//! - the emulator.
//!
//! ```text
//! cargo bench --bench client_overhead
//! BENCH_CALLGRIND=1 cargo bench --bench client_overhead   # also instruction counts
//! BENCH_PART=callgrind cargo bench --bench client_overhead  # only them
//! BENCH_PART=paging-rss cargo bench --bench client_overhead # RSS while paging 100,000 messages
//! BENCH_SERVERS=fixed BENCH_OPS=send,get BENCH_TASKS=16 cargo bench --bench client_overhead
//!                                                          # a part of the comparison only
//! ```
//!
//! To look at one side alone with `perf stat`, `perf record` or `strace -c`
//! (what instruction counts cannot show: system calls, lock waits, cache
//! misses), build with `cargo bench --bench client_overhead --no-run` and
//! use the binary it names (`target/release/deps/client_overhead-*`), not
//! cargo. Start a server with `sleep infinity | BENCH_ROLE=fixed-server
//! <binary> &` (it serves until its standard input closes, and prints its
//! READY line), then run `BENCH_ROLE=soak-client BENCH_TARGET="<READY
//! line>" BENCH_SIDE=raw|facade BENCH_OP=send|get|list-50 <binary>` under
//! the tool.
//!
//! For send-message, get-message and a list page of 50, at 1 and 16
//! concurrent tasks, raw reqwest and the facade run in alternating windows
//! (`BENCH_ROUNDS` rounds of `BENCH_WINDOW_MS` each, 15 of 800 ms by
//! default, order swapped every round). Printed: each side's median
//! requests per second and client CPU time per request, and the facade/raw
//! ratios of both per round (min, median, max). The raw side does what a careful hand-written client does:
//! bearer header, a request id, api-version, the JSON body serialized per
//! request, decoding into the wire type.
//!
//! The callgrind part runs this same binary under `valgrind
//! --tool=callgrind` against the fixed-response server, one request at a
//! time, with two request counts, and prints the difference of the two
//! instruction totals divided by the difference of the counts: the
//! instructions of one request, setup cancelled out, stable on a noisy
//! machine.

use std::future::IntoFuture;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use acs_chat::{ChatClient, ChatThreadClient, CommunicationTokenCredential};
use acs_chat_rest::types as wire;
use base64::Engine as _;
use futures::TryStreamExt;
use serde_json::json;

const API_VERSION: &str = "2025-03-15";
const TEXT: &str = "hello, this is a benchmark message";
const FIXED_THREAD: &str = "19:benchmark@thread.v2";
const FIXED_MESSAGE: &str = "1700000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Send,
    Get,
    List50,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Send => "send",
            Op::Get => "get",
            Op::List50 => "list-50",
        }
    }

    /// An operation by its name; an unknown name stops the bench rather
    /// than measure something else.
    fn parse(name: &str) -> Op {
        match name {
            "send" => Op::Send,
            "get" => Op::Get,
            "list-50" => Op::List50,
            other => panic!("BENCH_OP must be send, get or list-50, not {other:?}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Raw,
    Facade,
}

/// A server to measure against, as its child process announced it.
#[derive(Debug, Clone)]
struct Target {
    endpoint: String,
    token: String,
    thread: String,
    message: String,
}

impl Target {
    fn from_line(line: &str) -> Target {
        let mut parts = line.split_whitespace().skip(1);
        let mut next = || {
            parts
                .next()
                .expect("a READY line of five fields")
                .to_string()
        };
        Target {
            endpoint: next(),
            token: next(),
            thread: next(),
            message: next(),
        }
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    match std::env::var("BENCH_ROLE").as_deref() {
        Ok("fixed-server") => serve(fixed_server()),
        Ok("emulator") => serve(emulator_server(env_u64("BENCH_MESSAGES", 60) as usize)),
        Ok("callgrind-client") => callgrind_client(),
        Ok("soak-client") => soak_client(),
        _ => orchestrate(),
    }
}

// ---------------------------------------------------------------- servers

/// Runs a server role: prints `READY endpoint token thread message`, then
/// serves until the parent closes stdin.
fn serve<F: std::future::Future<Output = Target>>(start: F) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let target = start.await;
        println!(
            "READY {} {} {} {}",
            target.endpoint, target.token, target.thread, target.message
        );
        std::io::stdout().flush().expect("flush");
        // The parent holds our stdin: its end (or the parent's exit) ends us.
        tokio::task::spawn_blocking(|| {
            let mut sink = String::new();
            while std::io::stdin().read_line(&mut sink).unwrap_or(0) > 0 {
                sink.clear();
            }
        })
        .await
        .expect("stdin watcher");
    });
}

fn fake_token() -> String {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let exp = chrono::Utc::now().timestamp() + 24 * 3600;
    format!(
        "{}.{}.c2ln",
        engine.encode(br#"{"alg":"none"}"#),
        engine.encode(format!(r#"{{"exp":{exp}}}"#))
    )
}

fn message_json(id: &str) -> serde_json::Value {
    json!({
        "id": id, "type": "text", "sequenceId": "3", "version": id,
        "content": { "message": TEXT },
        "senderDisplayName": "Alice", "createdOn": "2025-01-01T10:00:00Z",
        "senderCommunicationIdentifier": { "rawId": "8:acs:r_alice", "communicationUser": { "id": "8:acs:r_alice" } },
        "metadata": { "priority": "high" }
    })
}

/// The same answer to every request of a kind: 201 with an id for a POST, a
/// page of 50 messages for a list, one message for any other GET.
async fn fixed_server() -> Target {
    use axum::http::{header, Method, StatusCode};
    let one = serde_json::to_vec(&message_json(FIXED_MESSAGE)).expect("json");
    let page: Vec<_> = (0..50)
        .map(|i| message_json(&(1_700_000_000_000u64 + i).to_string()))
        .collect();
    let page = serde_json::to_vec(&json!({ "value": page })).expect("json");
    let sent = serde_json::to_vec(&json!({ "id": "1700000000001" })).expect("json");
    let (one, page, sent) = (
        axum::body::Bytes::from(one),
        axum::body::Bytes::from(page),
        axum::body::Bytes::from(sent),
    );
    let app = axum::Router::new().fallback(move |method: Method, uri: axum::http::Uri| {
        let (status, body) = if method == Method::POST {
            (StatusCode::CREATED, sent.clone())
        } else if uri.path().ends_with("/messages") {
            (StatusCode::OK, page.clone())
        } else {
            (StatusCode::OK, one.clone())
        };
        async move { (status, [(header::CONTENT_TYPE, "application/json")], body) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    Target {
        endpoint: format!("http://{address}"),
        token: fake_token(),
        thread: FIXED_THREAD.into(),
        message: FIXED_MESSAGE.into(),
    }
}

/// The emulator with one user, one thread of `messages` messages.
async fn emulator_server(messages: usize) -> Target {
    let emulator = acs_chat_emulator::Emulator::start()
        .await
        .expect("emulator");
    let endpoint = emulator.endpoint().trim_end_matches('/').to_string();
    let http = reqwest::Client::new();
    let minted: serde_json::Value = http
        .post(format!("{endpoint}/admin/tokens"))
        .json(&json!({}))
        .send()
        .await
        .expect("mint")
        .json()
        .await
        .expect("token json");
    let token = minted["accessToken"]["token"]
        .as_str()
        .expect("token")
        .to_string();
    let credential = CommunicationTokenCredential::new(token.clone()).expect("token");
    let client = ChatClient::builder(&endpoint, credential)
        .build()
        .expect("client");
    let created = client.create_chat_thread("bench").await.expect("thread");
    let thread = client.get_chat_thread_client(&created.chat_thread.id);
    let mut first = String::new();
    let batch = 32;
    for start in (0..messages).step_by(batch) {
        let sends = (start..(start + batch).min(messages))
            .map(|i| thread.send_message(format!("message {i}")).into_future());
        for sent in futures::future::join_all(sends).await {
            let sent = sent.expect("send");
            if first.is_empty() {
                first = sent.id;
            }
        }
    }
    // Kept alive until the process ends.
    std::mem::forget(emulator);
    Target {
        endpoint,
        token,
        thread: created.chat_thread.id,
        message: first,
    }
}

fn spawn_server(role: &str, extra: &[(&str, String)]) -> (Child, Target) {
    let mut command = Command::new(std::env::current_exe().expect("own path"));
    command
        .env("BENCH_ROLE", role)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (name, value) in extra {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("spawn a server");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("READY line");
    assert!(
        line.starts_with("READY "),
        "the {role} server said {line:?}"
    );
    (child, Target::from_line(&line))
}

// ---------------------------------------------------------------- clients

/// One side's client for one target: raw reqwest or the facade.
#[derive(Clone)]
struct Clients {
    http: reqwest::Client,
    bearer: Arc<str>,
    get_url: Arc<str>,
    list_url: Arc<str>,
    send_url: Arc<str>,
    send_body: Arc<wire::SendChatMessageRequest>,
    thread: ChatThreadClient,
    message: Arc<str>,
}

impl Clients {
    fn new(target: &Target) -> Clients {
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http");
        let base = format!(
            "{}/chat/threads/{}/messages",
            target.endpoint, target.thread
        );
        let credential = CommunicationTokenCredential::new(target.token.clone()).expect("token");
        let client = ChatClient::builder(&target.endpoint, credential)
            .http_client(http.clone())
            .build()
            .expect("client");
        let body = wire::SendChatMessageRequest {
            content: TEXT.into(),
            metadata: Default::default(),
            sender_display_name: None,
            type_: Some(wire::ChatMessageType::Text),
        };
        Clients {
            bearer: format!("Bearer {}", target.token).into(),
            get_url: format!("{base}/{}?api-version={API_VERSION}", target.message).into(),
            list_url: format!("{base}?maxPageSize=50&api-version={API_VERSION}").into(),
            send_url: format!("{base}?api-version={API_VERSION}").into(),
            send_body: Arc::new(body),
            thread: client.get_chat_thread_client(&target.thread),
            message: target.message.as_str().into(),
            http,
        }
    }

    async fn raw(&self, op: Op) {
        let request = match op {
            // Serialized per request, as a client sending messages does.
            Op::Send => self.http.post(&*self.send_url).json(&*self.send_body),
            Op::Get => self.http.get(&*self.get_url),
            Op::List50 => self.http.get(&*self.list_url),
        };
        let response = request
            .header(reqwest::header::AUTHORIZATION, &*self.bearer)
            .header("x-ms-client-request-id", uuid::Uuid::new_v4().to_string())
            .send()
            .await
            .expect("raw request");
        assert!(response.status().is_success(), "{}", response.status());
        let body = response.bytes().await.expect("body");
        match op {
            Op::Send => {
                let sent: wire::SendChatMessageResult =
                    serde_json::from_slice(&body).expect("decode");
                std::hint::black_box(sent);
            }
            Op::Get => {
                let message: wire::ChatMessage = serde_json::from_slice(&body).expect("decode");
                std::hint::black_box(message);
            }
            Op::List50 => {
                let page: wire::ChatMessagesCollection =
                    serde_json::from_slice(&body).expect("decode");
                assert!(page.value.len() >= 50, "a page of {}", page.value.len());
                std::hint::black_box(page);
            }
        }
    }

    async fn facade(&self, op: Op) {
        match op {
            Op::Send => {
                let sent = self.thread.send_message(TEXT).await.expect("send");
                std::hint::black_box(sent);
            }
            Op::Get => {
                let message = self.thread.get_message(&*self.message).await.expect("get");
                std::hint::black_box(message);
            }
            Op::List50 => {
                let mut pages =
                    Box::pin(self.thread.list_messages().results_per_page(50).by_page());
                let page = pages.try_next().await.expect("list").expect("a page");
                assert!(page.items.len() >= 50, "a page of {}", page.items.len());
                std::hint::black_box(page);
            }
        }
    }

    async fn run(&self, side: Side, op: Op) {
        match side {
            Side::Raw => self.raw(op).await,
            Side::Facade => self.facade(op).await,
        }
    }
}

/// CPU time of every thread of this process, in nanoseconds, from
/// `/proc/self/task/*/schedstat` (nanosecond resolution).
fn process_cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(|task| task.ok())
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|line| line.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// One window: requests per second and client CPU µs per request.
async fn window(
    clients: &Clients,
    side: Side,
    op: Op,
    tasks: usize,
    length: Duration,
) -> (f64, f64) {
    let done = Arc::new(AtomicU64::new(0));
    let cpu_before = process_cpu_ns();
    let started = Instant::now();
    let deadline = started + length;
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let (clients, done) = (clients.clone(), done.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    clients.run(side, op).await;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.expect("task");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = process_cpu_ns().saturating_sub(cpu_before) as f64;
    let done = done.load(Ordering::Relaxed).max(1) as f64;
    (done / elapsed, cpu / done / 1000.0)
}

fn stats(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(|a, b| a.total_cmp(b));
    let median = values[values.len() / 2];
    (values[0], median, values[values.len() - 1])
}

async fn compare(name: &str, target: &Target, ops: &[Op]) {
    // Many short pairs: on a shared machine a window now and then runs
    // slower for both sides alike, and the median of 15 pairs outlasts a
    // few of them.
    let rounds = env_u64("BENCH_ROUNDS", 15) as usize;
    let length = Duration::from_millis(env_u64("BENCH_WINDOW_MS", 800));
    let clients = Clients::new(target);
    println!("\n{name}: {rounds} rounds of {length:?} per side, interleaved");
    println!(
        "  {:<8} {:>3} {:>11} {:>11} {:>26} {:>10} {:>10} {:>26}",
        "op",
        "c",
        "raw req/s",
        "facade",
        "throughput ratio min/med/max",
        "raw µs",
        "facade µs",
        "CPU/req ratio min/med/max"
    );
    let op_names: Vec<&str> = ops.iter().map(|op| op.name()).collect();
    for &op in ops
        .iter()
        .filter(|op| chosen("BENCH_OPS", op.name(), &op_names))
    {
        for tasks in [1usize, 16] {
            if !chosen("BENCH_TASKS", &tasks.to_string(), &["1", "16"]) {
                continue;
            }
            // Warm both sides (connections, lazy state) before measuring.
            window(&clients, Side::Raw, op, tasks, length / 4).await;
            window(&clients, Side::Facade, op, tasks, length / 4).await;
            let (mut raw, mut facade) = (Vec::new(), Vec::new());
            for round in 0..rounds {
                let order = if round % 2 == 0 {
                    [Side::Raw, Side::Facade]
                } else {
                    [Side::Facade, Side::Raw]
                };
                for side in order {
                    let figures = window(&clients, side, op, tasks, length).await;
                    match side {
                        Side::Raw => raw.push(figures),
                        Side::Facade => facade.push(figures),
                    }
                }
            }
            let throughput = stats(raw.iter().zip(&facade).map(|(r, f)| f.0 / r.0).collect());
            let cpu = stats(raw.iter().zip(&facade).map(|(r, f)| f.1 / r.1).collect());
            let raw_rate = stats(raw.iter().map(|r| r.0).collect()).1;
            let facade_rate = stats(facade.iter().map(|f| f.0).collect()).1;
            let raw_cpu = stats(raw.iter().map(|r| r.1).collect()).1;
            let facade_cpu = stats(facade.iter().map(|f| f.1).collect()).1;
            println!(
                "  {:<8} {:>3} {:>11.0} {:>11.0} {:>26} {:>10.1} {:>10.1} {:>26}",
                op.name(),
                tasks,
                raw_rate,
                facade_rate,
                format!(
                    "{:.2} / {:.2} / {:.2}",
                    throughput.0, throughput.1, throughput.2
                ),
                raw_cpu,
                facade_cpu,
                format!("{:.2} / {:.2} / {:.2}", cpu.0, cpu.1, cpu.2),
            );
        }
    }
}

/// Whether `value` is in the comma-separated list in the environment
/// variable `name` (everything is, when it is unset). A name not in `known`
/// stops the bench rather than measure nothing.
fn chosen(name: &str, value: &str, known: &[&str]) -> bool {
    let Ok(list) = std::env::var(name) else {
        return true;
    };
    let items: Vec<&str> = list.split(',').map(str::trim).collect();
    if let Some(unknown) = items.iter().find(|item| !known.contains(item)) {
        panic!("{name}: {unknown:?} is none of {known:?}");
    }
    items.contains(&value)
}

// ---------------------------------------------------------------- callgrind

/// What a one-side client role measures: `BENCH_TARGET` (a server's READY
/// line), `BENCH_OP` and `BENCH_SIDE` (`raw` or `facade`).
fn client_args() -> (Target, Op, Side) {
    let target = Target::from_line(&std::env::var("BENCH_TARGET").expect("BENCH_TARGET"));
    let op = Op::parse(&std::env::var("BENCH_OP").unwrap_or_default());
    let side = match std::env::var("BENCH_SIDE").as_deref() {
        Ok("raw") => Side::Raw,
        Ok("facade") => Side::Facade,
        other => panic!("BENCH_SIDE must be raw or facade, not {other:?}"),
    };
    (target, op, side)
}

/// Under valgrind: `BENCH_N` requests of `BENCH_OP` by `BENCH_SIDE` after
/// one warm-up request, shared by `BENCH_CALLGRIND_TASKS` tasks (1 by
/// default: one at a time, as the printed instruction counts are). With
/// 16, a cache simulation run by hand (`valgrind --tool=cachegrind
/// --cache-sim=yes`) sees the interleaving of the c=16 windows.
fn callgrind_client() {
    let (target, op, side) = client_args();
    let n = env_u64("BENCH_N", 100);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let tasks = env_u64("BENCH_CALLGRIND_TASKS", 1).max(1);
    runtime.block_on(async {
        let clients = Clients::new(&target);
        clients.run(side, op).await;
        let handles: Vec<_> = (0..tasks)
            .map(|task| {
                let clients = clients.clone();
                // `n` in all, shared as evenly as the count allows.
                let share = n / tasks + u64::from(task < n % tasks);
                tokio::spawn(async move {
                    for _ in 0..share {
                        clients.run(side, op).await;
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.expect("task");
        }
    });
}

/// One side alone, for `perf stat` or `strace -c` on the side's own
/// process: `BENCH_TASKS` tasks (16 by default) run `BENCH_OP` by
/// `BENCH_SIDE` for `BENCH_WINDOW_MS` against `BENCH_TARGET`, on the same
/// multi-threaded runtime as the interleaved windows.
fn soak_client() {
    let (target, op, side) = client_args();
    let tasks = env_u64("BENCH_TASKS", 16) as usize;
    let length = Duration::from_millis(env_u64("BENCH_WINDOW_MS", 5000));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let clients = Clients::new(&target);
        window(&clients, side, op, tasks, length / 10).await;
        let (rate, cpu) = window(&clients, side, op, tasks, length).await;
        println!(
            "{side:?} {} c={tasks}: {rate:.0} req/s, {cpu:.1} µs CPU/req",
            op.name()
        );
    });
}

/// Instructions of one callgrind run.
fn instructions(target: &Target, side: &str, op: Op, n: u64) -> Option<u64> {
    let out = std::env::temp_dir().join(format!("acs-bench-callgrind-{}.out", std::process::id()));
    let output = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(std::env::current_exe().ok()?)
        .env("BENCH_ROLE", "callgrind-client")
        .env(
            "BENCH_TARGET",
            format!(
                "READY {} {} {} {}",
                target.endpoint, target.token, target.thread, target.message
            ),
        )
        .env("BENCH_SIDE", side)
        .env("BENCH_OP", op.name())
        .env("BENCH_N", n.to_string())
        // The printed counts are of one request at a time (c=1).
        .env("BENCH_CALLGRIND_TASKS", "1")
        .stdout(Stdio::null())
        .output()
        .ok()?;
    let _ = std::fs::remove_file(&out);
    let stderr = String::from_utf8_lossy(&output.stderr);
    stderr.lines().find_map(|line| {
        let (_, count) = line.split_once("Collected :")?;
        count.trim().parse().ok()
    })
}

fn callgrind(target: &Target) {
    let (low, high) = (
        env_u64("BENCH_CALLGRIND_LOW", 200),
        env_u64("BENCH_CALLGRIND_HIGH", 1200),
    );
    println!(
        "\ninstructions per request (valgrind --tool=callgrind, c=1, fixed-response server, ({high} − {low} requests) difference):"
    );
    for op in [Op::Send, Op::Get] {
        let mut per = Vec::new();
        for side in ["raw", "facade"] {
            let counts = (
                instructions(target, side, op, low),
                instructions(target, side, op, high),
            );
            match counts {
                (Some(a), Some(b)) => per.push(b.saturating_sub(a) as f64 / (high - low) as f64),
                _ => {
                    println!("  valgrind did not run (is it installed?)");
                    return;
                }
            }
        }
        println!(
            "  {:<5} raw reqwest {:>9.0}   acs-chat {:>9.0}   facade/raw {:.3}",
            op.name(),
            per[0],
            per[1],
            per[1] / per[0]
        );
    }
}

// ---------------------------------------------------------------- paging RSS

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn paging_rss() {
    let messages = env_u64("BENCH_PAGING_MESSAGES", 100_000);
    let (mut child, target) = spawn_server("emulator", &[("BENCH_MESSAGES", messages.to_string())]);
    let clients = Clients::new(&target);
    // A first page warms the connection pool and the credential.
    let mut warm = Box::pin(
        clients
            .thread
            .list_messages()
            .results_per_page(200)
            .by_page(),
    );
    warm.try_next().await.expect("page");
    drop(warm);
    let before = rss_kb();
    let mut seen = 0u64;
    let mut pager = clients.thread.list_messages().results_per_page(200);
    while let Some(message) = pager.try_next().await.expect("page") {
        std::hint::black_box(message);
        seen += 1;
    }
    let after = rss_kb();
    println!(
        "\npaging {seen} messages (pages of 200) through the facade: client RSS {before} kB → {after} kB, growth {} kB",
        after.saturating_sub(before)
    );
    let _ = child.kill();
}

// ---------------------------------------------------------------- main

fn orchestrate() {
    let part = std::env::var("BENCH_PART").unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    if part == "paging-rss" {
        runtime.block_on(paging_rss());
        return;
    }
    let (mut fixed_child, fixed) = spawn_server("fixed-server", &[]);
    let servers = ["fixed", "emulator"];
    if part != "callgrind" {
        let ops = [Op::Send, Op::Get, Op::List50];
        if chosen("BENCH_SERVERS", "fixed", &servers) {
            runtime.block_on(compare(
                "fixed-response server (child process)",
                &fixed,
                &ops,
            ));
        }
        if chosen("BENCH_SERVERS", "emulator", &servers) {
            let (mut emulator_child, emulator) = spawn_server("emulator", &[]);
            runtime.block_on(compare("emulator (child process)", &emulator, &ops));
            let _ = emulator_child.kill();
        }
    }
    if part == "callgrind" || std::env::var("BENCH_CALLGRIND").is_ok_and(|v| v == "1") {
        callgrind(&fixed);
    }
    let _ = fixed_child.kill();
}

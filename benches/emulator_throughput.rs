//! How fast the emulator answers, next to an axum handler that does nothing,
//! measured in the same run with the same client and concurrency:
//!
//! ```text
//! cargo bench --bench emulator_throughput
//! ```
//!
//! It prints, in interleaved rounds, requests per second for send-message,
//! get-message and list-messages (a page of 50 from a thread of 1,000
//! messages), each next to its no-op twin: the same request (path, query,
//! token, body) to an axum handler that does nothing, so that sending it
//! costs the client the same on both sides (the twin's answer is a short
//! fixed JSON, where the emulator's is the message or the page). Each emulator
//! figure is printed as a share of the same round's twin (aims: list-50 at
//! 0.5 or more, send at 0.75 or more), and of a short `POST /noop` without a
//! token, the reference of earlier versions of this bench;
//! then the cost of one `GET /chat/threads` page for a user with 1,000,
//! 10,000 and 20,000 threads (aim: the page at 20,000 within 2× of the page
//! at 1,000) and of walking all 20,000; then the resident memory per stored
//! 45-byte text message (aim: 300 bytes or less), measured in a new process
//! of this bench so that memory freed earlier in the run does not hide it.
//!
//! Every request is prepared once (URL parsed, body encoded), the no-op's as
//! the emulator's, so that the client's share is the same on both sides.
//! The bench runs on mimalloc, the allocator of the `acs-chat-emulator`
//! binary.
//!
//! Chat events: send-message again on a thread of two participants, without
//! event subscriptions and with one subscription whose webhook answers 200
//! at once without reading the events, in alternating windows,
//! with the ratio of the two (aim: 0.8 or more); once with Event Grid's
//! default of one event per request and once with `maxEventsPerBatch` 100.
//! Beside throughput it prints the process's CPU time per send (client,
//! emulator and webhook together), whose ratio is steadier than throughput
//! on a noisy machine. Then the delivery latency from the start of a send
//! to the handler of an `acs_chat::webhook` receiver receiving its
//! `ChatMessageReceivedInThread`, p50 and p99 over 500 sends made one at a
//! time.
//!
//! `EMULATOR_BENCH=persistence`: send-message and list-messages (page of 50)
//! in memory and with `--data-dir` (SQLite, every acknowledged write
//! committed), in alternating windows, with the ratio (aim: persistent send
//! at 0.3 or more of in-memory); then the growth of this process's resident
//! memory over 100,000 sends, in memory and with a data directory.
//!
//! `EMULATOR_BENCH=event-instructions SENDS=n BATCH=b` (b = 0 for no
//! subscription) makes n sends one at a time (with `CONCURRENT=1`, from
//! 16 clients at once) and waits for every event to be delivered: run it under `valgrind --tool=callgrind` with two values of n
//! and divide the difference of the totals by the difference of n for a
//! deterministic instruction count per send.
//!
//! `EMULATOR_BENCH=profile-send|profile-get|profile-list|profile-noop|
//! profile-noop-send|profile-noop-get|profile-noop-list REQUESTS=n`: n of
//! that one request (`noop-x`: the twin of x; `noop`: the short no-op), for
//! a profiler (the same under
//! callgrind with two values of n gives instructions per request).

// The allocator of the `acs-chat-emulator` binary (see its `main.rs`), so
// that the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use acs_chat::events::ChatEvent;
use acs_chat::webhook::WebhookReceiver;
use acs_chat_emulator::events::NewEventSubscription;
use acs_chat_emulator::Emulator;
use axum::response::IntoResponse;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Mutex;

/// Concurrent clients.
const CONCURRENCY: usize = 16;
/// How long each measurement runs (after a short warm-up).
const MEASURE: Duration = Duration::from_secs(3);
const WARM_UP: Duration = Duration::from_millis(500);
/// Messages in the thread that list-messages reads.
const THREAD_SIZE: usize = 1_000;

type Request = Arc<dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync>;

/// A request made again and again, prepared once: its URL parsed, its
/// headers and JSON body (a POST when there is one, else a GET) encoded.
/// (reqwest still parses the URL again on every request, for its redirect
/// policy, which is why each emulator request is compared with its no-op
/// twin at the same path rather than with a short URL.)
fn prepared(url: &str, bearer: Option<&str>, body: Option<serde_json::Value>) -> Request {
    let url = reqwest::Url::parse(url).expect("a valid URL");
    let bearer = bearer.map(|b| reqwest::header::HeaderValue::from_str(b).expect("a header value"));
    let body = body.map(|b| serde_json::to_vec(&b).expect("JSON"));
    Arc::new(move |c| {
        let mut request = match &body {
            Some(body) => c
                .post(url.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone()),
            None => c.get(url.clone()),
        };
        if let Some(bearer) = &bearer {
            request = request.header(reqwest::header::AUTHORIZATION, bearer.clone());
        }
        request
    })
}

/// CPU time (user + system) this process has used, from `/proc/self/stat`
/// (clock ticks of 10 ms; windows of seconds make that precise enough).
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at ")".
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after ")".
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// Requests per second of `request`, sent by `CONCURRENCY` tasks for `MEASURE`.
async fn rate(client: &reqwest::Client, request: Request) -> f64 {
    rate_and_count(client, request).await.0
}

/// Requests per second and the number of requests of a `MEASURE` window.
async fn rate_and_count(client: &reqwest::Client, request: Request) -> (f64, u64) {
    let run = |duration: Duration| {
        let done = Arc::new(AtomicU64::new(0));
        let deadline = Instant::now() + duration;
        let tasks: Vec<_> = (0..CONCURRENCY)
            .map(|_| {
                let (client, request, done) = (client.clone(), request.clone(), done.clone());
                tokio::spawn(async move {
                    while Instant::now() < deadline {
                        let response = request(&client).send().await.expect("request");
                        assert!(response.status().is_success(), "{}", response.status());
                        response.bytes().await.expect("body");
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        async move {
            let started = Instant::now();
            for task in tasks {
                task.await.expect("task");
            }
            let done = done.load(Ordering::Relaxed);
            (done as f64 / started.elapsed().as_secs_f64(), done)
        }
    };
    run(WARM_UP).await;
    run(MEASURE).await
}

/// Sends `request` from `CONCURRENCY` tasks until `done` counts `up_to`
/// requests, each answer a success. `done` may carry a count from earlier
/// calls (to grow a set step by step).
async fn send_until(client: &reqwest::Client, done: &Arc<AtomicU64>, up_to: u64, request: Request) {
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (client, done, request) = (client.clone(), done.clone(), request.clone());
            tokio::spawn(async move {
                while done.fetch_add(1, Ordering::Relaxed) < up_to {
                    let answer = request(&client).send().await.expect("request");
                    assert!(answer.status().is_success(), "{}", answer.status());
                }
                // The claim that ended the loop was not a request.
                done.fetch_sub(1, Ordering::Relaxed);
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
}

/// An axum server whose handler does nothing, whatever the path: a POST
/// answers 201 `{"id":"1"}`, anything else 200 `{"value":[]}`. Its base URL.
async fn noop_server() -> String {
    let app = axum::Router::new().fallback(|method: axum::http::Method| async move {
        if method == axum::http::Method::POST {
            (
                axum::http::StatusCode::CREATED,
                axum::Json(json!({ "id": "1" })),
            )
        } else {
            (
                axum::http::StatusCode::OK,
                axum::Json(json!({ "value": [] })),
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    format!("http://{address}")
}

#[tokio::main]
async fn main() {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("client");
    // `EMULATOR_BENCH=events cargo bench --bench emulator_throughput` runs
    // only the chat-event figures.
    if std::env::var("EMULATOR_BENCH").is_ok_and(|only| only == "events") {
        events(&client).await;
        return;
    }
    // For instruction counts under `valgrind --tool=callgrind` (see
    // `events_instructions`).
    if std::env::var("EMULATOR_BENCH").is_ok_and(|only| only == "event-instructions") {
        events_instructions(&client).await;
        return;
    }
    if std::env::var("EMULATOR_BENCH").is_ok_and(|only| only == "memory") {
        memory_per_message(&client).await;
        return;
    }
    if std::env::var("EMULATOR_BENCH").is_ok_and(|only| only == "persistence") {
        persistence(&client).await;
        return;
    }
    let noop = noop_server().await;
    let emulator = Emulator::start().await.expect("emulator");
    let endpoint = emulator.endpoint().trim_end_matches('/').to_string();
    let minted: serde_json::Value = client
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
    let bearer = format!("Bearer {token}");
    let created: serde_json::Value = client
        .post(format!("{endpoint}/chat/threads?api-version=2025-03-15"))
        .header("authorization", &bearer)
        .json(&json!({ "topic": "benchmark" }))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("thread json");
    let thread_id = created["chatThread"]["id"]
        .as_str()
        .expect("thread id")
        .to_string();
    let messages = format!("{endpoint}/chat/threads/{thread_id}/messages?api-version=2025-03-15");
    for i in 0..THREAD_SIZE {
        let response = client
            .post(&messages)
            .header("authorization", &bearer)
            .json(&json!({ "content": format!("seed {i}") }))
            .send()
            .await
            .expect("seed");
        assert!(response.status().is_success());
    }

    // The request of each kind, and its twin to the no-op server: the same
    // path, query, token and body, so that the client's work (reqwest
    // parses each request's URL again, for its redirect policy, at a cost
    // that grows with the URL) and the HTTP server's are the same on both
    // sides. The short `/noop` POST without a token of earlier versions of
    // this bench is kept as a second reference.
    let pair = |url: &str, body: Option<serde_json::Value>| {
        let twin = url.replacen(endpoint.as_str(), &noop, 1);
        (
            prepared(url, Some(&bearer), body.clone()),
            prepared(&twin, Some(&bearer), body),
        )
    };
    let short_noop = prepared(
        &format!("{noop}/noop"),
        None,
        Some(json!({ "content": "hello" })),
    );
    let (send, noop_send) = pair(
        &messages,
        Some(json!({ "content": "hello", "senderDisplayName": "bench" })),
    );
    let first_message: serde_json::Value = client
        .get(format!("{messages}&maxPageSize=1"))
        .header("authorization", &bearer)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("page json");
    let message_id = first_message["value"][0]["id"]
        .as_str()
        .expect("a message id")
        .to_owned();
    let (get, noop_get) = pair(
        &format!(
            "{endpoint}/chat/threads/{thread_id}/messages/{message_id}?api-version=2025-03-15"
        ),
        None,
    );
    let (list, noop_list) = pair(&format!("{messages}&maxPageSize=50"), None);

    // `EMULATOR_BENCH=profile-send|profile-get|profile-list|profile-noop
    // REQUESTS=n` makes only n of that request (default 30,000), for a
    // profiler: under `valgrind --tool=callgrind` with two values of n, the
    // difference of the totals over the difference of n is the instructions
    // per request, setup cancelled out.
    if let Ok(only) = std::env::var("EMULATOR_BENCH") {
        let request = match only.as_str() {
            "profile-send" => Some(send.clone()),
            "profile-get" => Some(get.clone()),
            "profile-list" => Some(list.clone()),
            "profile-noop" => Some(short_noop.clone()),
            "profile-noop-send" => Some(noop_send.clone()),
            "profile-noop-get" => Some(noop_get.clone()),
            "profile-noop-list" => Some(noop_list.clone()),
            _ => None,
        };
        if let Some(request) = request {
            let requests = std::env::var("REQUESTS")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(30_000);
            let started = Instant::now();
            send_until(&client, &Arc::new(AtomicU64::new(0)), requests, request).await;
            let rate = requests as f64 / started.elapsed().as_secs_f64();
            println!("{only}: {requests} requests, {rate:.0} req/s");
            return;
        }
    }
    // Interleaved rounds: in each, the short no-op, then every request kind
    // right after its no-op twin; each figure's share of the same round's
    // twin, and of the same round's short no-op.
    let rounds = 5;
    let kinds = [
        ("send-message", send, noop_send),
        ("get-message", get, noop_get),
        ("list-messages (50)", list, noop_list),
    ];
    let mut shares: Vec<[Vec<f64>; 4]> = vec![Default::default(); kinds.len()];
    let mut short_rates = Vec::new();
    for _ in 0..rounds {
        let short_rate = rate(&client, short_noop.clone()).await;
        short_rates.push(short_rate);
        for (i, (_, request, twin)) in kinds.iter().enumerate() {
            let twin_rate = rate(&client, twin.clone()).await;
            let figure = rate(&client, request.clone()).await;
            let [rates, twins, shares_of_twin, shares_of_short] = &mut shares[i];
            rates.push(figure);
            twins.push(twin_rate);
            shares_of_twin.push(figure / twin_rate);
            shares_of_short.push(figure / short_rate);
        }
    }
    println!(
        "emulator throughput, {CONCURRENCY} concurrent clients, {rounds} interleaved rounds of {MEASURE:?} each (median req/s; share of the same round's no-op twin (the same request to an axum no-op handler), min/median/max; then the median share of the short no-op POST without a token):"
    );
    println!(
        "  axum no-op, short POST /noop : {:>9.0} req/s",
        median(&short_rates)
    );
    for ((name, _, _), [rates, twins, of_twin, of_short]) in kinds.iter().zip(&shares) {
        let (low, mid, high) = spread(of_twin);
        let (_, short_mid, _) = spread(of_short);
        println!(
            "  {name:<19}: {:>9.0} req/s, no-op twin {:>9.0} req/s ({low:.2} / {mid:.2} / {high:.2} of the twin; {short_mid:.2} of the short no-op)",
            median(rates),
            median(twins)
        );
    }
    emulator.shutdown().await;
    thread_pages(&client).await;
    memory_in_fresh_process();
    // `EMULATOR_BENCH=requests`: everything above, without the event figures.
    if !std::env::var("EMULATOR_BENCH").is_ok_and(|only| only == "requests") {
        events(&client).await;
    }
}

fn median(values: &[f64]) -> f64 {
    spread(values).1
}

/// Min, median and max.
fn spread(values: &[f64]) -> (f64, f64, f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let Some(&last) = sorted.last() else {
        return (0.0, 0.0, 0.0);
    };
    (sorted[0], sorted[sorted.len() / 2], last)
}

/// The cost of one `GET /chat/threads` page (50 threads) for a user with
/// 1,000, 10,000 and 20,000 threads, and of walking all 20,000.
async fn thread_pages(client: &reqwest::Client) {
    let emulator = Emulator::start().await.expect("emulator");
    let endpoint = emulator.endpoint().trim_end_matches('/').to_string();
    let (bearer, _) = user(client, &endpoint).await;
    let threads = format!("{endpoint}/chat/threads?api-version=2025-03-15");
    let created = Arc::new(AtomicU64::new(0));
    println!("ListChatThreads, a page of 50, one user (mean of 200 pages, one at a time):");
    for size in [1_000u64, 10_000, 20_000] {
        let create: Request = {
            let (threads, bearer) = (threads.clone(), bearer.clone());
            Arc::new(move |c| {
                c.post(&threads)
                    .header("authorization", &bearer)
                    .json(&json!({ "topic": "page" }))
            })
        };
        send_until(client, &created, size, create).await;
        let page = format!("{threads}&maxPageSize=50");
        let started = Instant::now();
        for _ in 0..200 {
            let answer = client
                .get(&page)
                .header("authorization", &bearer)
                .send()
                .await
                .expect("page");
            assert!(answer.status().is_success());
            answer.bytes().await.expect("body");
        }
        println!(
            "  {size:>6} threads: {:>7.3} ms per page",
            started.elapsed().as_secs_f64() * 1000.0 / 200.0
        );
    }
    let started = Instant::now();
    let mut next = Some(format!("{threads}&maxPageSize=200"));
    let mut seen = 0usize;
    while let Some(url) = next.take() {
        let page: serde_json::Value = client
            .get(&url)
            .header("authorization", &bearer)
            .send()
            .await
            .expect("page")
            .json()
            .await
            .expect("page json");
        seen += page["value"].as_array().map_or(0, Vec::len);
        next = page["nextLink"].as_str().map(str::to_owned);
    }
    println!(
        "  walking all {seen} threads (pages of 200): {:.3} s",
        started.elapsed().as_secs_f64()
    );
    emulator.shutdown().await;
}

/// [`memory_per_message`] in a new process of this bench: in this one, the
/// allocator keeps what the emulators before it freed and hands it out again,
/// so that resident memory would hardly grow.
fn memory_in_fresh_process() {
    let measured = std::env::current_exe().and_then(|bench| {
        std::process::Command::new(bench)
            .env("EMULATOR_BENCH", "memory")
            .stderr(std::process::Stdio::inherit())
            .output()
    });
    match measured {
        Ok(output) if output.status.success() => {
            print!("{}", String::from_utf8_lossy(&output.stdout));
        }
        Ok(output) => println!(
            "memory per stored message: the measurement failed ({})",
            output.status
        ),
        Err(err) => println!("memory per stored message: could not start the measurement ({err})"),
    }
}

/// Resident memory per stored message: the growth over 100,000 sends of a
/// 45-byte text to one thread (`EMULATOR_BENCH=memory`).
async fn memory_per_message(client: &reqwest::Client) {
    const MESSAGES: u64 = 100_000;
    const TEXT: &str = "a forty-five byte chat message for the bench!";
    let emulator = Emulator::start().await.expect("emulator");
    let endpoint = emulator.endpoint().trim_end_matches('/').to_string();
    let (bearer, _) = user(client, &endpoint).await;
    let created: serde_json::Value = client
        .post(format!("{endpoint}/chat/threads?api-version=2025-03-15"))
        .header("authorization", &bearer)
        .json(&json!({ "topic": "memory" }))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("thread json");
    let thread_id = created["chatThread"]["id"].as_str().expect("thread id");
    let messages = format!("{endpoint}/chat/threads/{thread_id}/messages?api-version=2025-03-15");
    let before = rss_kb();
    let send: Request = Arc::new(move |c| {
        c.post(&messages)
            .header("authorization", &bearer)
            .json(&json!({ "content": TEXT }))
    });
    send_until(client, &Arc::new(AtomicU64::new(0)), MESSAGES, send).await;
    let grown = rss_kb().saturating_sub(before);
    println!(
        "memory per stored message ({}-byte text, {MESSAGES} sends, resident growth): {} bytes",
        TEXT.len(),
        grown * 1024 / MESSAGES
    );
    emulator.shutdown().await;
}

/// Where the webhook reports thread-level message events, with their
/// arrival time, while latency is measured.
type Arrivals = Arc<Mutex<Option<tokio::sync::mpsc::UnboundedSender<(String, Instant)>>>>;

/// A webhook that answers at once; returns its URL, the arrival reporting
/// slot and a counter of every event handled.
async fn webhook() -> (String, Arrivals, Arc<AtomicU64>) {
    let arrivals: Arrivals = Arc::default();
    let handled = Arc::new(AtomicU64::new(0));
    let (report, count) = (Arc::clone(&arrivals), Arc::clone(&handled));
    let receiver = WebhookReceiver::builder().handler(move |envelope| {
        let (report, count) = (Arc::clone(&report), Arc::clone(&count));
        async move {
            let now = Instant::now();
            count.fetch_add(1, Ordering::Relaxed);
            if let ChatEvent::ChatMessageReceivedInThread(data) = envelope.event {
                if let Some(sender) = report.lock().expect("lock").as_ref() {
                    let _ = sender.send((data.message_id, now));
                }
            }
            Ok::<_, std::convert::Infallible>(())
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        axum::serve(listener, receiver.into_router())
            .await
            .expect("serve")
    });
    (format!("http://{address}/events"), arrivals, handled)
}

/// A webhook that answers 200 at once without reading the events, so that
/// the throughput figures measure the emulator's side of delivery.
async fn null_webhook() -> String {
    let app = axum::Router::new().fallback(
        |headers: axum::http::HeaderMap, body: axum::body::Bytes| async move {
            // Only the validation handshake needs an answer with content.
            if headers
                .get("aeg-event-type")
                .is_some_and(|v| v == "SubscriptionValidation")
            {
                let events: serde_json::Value = serde_json::from_slice(&body).expect("json");
                let code = events[0]["data"]["validationCode"].clone();
                return axum::Json(json!({ "validationResponse": code })).into_response();
            }
            axum::http::StatusCode::OK.into_response()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    format!("http://{address}/events")
}

/// `SENDS` sends, one at a time, on a thread of two, with no subscription
/// (`BATCH=0`) or one whose webhook answers at once (`BATCH` = its
/// `maxEventsPerBatch`), then waits until every event is delivered. Run it
/// under callgrind with two values of `SENDS`: the difference of the two
/// totals divided by the difference of the sends is the instructions per
/// send of the whole process (client, emulator, delivery, webhook), free of
/// start-up and of the machine's noise.
async fn events_instructions(client: &reqwest::Client) {
    let number = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (sends, batch) = (number("SENDS", 1000), number("BATCH", 0));
    let emulator = Emulator::start().await.expect("emulator");
    let endpoint = emulator.endpoint().trim_end_matches('/').to_string();
    let send = send_on_new_thread_of_two(client, &endpoint).await;
    let hub = emulator.state().events();
    if batch > 0 {
        let mut subscription = NewEventSubscription::webhook(null_webhook().await);
        subscription.max_events_per_batch = batch;
        hub.subscribe(subscription).await.expect("subscribe");
    }
    if std::env::var("CONCURRENT").is_ok_and(|v| v == "1") {
        // As the throughput windows send: CONCURRENCY clients at once, so
        // that deliveries carry full batches.
        send_until(client, &Arc::new(AtomicU64::new(0)), sends as u64, send).await;
    } else {
        for _ in 0..sends {
            let response = send(client).send().await.expect("send");
            assert!(response.status().is_success());
            response.bytes().await.expect("body");
        }
    }
    while hub.pending_events() > 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let report = hub.delivery_report();
    println!(
        "{sends} sends, batch {batch}: {} events delivered in {} requests",
        report.delivered,
        report.attempts.len()
    );
    emulator.shutdown().await;
}

/// A token for a new user of `endpoint`, and the user's id.
async fn user(client: &reqwest::Client, endpoint: &str) -> (String, String) {
    let minted: serde_json::Value = client
        .post(format!("{endpoint}/admin/tokens"))
        .json(&json!({}))
        .send()
        .await
        .expect("mint")
        .json()
        .await
        .expect("token json");
    (
        format!(
            "Bearer {}",
            minted["accessToken"]["token"].as_str().expect("token")
        ),
        minted["identity"]["id"].as_str().expect("id").to_string(),
    )
}

/// A new thread of two users of `endpoint`, and a send-message request on
/// it by its creator.
async fn send_on_new_thread_of_two(client: &reqwest::Client, endpoint: &str) -> Request {
    let (bearer, _) = user(client, endpoint).await;
    let (_, other) = user(client, endpoint).await;
    let created: serde_json::Value = client
        .post(format!("{endpoint}/chat/threads?api-version=2025-03-15"))
        .header("authorization", &bearer)
        .json(&json!({ "topic": "events", "participants": [
            { "communicationIdentifier": { "rawId": other, "communicationUser": { "id": other } } }
        ] }))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("thread json");
    let thread_id = created["chatThread"]["id"].as_str().expect("thread id");
    let messages = format!("{endpoint}/chat/threads/{thread_id}/messages?api-version=2025-03-15");
    prepared(
        &messages,
        Some(&bearer),
        Some(json!({ "content": "hello", "senderDisplayName": "bench" })),
    )
}

async fn events(client: &reqwest::Client) {
    const WINDOWS: usize = 5;
    let emulator = Emulator::start().await.expect("emulator");
    let endpoint = emulator.endpoint().trim_end_matches('/').to_string();
    let hub = emulator.state().events();
    let (url, arrivals, handled) = webhook().await;
    let null_url = null_webhook().await;
    // Every window starts from an empty emulator and a new thread of two, so
    // that the thread's growth does not favour either side.
    let fresh_thread = || async {
        emulator.state().reset().expect("in memory");
        send_on_new_thread_of_two(client, &endpoint).await
    };
    println!("chat events: send-message on a thread of 2, {CONCURRENCY} clients, {WINDOWS} alternating window pairs of {MEASURE:?}:");
    // `EVENT_BATCHES=100` (a comma-separated list) runs only those sizes.
    let batches: Vec<usize> = std::env::var("EVENT_BATCHES")
        .ok()
        .map(|list| {
            list.split(',')
                .map(|n| {
                    n.trim()
                        .parse()
                        .unwrap_or_else(|_| panic!("EVENT_BATCHES: {n:?} is not a batch size"))
                })
                .collect()
        })
        .unwrap_or_else(|| vec![1, 100]);
    for batch in batches {
        let (mut ratios, mut cpu_ratios) = (Vec::new(), Vec::new());
        for _ in 0..WINDOWS {
            let send = fresh_thread().await;
            let cpu = process_cpu();
            let (without, count) = rate_and_count(client, send).await;
            let cpu_without = (process_cpu() - cpu).as_secs_f64() / count as f64;
            let send = fresh_thread().await;
            let mut subscription = NewEventSubscription::webhook(&null_url);
            subscription.max_events_per_batch = batch;
            hub.subscribe(subscription).await.expect("subscribe");
            let cpu = process_cpu();
            let (with, count) = rate_and_count(client, send).await;
            let drained = Instant::now();
            while hub.pending_events() > 0 && drained.elapsed() < Duration::from_secs(60) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            // The CPU of the deliveries that finish after the window counts.
            let cpu_with = (process_cpu() - cpu).as_secs_f64() / count as f64;
            let report = hub.delivery_report();
            let requests = report.attempts.len();
            ratios.push(with / without);
            cpu_ratios.push(cpu_without / cpu_with);
            println!(
                "  maxEventsPerBatch {batch:>3}: without {without:>6.0} req/s {:>4.0} µs CPU/send, with {with:>6.0} req/s {:>4.0} µs CPU/send; ratio {:.2} (CPU {:.2}); {} events in {}{} requests, {} dead-lettered, drained {:?} after",
                cpu_without * 1e6,
                cpu_with * 1e6,
                with / without,
                cpu_without / cpu_with,
                report.delivered,
                if requests == acs_chat_emulator::events::MAX_LOGGED_ATTEMPTS { "over " } else { "" },
                requests,
                report.dead_lettered,
                drained.elapsed()
            );
        }
        for (name, values) in [
            ("throughput ratio", &mut ratios),
            ("CPU-per-send ratio", &mut cpu_ratios),
        ] {
            values.sort_by(f64::total_cmp);
            println!(
                "  maxEventsPerBatch {batch:>3}: {name} min {:.2} median {:.2} max {:.2}",
                values[0],
                values[values.len() / 2],
                values[values.len() - 1]
            );
        }
    }

    let send = fresh_thread().await;
    // Latency: one send at a time, from its start to the handler.
    let id = hub
        .subscribe(NewEventSubscription::webhook(&url))
        .await
        .expect("subscribe")
        .id;
    let (sender, mut arrived) = tokio::sync::mpsc::unbounded_channel();
    *arrivals.lock().expect("lock") = Some(sender);
    let mut early: HashMap<String, Instant> = HashMap::new();
    let mut latencies = Vec::new();
    for _ in 0..500 {
        let started = Instant::now();
        let sent: serde_json::Value = send(client)
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
        let message_id = sent["id"].as_str().expect("id").to_string();
        let at = match early.remove(&message_id) {
            Some(at) => at,
            None => loop {
                let next = tokio::time::timeout(Duration::from_secs(5), arrived.recv()).await;
                let Ok(Some((id, at))) = next else {
                    panic!("event of {message_id} not delivered in 5 s");
                };
                if id == message_id {
                    break at;
                }
                early.insert(id, at);
            },
        };
        latencies.push(at.saturating_duration_since(started));
    }
    hub.unsubscribe(&id).expect("in memory");
    latencies.sort();
    println!(
        "  delivery latency, send start to handler (500 sends, one at a time): p50 {:?}, p99 {:?}, max {:?}; {} events handled in all",
        latencies[latencies.len() / 2],
        latencies[latencies.len() * 99 / 100],
        latencies[latencies.len() - 1],
        handled.load(Ordering::Relaxed)
    );
    emulator.shutdown().await;
}

/// Resident memory of this process, from `/proc/self/status` (kB).
fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A send request and a list-50 request (thread of `THREAD_SIZE`) on `emulator`.
async fn send_and_list(client: &reqwest::Client, emulator: &Emulator) -> (Request, Request) {
    let endpoint = emulator.endpoint().trim_end_matches('/').to_string();
    let send = send_on_new_thread_of_two(client, &endpoint).await;
    let (bearer, _) = user(client, &endpoint).await;
    let created: serde_json::Value = client
        .post(format!("{endpoint}/chat/threads?api-version=2025-03-15"))
        .header("authorization", &bearer)
        .json(&json!({ "topic": "list" }))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("thread json");
    let thread_id = created["chatThread"]["id"]
        .as_str()
        .expect("thread id")
        .to_owned();
    let messages = format!("{endpoint}/chat/threads/{thread_id}/messages?api-version=2025-03-15");
    for i in 0..THREAD_SIZE {
        let answer = client
            .post(&messages)
            .header("authorization", &bearer)
            .json(&json!({ "content": format!("message {i}") }))
            .send()
            .await
            .expect("send");
        assert!(answer.status().is_success());
    }
    let list = prepared(&format!("{messages}&maxPageSize=50"), Some(&bearer), None);
    (send, list)
}

async fn persistence(client: &reqwest::Client) {
    let dir = std::env::temp_dir().join(format!("acs-emulator-bench-{}", uuid::Uuid::new_v4()));
    let memory = Emulator::start().await.expect("emulator");
    let disk = Emulator::builder()
        .data_dir(&dir)
        .start()
        .await
        .expect("emulator");
    let (memory_send, memory_list) = send_and_list(client, &memory).await;
    let (disk_send, disk_list) = send_and_list(client, &disk).await;
    for (name, in_memory, persisted) in [
        ("send-message", memory_send, disk_send),
        ("list-messages (page of 50)", memory_list, disk_list),
    ] {
        let mut ratios = Vec::new();
        for round in 1..=3 {
            let m = rate(client, in_memory.clone()).await;
            let d = rate(client, persisted.clone()).await;
            println!(
                "{name}: round {round}: in memory {m:.0}/s, --data-dir {d:.0}/s, ratio {:.2}",
                d / m
            );
            ratios.push(d / m);
        }
        ratios.sort_by(f64::total_cmp);
        println!(
            "{name}: --data-dir / in memory: min {:.2} median {:.2} max {:.2}",
            ratios[0], ratios[1], ratios[2]
        );
    }
    memory.shutdown().await;
    disk.shutdown().await;

    // Memory per 100,000 messages, one mode at a time in fresh emulators.
    const MESSAGES: usize = 100_000;
    for persisted in [false, true] {
        let emulator = if persisted {
            let dir = dir.join("rss");
            Emulator::builder()
                .data_dir(dir)
                .start()
                .await
                .expect("emulator")
        } else {
            Emulator::start().await.expect("emulator")
        };
        let endpoint = emulator.endpoint().trim_end_matches('/').to_string();
        let send = send_on_new_thread_of_two(client, &endpoint).await;
        let before = rss_kb();
        send_until(client, &Arc::new(AtomicU64::new(0)), MESSAGES as u64, send).await;
        let grown = rss_kb().saturating_sub(before);
        println!(
            "resident memory growth over {MESSAGES} messages, {}: {:.1} MB ({} bytes per message)",
            if persisted { "--data-dir" } else { "in memory" },
            grown as f64 / 1024.0,
            grown * 1024 / MESSAGES as u64
        );
        emulator.shutdown().await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}

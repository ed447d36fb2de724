//! The fault ledger: 10,000 mixed operations (60 % sends) from 32 concurrent
//! workers against the emulator over HTTP, with 10 % and then 30 % of the
//! chat requests meeting a fault, spread evenly over 429, 503, a connection
//! dropped before processing, one dropped after processing, a body cut off
//! halfway and an answer held past the client's per-try timeout.
//!
//! Every send carries a unique nonce in its metadata. Afterwards the threads
//! are listed with faults off and reconciled against the client-side ledger:
//! no nonce twice, every acknowledged send present exactly once (with the
//! id the client got), no send that failed definitely present, no panic,
//! and every idempotent operation succeeded within its retry budget. With
//! exactly-once sends, also no send lost and no unknown outcome.
//!
//! The operation sequence and the fault draws are seeded; with concurrent
//! workers the interleaving (which request meets which fault) varies from
//! run to run, which is the point: the invariants hold for every one.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use acs_chat::{ChatThreadClient, ErrorKind, Metadata, RetryOptions};
use acs_chat_emulator::FaultConfig;
use common::{set_faults, TestBed};
use futures::StreamExt;

const OPERATIONS: usize = 10_000;
const WORKERS: usize = 32;
const THREADS: usize = 8;
/// Per-try timeout: well above a loaded CI machine's ordinary latency, so
/// only the injected slow answers exceed it.
const TRY_TIMEOUT: Duration = Duration::from_secs(1);
const SLOW_ANSWER_MS: u64 = 2_500;
const NONCE_KEY: &str = "ledgerNonce";

/// `total` of the chat requests meet a fault, six kinds in equal shares.
fn fault_mix(total: f64, seed: u64) -> FaultConfig {
    let share = total / 6.0;
    FaultConfig {
        rate429: share,
        rate503: share,
        drop_before_rate: share,
        drop_after_rate: share,
        truncate_rate: share,
        slow_rate: share,
        slow_latency_ms: SLOW_ANSWER_MS,
        retry_after_seconds: 0,
        seed,
        path_prefix: Some("/chat".to_owned()),
        ..FaultConfig::default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Op {
    Send,
    GetMessage,
    UpdateMessage,
    GetThread,
    ListParticipants,
    ReadReceipt,
    Typing,
}

impl Op {
    fn draw(rng: &mut fastrand::Rng) -> Self {
        match rng.u32(0..100) {
            0..60 => Op::Send,
            60..70 => Op::GetMessage,
            70..78 => Op::UpdateMessage,
            78..86 => Op::GetThread,
            86..91 => Op::ListParticipants,
            91..97 => Op::ReadReceipt,
            _ => Op::Typing,
        }
    }
}

/// What became of one send.
#[derive(Debug)]
enum SendOutcome {
    Acknowledged(String),
    Unknown,
    Failed(String),
}

#[derive(Default)]
struct Ledger {
    sends: HashMap<u64, (usize, SendOutcome)>,
    idempotent_ok: HashMap<Op, usize>,
    idempotent_failed: Vec<(Op, String)>,
    panics: usize,
}

async fn run_ledger(fault_rate: f64, exactly_once: bool, seed: u64) {
    let started = Instant::now();
    let bed = TestBed::start().await;
    let retry = RetryOptions::default()
        .max_retries(15)
        .initial_delay(Duration::from_millis(2))
        .max_delay(Duration::from_millis(100));
    let alice = bed.user_with(retry.clone()).await;
    let bob = bed.user().await;
    let alice_chat = acs_chat::ChatClient::builder(
        bed.emulator.endpoint(),
        acs_chat::CommunicationTokenCredential::new(alice.token.clone()).expect("token"),
    )
    .retry(retry)
    .timeout(TRY_TIMEOUT)
    .build()
    .expect("client");

    let mut threads: Vec<ChatThreadClient> = Vec::new();
    for i in 0..THREADS {
        let created = alice
            .chat
            .create_chat_thread(format!("ledger {i}"))
            .participants([acs_chat::ChatParticipant::new(bob.user.clone())])
            .await
            .expect("thread");
        threads.push(alice_chat.get_chat_thread_client(&created.chat_thread.id));
    }
    set_faults(&bed.emulator, &fault_mix(fault_rate, seed)).await;

    let mut rng = fastrand::Rng::with_seed(seed);
    let plan: Vec<(u64, Op, usize, u64)> = (0..OPERATIONS as u64)
        .map(|i| (i, Op::draw(&mut rng), rng.usize(0..THREADS), rng.u64(..)))
        .collect();
    let acknowledged: Arc<Vec<Mutex<Vec<String>>>> =
        Arc::new((0..THREADS).map(|_| Mutex::new(Vec::new())).collect());
    let ledger = Arc::new(Mutex::new(Ledger::default()));

    futures::stream::iter(plan)
        .for_each_concurrent(WORKERS, |(nonce, op, t, pick)| {
            let thread = threads[t].clone();
            let acknowledged = acknowledged.clone();
            let ledger = ledger.clone();
            async move {
                let task = tokio::spawn(perform(
                    op,
                    nonce,
                    t,
                    pick,
                    thread,
                    acknowledged,
                    ledger.clone(),
                    exactly_once,
                ));
                if let Err(err) = task.await {
                    assert!(err.is_panic(), "{err}");
                    ledger.lock().unwrap().panics += 1;
                }
            }
        })
        .await;

    set_faults(&bed.emulator, &FaultConfig::default()).await;
    // Reconcile: every message of every thread, listed with faults off.
    let mut present: HashMap<u64, Vec<(usize, String)>> = HashMap::new();
    for (t, thread) in threads.iter().enumerate() {
        let messages = thread.list_messages().collect_all().await.expect("list");
        for message in messages {
            if let Some(nonce) = message.metadata.get(NONCE_KEY) {
                let nonce: u64 = nonce.parse().expect("a nonce");
                present.entry(nonce).or_default().push((t, message.id));
            }
        }
    }

    let ledger = ledger.lock().unwrap();
    let duplicates = present.values().filter(|copies| copies.len() > 1).count();
    let (mut acked, mut unknown, mut unknown_present, mut failed) = (0, 0, 0, 0);
    let (mut acked_missing, mut failed_present, mut wrong_id) = (0, 0, 0);
    for (nonce, (t, outcome)) in &ledger.sends {
        let copies = present.get(nonce).map(Vec::as_slice).unwrap_or_default();
        match outcome {
            SendOutcome::Acknowledged(id) => {
                acked += 1;
                match copies {
                    [(thread, found)] if thread == t && found == id => {}
                    [] => acked_missing += 1,
                    _ => wrong_id += 1,
                }
            }
            SendOutcome::Unknown => {
                unknown += 1;
                unknown_present += usize::from(!copies.is_empty());
            }
            SendOutcome::Failed(_) => {
                failed += 1;
                failed_present += usize::from(!copies.is_empty());
            }
        }
    }
    let stray = present
        .keys()
        .filter(|n| !ledger.sends.contains_key(n))
        .count();
    let idempotent: usize = ledger.idempotent_ok.values().sum();
    println!(
        "fault ledger: {:.0}% faults, exactly-once {}: {} operations in {:.1}s; sends {} \
         (acknowledged {acked}, unknown {unknown} of which {unknown_present} present, \
         failed {failed}); idempotent operations {} ok, {} failed; duplicates {duplicates}, \
         acknowledged but missing {acked_missing}, wrong id {wrong_id}, failed but present \
         {failed_present}, stray {stray}, panics {}",
        fault_rate * 100.0,
        if exactly_once { "on" } else { "off" },
        OPERATIONS,
        started.elapsed().as_secs_f64(),
        ledger.sends.len(),
        idempotent,
        ledger.idempotent_failed.len(),
        ledger.panics,
    );
    let failures: Vec<_> = ledger
        .sends
        .values()
        .filter_map(|(_, o)| match o {
            SendOutcome::Failed(e) => Some(e.clone()),
            _ => None,
        })
        .take(3)
        .collect();
    assert_eq!(ledger.panics, 0);
    assert_eq!(duplicates, 0, "a nonce appears twice");
    assert_eq!(acked_missing, 0, "an acknowledged send is missing");
    assert_eq!(wrong_id, 0, "an acknowledged send has another id");
    assert_eq!(
        failed_present, 0,
        "a send that failed definitely is present"
    );
    assert_eq!(stray, 0, "a message nobody sent");
    assert!(
        ledger.idempotent_failed.is_empty(),
        "idempotent operations failed: {:?}",
        &ledger.idempotent_failed[..ledger.idempotent_failed.len().min(3)]
    );
    assert_eq!(
        idempotent + ledger.sends.len(),
        OPERATIONS,
        "every operation is in the ledger"
    );
    if exactly_once {
        assert_eq!(unknown, 0, "exactly-once leaves no outcome unknown");
        assert_eq!(failed, 0, "exactly-once sends all succeed: {failures:?}");
    }
}

#[allow(clippy::too_many_arguments)]
async fn perform(
    op: Op,
    nonce: u64,
    t: usize,
    pick: u64,
    thread: ChatThreadClient,
    acknowledged: Arc<Vec<Mutex<Vec<String>>>>,
    ledger: Arc<Mutex<Ledger>>,
    exactly_once: bool,
) {
    let target = || {
        let ids = acknowledged[t].lock().unwrap();
        (!ids.is_empty()).then(|| ids[(pick % ids.len() as u64) as usize].clone())
    };
    let result: acs_chat::Result<()> = match (op, target()) {
        (Op::Send, _) => {
            let metadata = Metadata::from([(NONCE_KEY.to_owned(), nonce.to_string())]);
            let mut send = thread
                .send_message(format!("ledger message {nonce}"))
                .metadata(metadata);
            if exactly_once {
                send = send.exactly_once();
            }
            let outcome = match send.await {
                Ok(sent) => {
                    acknowledged[t].lock().unwrap().push(sent.id.clone());
                    SendOutcome::Acknowledged(sent.id)
                }
                Err(e) if e.kind() == ErrorKind::OutcomeUnknown => SendOutcome::Unknown,
                Err(e) => SendOutcome::Failed(e.to_string()),
            };
            ledger.lock().unwrap().sends.insert(nonce, (t, outcome));
            return;
        }
        (Op::GetMessage, Some(id)) => thread.get_message(&id).await.map(drop),
        (Op::UpdateMessage, Some(id)) => {
            thread
                .update_message(&id)
                .content(format!("edited by operation {nonce}"))
                .await
        }
        (Op::ReadReceipt, Some(id)) => thread.send_read_receipt(&id).await,
        (Op::ListParticipants, _) => thread.list_participants().collect_all().await.map(drop),
        (Op::Typing, _) => thread.send_typing_notification().await,
        // GetThread, or a message operation before any message exists.
        _ => thread.get_properties().await.map(drop),
    };
    let mut ledger = ledger.lock().unwrap();
    match result {
        Ok(()) => *ledger.idempotent_ok.entry(op).or_default() += 1,
        Err(e) => ledger.idempotent_failed.push((op, e.to_string())),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_at_10_percent_faults() {
    run_ledger(0.10, false, 20_261_201).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_at_30_percent_faults() {
    run_ledger(0.30, false, 20_261_202).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_at_10_percent_faults_exactly_once() {
    run_ledger(0.10, true, 20_261_203).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_at_30_percent_faults_exactly_once() {
    run_ledger(0.30, true, 20_261_204).await;
}

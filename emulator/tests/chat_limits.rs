//! The service's documented limits at their boundaries: at the limit the
//! request is accepted, one over it is refused as the service refuses it.
//! Sources in emulator/README.md ("limits").

mod chat_support;

use chat_support::{enc, participant, Chat, User};
use reqwest::Method;
use serde_json::{json, Value};

async fn users(chat: &Chat, n: usize) -> Vec<User> {
    let mut all = Vec::with_capacity(n);
    for _ in 0..n {
        all.push(chat.user().await);
    }
    all
}

fn assert_bad_request(status: u16, body: &Value, target: &str) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "BadRequest", "{body}");
    assert_eq!(body["error"]["target"], target, "{body}");
}

#[tokio::test]
async fn message_content_and_metadata() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let t = enc(&chat.thread(&alice, "limits", &[]).await);
    let messages = format!("/chat/threads/{t}/messages");
    let at_limit = chat
        .post(&alice, &messages, json!({"content": "x".repeat(28 * 1024)}))
        .await;
    assert_eq!(at_limit.status, 201, "{}", at_limit.text);
    let over = chat
        .post(
            &alice,
            &messages,
            json!({"content": "x".repeat(28 * 1024 + 1)}),
        )
        .await;
    assert_bad_request(over.status.as_u16(), &over.body, "content");

    // Metadata: 1 KB in total, keys and values.
    let exactly = json!({"k": "v".repeat(1023)});
    let accepted = chat
        .post(
            &alice,
            &messages,
            json!({"content": "m", "metadata": exactly}),
        )
        .await;
    assert_eq!(accepted.status, 201, "{}", accepted.text);
    let too_much = json!({"k": "v".repeat(1024)});
    let refused = chat
        .post(
            &alice,
            &messages,
            json!({"content": "m", "metadata": too_much}),
        )
        .await;
    assert_bad_request(refused.status.as_u16(), &refused.body, "metadata");
}

#[tokio::test]
async fn participants_per_request_and_per_thread() {
    let chat = Chat::start().await;
    let everyone = users(&chat, 252).await;
    let alice = &everyone[0];
    let named = |users: &[User]| -> Value {
        Value::Array(users.iter().map(|u| participant(&u.id)).collect())
    };

    // 200 in one create: accepted (201 with the creator); 201: refused.
    let refused = chat
        .post(
            alice,
            "/chat/threads",
            json!({"topic": "big", "participants": named(&everyone[1..202])}),
        )
        .await;
    assert_bad_request(refused.status.as_u16(), &refused.body, "participants");
    let created = chat
        .post(
            alice,
            "/chat/threads",
            json!({"topic": "big", "participants": named(&everyone[1..201])}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let t = enc(created.body["chatThread"]["id"].as_str().expect("id"));
    let add = format!("/chat/threads/{t}/participants/:add");

    // 49 more make 250: accepted; then one more: refused (250 per thread).
    let to_250 = chat
        .post(
            alice,
            &add,
            json!({"participants": named(&everyone[201..250])}),
        )
        .await;
    assert_eq!(to_250.status, 201, "{}", to_250.text);
    let over = chat
        .post(
            alice,
            &add,
            json!({"participants": named(&everyone[250..251])}),
        )
        .await;
    assert_bad_request(over.status.as_u16(), &over.body, "participants");

    // One `:add` naming 201: refused whatever the thread holds.
    let small = enc(&chat.thread(alice, "small", &[]).await);
    let batch = chat
        .post(
            alice,
            &format!("/chat/threads/{small}/participants/:add"),
            json!({"participants": named(&everyone[1..202])}),
        )
        .await;
    assert_bad_request(batch.status.as_u16(), &batch.body, "participants");

    // maxPageSize: 200 at most; a larger one is served 200.
    let page = chat
        .get(
            alice,
            &format!("/chat/threads/{t}/participants?maxPageSize=201"),
        )
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.body["value"].as_array().map(Vec::len), Some(200));
    assert!(page.body["nextLink"].is_string());
}

#[tokio::test]
async fn retention_between_30_and_90_days() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    for (days, accepted) in [(29, false), (30, true), (90, true), (91, false)] {
        let answer = chat
            .post(
                &alice,
                "/chat/threads",
                json!({"topic": "r", "retentionPolicy": {"kind": "threadCreationDate", "deleteThreadAfterDays": days}}),
            )
            .await;
        if accepted {
            assert_eq!(answer.status, 201, "{days}: {}", answer.text);
        } else {
            assert_bad_request(
                answer.status.as_u16(),
                &answer.body,
                "retentionPolicy.deleteThreadAfterDays",
            );
        }
    }
}

#[tokio::test]
async fn read_receipts_stop_above_20_participants() {
    let chat = Chat::start().await;
    let everyone = users(&chat, 21).await;
    let alice = &everyone[0];
    let others: Vec<&User> = everyone[1..20].iter().collect();
    let thread = chat.thread(alice, "receipts", &others).await;
    let t = enc(&thread);
    let message = chat.message(alice, &thread, "read me").await;
    let receipts = format!("/chat/threads/{t}/readReceipts");
    let count = |body: &Value| body["value"].as_array().map_or(0, Vec::len);

    // 20 participants: receipts are kept.
    let sent = chat
        .post(&everyone[1], &receipts, json!({"chatMessageId": message}))
        .await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    assert_eq!(count(&chat.get(alice, &receipts).await.body), 1);

    // 21: the POST still succeeds, the list is empty, typing still works.
    let add = chat
        .post(
            alice,
            &format!("/chat/threads/{t}/participants/:add"),
            json!({"participants": [participant(&everyone[20].id)]}),
        )
        .await;
    assert_eq!(add.status, 201, "{}", add.text);
    let sent = chat
        .post(&everyone[2], &receipts, json!({"chatMessageId": message}))
        .await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    let listed = chat.get(alice, &receipts).await;
    assert_eq!(listed.status, 200);
    assert_eq!(count(&listed.body), 0, "{}", listed.text);
    let typing = chat
        .call(
            alice,
            Method::POST,
            &format!("/chat/threads/{t}/typing"),
            None,
        )
        .await;
    assert_eq!(typing.status, 200, "{}", typing.text);
}

//! Chat operations over real HTTP: happy paths, exact status codes and
//! body shapes, system messages, paging, idempotency, ids in paths.

mod chat_support;

use std::collections::HashSet;

use chat_support::{enc, identifier, participant, whole_seconds, Chat, V};
use reqwest::Method;
use serde_json::{json, Value};

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

fn is_thread_id(id: &str) -> bool {
    id.strip_prefix("19:")
        .and_then(|rest| rest.strip_suffix("@thread.v2"))
        .is_some_and(|inner| {
            inner.len() == 44
                && inner
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

fn is_message_id(id: &Value) -> bool {
    id.as_str()
        .is_some_and(|s| s.len() == 13 && s.bytes().all(|b| b.is_ascii_digit()))
}

#[tokio::test]
async fn create_thread_answers_like_the_service() {
    let chat = Chat::start().await;
    let (alice, bob) = (chat.user().await, chat.user().await);
    let answer = chat
        .post(
            &alice,
            "/chat/threads",
            json!({
                "topic": "Lunch",
                "participants": [participant(&bob.id)],
                "metadata": {"k": "v"},
                "retentionPolicy": {"kind": "threadCreationDate", "deleteThreadAfterDays": 30}
            }),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert_eq!(
        answer.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert!(answer
        .header("api-supported-versions")
        .is_some_and(|v| v.contains("2021-09-07") && v.contains("2025-03-15")));
    assert!(answer.header("ms-cv").is_some_and(|v| v.ends_with(".0")));
    assert_eq!(keys(&answer.body), ["chatThread"]);
    let thread = &answer.body["chatThread"];
    assert_eq!(
        keys(thread),
        [
            "createdByCommunicationIdentifier",
            "createdOn",
            "id",
            "metadata",
            "retentionPolicy",
            "topic"
        ]
    );
    let id = thread["id"].as_str().unwrap_or_default();
    assert!(is_thread_id(id), "{id}");
    assert_eq!(thread["topic"], "Lunch");
    assert!(
        whole_seconds(&thread["createdOn"]),
        "{}",
        thread["createdOn"]
    );
    assert_eq!(
        thread["createdByCommunicationIdentifier"],
        identifier(&alice.id)
    );
    assert_eq!(thread["metadata"], json!({"k": "v"}));
    assert_eq!(
        thread["retentionPolicy"],
        json!({"kind": "threadCreationDate", "deleteThreadAfterDays": 30})
    );
    let location = answer.header("location").unwrap_or_default();
    assert_eq!(
        location,
        format!("{}/chat/threads/{}", chat.base, id.replace(':', "%3A"))
    );

    // The thread as read back, both as creator and as participant.
    for user in [&alice, &bob] {
        let got = chat.get(user, &format!("/chat/threads/{}", enc(id))).await;
        assert_eq!(got.status, 200, "{}", got.text);
        assert_eq!(&got.body, thread);
    }
}

#[tokio::test]
async fn creation_writes_system_messages_and_messages_list_newest_first() {
    let chat = Chat::start().await;
    let (alice, bob) = (chat.user().await, chat.user().await);
    let thread = chat.thread(&alice, "topic one", &[&bob]).await;
    let first = chat.message(&bob, &thread, "hello").await;
    let second = chat.message(&alice, &thread, "world").await;

    let answer = chat
        .get(&alice, &format!("/chat/threads/{}/messages", enc(&thread)))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(keys(&answer.body), ["value"]);
    let messages = answer.body["value"].as_array().cloned().unwrap_or_default();
    assert_eq!(messages.len(), 4);
    let sequence: Vec<&str> = messages
        .iter()
        .map(|m| m["sequenceId"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(sequence, ["4", "3", "2", "1"]);
    assert_eq!(messages[0]["id"], second.as_str());
    assert_eq!(messages[1]["id"], first.as_str());

    let added = &messages[3];
    assert_eq!(added["type"], "participantAdded");
    assert_eq!(
        keys(added),
        [
            "content",
            "createdOn",
            "id",
            "sequenceId",
            "type",
            "version"
        ]
    );
    assert_eq!(
        added["content"]["initiatorCommunicationIdentifier"],
        identifier(&alice.id)
    );
    let joined: Vec<&Value> = added["content"]["participants"]
        .as_array()
        .map(|a| a.iter().map(|p| &p["communicationIdentifier"]).collect())
        .unwrap_or_default();
    assert_eq!(joined, [&identifier(&alice.id), &identifier(&bob.id)]);
    assert_eq!(
        added["content"]["participants"][0]["shareHistoryTime"],
        "1970-01-01T00:00:00Z"
    );

    let topic = &messages[2];
    assert_eq!(topic["type"], "topicUpdated");
    assert_eq!(topic["content"]["topic"], "topic one");
    assert_eq!(
        topic["content"]["initiatorCommunicationIdentifier"],
        identifier(&alice.id)
    );
    assert!(topic.get("senderCommunicationIdentifier").is_none());

    for message in &messages {
        assert!(is_message_id(&message["id"]), "{message}");
        assert_eq!(message["version"], message["id"]);
        assert!(whole_seconds(&message["createdOn"]));
    }
    let ids: Vec<u64> = messages
        .iter()
        .filter_map(|m| m["id"].as_str().and_then(|s| s.parse().ok()))
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");

    // The first user message is sequence 3, with the sender's details.
    let got = chat
        .get(
            &alice,
            &format!("/chat/threads/{}/messages/{first}", enc(&thread)),
        )
        .await;
    assert_eq!(got.status, 200);
    assert_eq!(
        keys(&got.body),
        [
            "content",
            "createdOn",
            "id",
            "senderCommunicationIdentifier",
            "senderDisplayName",
            "sequenceId",
            "type",
            "version"
        ]
    );
    assert_eq!(got.body["sequenceId"], "3");
    assert_eq!(got.body["type"], "text");
    // 2025-03-15 recordings: text and html messages carry `attachments`.
    assert_eq!(
        got.body["content"],
        json!({"message": "hello", "attachments": []})
    );
    assert_eq!(got.body["senderDisplayName"], "sender");
    assert_eq!(
        got.body["senderCommunicationIdentifier"],
        identifier(&bob.id)
    );
}

#[tokio::test]
async fn send_message_variants() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let thread = chat.thread(&alice, "t", &[]).await;
    let path = format!("/chat/threads/{}/messages", enc(&thread));
    let answer = chat
        .post(
            &alice,
            &path,
            json!({"content": "<b>hi</b>", "type": "html", "metadata": {"a": "1"}}),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert_eq!(keys(&answer.body), ["id"]);
    assert!(is_message_id(&answer.body["id"]));
    let id = answer.body["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        answer.header("location"),
        Some(
            format!(
                "{}/chat/threads/{}/messages/{id}",
                chat.base,
                thread.replace(':', "%3A")
            )
            .as_str()
        )
    );
    let got = chat.get(&alice, &format!("{path}/{id}")).await;
    assert_eq!(got.body["type"], "html");
    assert_eq!(got.body["metadata"], json!({"a": "1"}));
    // No display name: none at 2025-03-15 (recordings), `""` before.
    assert!(got.body.get("senderDisplayName").is_none(), "{}", got.text);
    let older = chat
        .get(&alice, &format!("{path}/{id}?api-version=2024-03-07"))
        .await;
    assert_eq!(older.status, 200, "{}", older.text);
    assert_eq!(older.body["senderDisplayName"], "");

    // Without a type: text.
    let answer = chat.post(&alice, &path, json!({"content": "plain"})).await;
    assert_eq!(answer.status, 201);
    let id = answer.body["id"].as_str().unwrap_or_default();
    let got = chat.get(&alice, &format!("{path}/{id}")).await;
    assert_eq!(got.body["type"], "text");

    // 28 KiB exactly is accepted.
    let big = "x".repeat(28 * 1024);
    let answer = chat.post(&alice, &path, json!({ "content": big })).await;
    assert_eq!(answer.status, 201);
}

#[tokio::test]
async fn raw_and_percent_encoded_ids_are_the_same() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let thread = chat.thread(&alice, "t", &[]).await;
    let id = chat.message(&alice, &thread, "m").await;
    for path in [
        format!("/chat/threads/{thread}/messages/{id}"),
        format!("/chat/threads/{}/messages/{id}", enc(&thread)),
        format!(
            "/chat/threads/{}/messages/{id}",
            thread.replace(':', "%3a").replace('@', "%40")
        ),
    ] {
        let answer = chat.get(&alice, &path).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.text);
        assert_eq!(answer.body["id"], id.as_str());
    }
    let answer = chat.get(&alice, &format!("/chat/threads/{thread}")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["id"], thread.as_str());
}

#[tokio::test]
async fn edit_and_delete_messages() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let thread = chat.thread(&alice, "t", &[]).await;
    let id = chat.message(&alice, &thread, "before").await;
    let path = format!("/chat/threads/{}/messages/{id}", enc(&thread));

    for (i, content_type) in ["application/merge-patch+json", "application/json"]
        .into_iter()
        .enumerate()
    {
        let before = chat.get(&alice, &path).await.body;
        let body = json!({"content": format!("after {i}"), "metadata": {"k": "v"}});
        let answer = chat
            .send(
                Method::PATCH,
                &path,
                Some(&alice.token),
                Some(body.to_string().into_bytes()),
                &[("content-type", content_type)],
            )
            .await;
        assert_eq!(answer.status, 204, "{content_type}: {}", answer.text);
        assert!(answer.text.is_empty());
        let after = chat.get(&alice, &path).await.body;
        assert_eq!(after["content"]["message"], format!("after {i}"));
        assert_eq!(after["metadata"], json!({"k": "v"}));
        assert_eq!(after["id"], id.as_str());
        assert!(is_message_id(&after["version"]));
        let (old, new) = (
            before["version"].as_str().unwrap_or_default(),
            after["version"].as_str().unwrap_or_default(),
        );
        assert!(new > old, "{old} -> {new}");
        assert!(whole_seconds(&after["editedOn"]));
        assert_eq!(after["sequenceId"], before["sequenceId"]);
    }

    // Metadata merge patch: null removes a key.
    let answer = chat
        .send(
            Method::PATCH,
            &path,
            Some(&alice.token),
            Some(br#"{"metadata":{"k":null,"j":"w"}}"#.to_vec()),
            &[("content-type", "application/merge-patch+json")],
        )
        .await;
    assert_eq!(answer.status, 204);
    assert_eq!(
        chat.get(&alice, &path).await.body["metadata"],
        json!({"j": "w"})
    );

    let answer = chat.call(&alice, Method::DELETE, &path, None).await;
    assert_eq!(answer.status, 204);
    assert!(answer.text.is_empty());
    let deleted = chat.get(&alice, &path).await;
    assert_eq!(deleted.status, 200);
    assert!(whole_seconds(&deleted.body["deletedOn"]));
    // 2025-03-15 (.NET recordings): an empty text stays, `editedOn` goes,
    // and the deletion is a new version.
    assert_eq!(
        deleted.body["content"],
        json!({"message": "", "attachments": []})
    );
    assert!(deleted.body.get("editedOn").is_none(), "{}", deleted.text);
    // Still listed, with deletedOn.
    let list = chat
        .get(&alice, &format!("/chat/threads/{}/messages", enc(&thread)))
        .await;
    assert!(whole_seconds(&list.item(&id)["deletedOn"]));
    // Deleting again is fine.
    let again = chat.call(&alice, Method::DELETE, &path, None).await;
    assert_eq!(again.status, 204);
}

#[tokio::test]
async fn update_thread_with_both_content_types() {
    let chat = Chat::start().await;
    let (alice, bob) = (chat.user().await, chat.user().await);
    let thread = chat.thread(&alice, "old", &[&bob]).await;
    let path = format!("/chat/threads/{}", enc(&thread));
    let patch = |body: Value, content_type: &'static str| {
        let chat = &chat;
        let token = bob.token.clone();
        let path = path.clone();
        async move {
            chat.send(
                Method::PATCH,
                &path,
                Some(&token),
                Some(body.to_string().into_bytes()),
                &[("content-type", content_type)],
            )
            .await
        }
    };
    let answer = patch(
        json!({"topic": "new", "metadata": {"a": "1", "b": "2"}}),
        "application/merge-patch+json",
    )
    .await;
    assert_eq!(answer.status, 204, "{}", answer.text);
    let answer = patch(
        json!({"metadata": {"a": null, "c": "3"}, "retentionPolicy": {"kind": "none"}}),
        "application/json",
    )
    .await;
    assert_eq!(answer.status, 204, "{}", answer.text);
    let got = chat.get(&alice, &path).await.body;
    assert_eq!(got["topic"], "new");
    assert_eq!(got["metadata"], json!({"b": "2", "c": "3"}));
    assert_eq!(got["retentionPolicy"], json!({"kind": "none"}));

    // The topic change wrote topicUpdated, initiated by bob.
    let messages = chat
        .get(&alice, &format!("{path}/messages?maxPageSize=1"))
        .await
        .body;
    let latest = &messages["value"][0];
    assert_eq!(latest["type"], "topicUpdated");
    assert_eq!(latest["sequenceId"], "3");
    assert_eq!(latest["content"]["topic"], "new");
    assert_eq!(
        latest["content"]["initiatorCommunicationIdentifier"],
        identifier(&bob.id)
    );
    let answer = patch(json!({"metadata": null}), "application/merge-patch+json").await;
    assert_eq!(answer.status, 204);
    assert!(chat.get(&alice, &path).await.body.get("metadata").is_none());
}

#[tokio::test]
async fn list_threads_paging_start_time_and_delete() {
    let chat = Chat::start().await;
    let (alice, bob) = (chat.user().await, chat.user().await);
    let mut threads = Vec::new();
    for i in 0..5 {
        threads.push(chat.thread(&alice, &format!("t{i}"), &[&bob]).await);
    }
    let only_bob = chat.thread(&bob, "bob's", &[]).await;

    let answer = chat.get(&alice, "/chat/threads").await;
    assert_eq!(answer.status, 200);
    assert_eq!(keys(&answer.body), ["value"]);
    let items = answer.body["value"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 5);
    for item in &items {
        assert_eq!(keys(item), ["id", "lastMessageReceivedOn", "topic"]);
        assert!(whole_seconds(&item["lastMessageReceivedOn"]));
    }

    // Two per page: 3 pages, absolute nextLinks, nothing twice or missing.
    let pages = chat.pages(&alice, "/chat/threads?maxPageSize=2", 10).await;
    assert_eq!(
        pages.iter().map(|(v, _)| v.len()).collect::<Vec<_>>(),
        [2, 2, 1]
    );
    for (_, next) in &pages[..2] {
        let link = next.as_deref().unwrap_or_default();
        assert!(
            link.starts_with(&format!("{}/chat/threads?syncState=", chat.base)),
            "{link}"
        );
        assert!(link.contains(&format!("api-version={V}")) && link.contains("maxPageSize=2"));
    }
    assert!(pages[2].1.is_none());
    let listed: HashSet<String> = pages
        .iter()
        .flat_map(|(v, _)| v.iter().filter_map(|t| t["id"].as_str().map(str::to_owned)))
        .collect();
    assert_eq!(listed, threads.iter().cloned().collect());

    // Activity moves a thread to the front.
    chat.message(&alice, &threads[0], "bump").await;
    let first = chat.get(&alice, "/chat/threads?maxPageSize=1").await;
    assert_eq!(first.body["value"][0]["id"], threads[0].as_str());

    // startTime: in the future, nothing; at the epoch, everything.
    let none = chat
        .get(&alice, "/chat/threads?startTime=2999-01-01T00:00:00Z")
        .await;
    assert_eq!(none.body["value"], json!([]));
    let all = chat
        .get(&alice, "/chat/threads?startTime=1970-01-01T00:00:00Z")
        .await;
    assert_eq!(all.body["value"].as_array().map(Vec::len), Some(5));

    // Bob sees his six.
    let bobs = chat.get(&bob, "/chat/threads").await;
    assert_eq!(bobs.body["value"].as_array().map(Vec::len), Some(6));

    // Deleted threads disappear for every participant.
    let answer = chat
        .call(
            &bob,
            Method::DELETE,
            &format!("/chat/threads/{}", enc(&threads[1])),
            None,
        )
        .await;
    assert_eq!(answer.status, 204);
    assert!(answer.text.is_empty());
    for user in [&alice, &bob] {
        let got = chat
            .get(user, &format!("/chat/threads/{}", enc(&threads[1])))
            .await;
        assert_eq!(got.status, 404);
        assert_eq!(got.error_code(), "NotFound");
        let list = chat.get(user, "/chat/threads").await;
        assert!(list.body["value"]
            .as_array()
            .is_some_and(|v| v.iter().all(|t| t["id"] != threads[1].as_str())));
    }
    let messages = chat
        .get(
            &alice,
            &format!("/chat/threads/{}/messages", enc(&threads[1])),
        )
        .await;
    assert_eq!(messages.status, 404);
    let _ = only_bob;
}

#[tokio::test]
async fn paging_450_messages() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let thread = chat.thread(&alice, "many", &[]).await;
    let mut sent = Vec::new();
    for i in 0..450 {
        sent.push(chat.message(&alice, &thread, &format!("m{i}")).await);
    }
    let path = format!("/chat/threads/{}/messages?maxPageSize=200", enc(&thread));
    let pages = chat.pages(&alice, &path, 10).await;
    assert_eq!(
        pages.iter().map(|(v, _)| v.len()).collect::<Vec<_>>(),
        [200, 200, 52]
    );
    for (_, next) in &pages[..2] {
        let link = next.as_deref().unwrap_or_default();
        let prefix = format!("{}/chat/threads/{thread}/messages?syncState=", chat.base);
        assert!(link.starts_with(&prefix), "{link}");
        assert!(link.contains("maxPageSize=200"), "{link}");
        assert!(link.ends_with(&format!("api-version={V}")), "{link}");
    }
    assert!(pages[2].1.is_none());
    let sequence: Vec<u64> = pages
        .iter()
        .flat_map(|(v, _)| v.iter())
        .filter_map(|m| m["sequenceId"].as_str().and_then(|s| s.parse().ok()))
        .collect();
    assert_eq!(sequence, (1..=452).rev().collect::<Vec<u64>>());
    let listed: HashSet<&str> = pages
        .iter()
        .flat_map(|(v, _)| v.iter())
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert_eq!(listed.len(), 452);
    assert!(sent.iter().all(|id| listed.contains(id.as_str())));

    // The default page size is 200 too; a larger one is capped.
    let default = chat
        .get(&alice, &format!("/chat/threads/{}/messages", enc(&thread)))
        .await;
    assert_eq!(default.body["value"].as_array().map(Vec::len), Some(200));
    let capped = chat
        .get(
            &alice,
            &format!("/chat/threads/{}/messages?maxPageSize=1000", enc(&thread)),
        )
        .await;
    assert_eq!(capped.body["value"].as_array().map(Vec::len), Some(200));

    // An older api-version keeps its version in nextLink.
    let old = chat
        .get(
            &alice,
            &format!(
                "/chat/threads/{}/messages?maxPageSize=5&api-version=2021-09-07",
                enc(&thread)
            ),
        )
        .await;
    assert!(old.body["nextLink"]
        .as_str()
        .is_some_and(|l| l.ends_with("api-version=2021-09-07")));
}

#[tokio::test]
async fn start_time_filters_messages() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let thread = chat.thread(&alice, "t", &[]).await;
    for i in 0..3 {
        chat.message(&alice, &thread, &format!("m{i}")).await;
    }
    let path = format!("/chat/threads/{}/messages", enc(&thread));
    let all = chat.get(&alice, &path).await.body["value"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(all.len(), 5);
    let newest = all[0]["createdOn"].as_str().unwrap_or_default().to_owned();
    let expected = all
        .iter()
        .filter(|m| m["createdOn"].as_str().unwrap_or_default() >= newest.as_str())
        .count();
    let since = chat
        .get(
            &alice,
            &format!("{path}?startTime={}", newest.replace(':', "%3A")),
        )
        .await;
    assert_eq!(since.status, 200);
    let got = since.body["value"].as_array().cloned().unwrap_or_default();
    assert_eq!(got.len(), expected);
    assert!(!got.is_empty());
    let future = chat
        .get(&alice, &format!("{path}?startTime=2999-01-01T00:00:00Z"))
        .await;
    assert_eq!(future.body, json!({"value": []}));
    let offset = chat
        .get(
            &alice,
            &format!("{path}?startTime=1970-01-01T01:00:00%2B01:00"),
        )
        .await;
    assert_eq!(offset.body["value"].as_array().map(Vec::len), Some(5));
    // startTime is carried into nextLink.
    let paged = chat
        .get(
            &alice,
            &format!("{path}?startTime=1970-01-01T00:00:00Z&maxPageSize=2"),
        )
        .await;
    let link = paged.body["nextLink"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        link.contains("startTime=1970-01-01T00%3A00%3A00Z"),
        "{link}"
    );
    let pages = chat.pages(&alice, &link, 5).await;
    assert_eq!(pages.iter().map(|(v, _)| v.len()).sum::<usize>(), 3);
}

#[tokio::test]
async fn participants_add_list_skip_remove() {
    let chat = Chat::start().await;
    let (alice, bob, carol) = (chat.user().await, chat.user().await, chat.user().await);
    let thread = chat.thread(&alice, "t", &[&bob]).await;
    let path = format!("/chat/threads/{}/participants", enc(&thread));

    let add = chat
        .post(
            &alice,
            &format!("{path}/:add"),
            json!({"participants": [{
                "communicationIdentifier": identifier(&carol.id),
                "displayName": "Carol",
                "shareHistoryTime": "2020-06-06T05:55:41.123Z",
                "metadata": {"role": "guest"}
            }]}),
        )
        .await;
    assert_eq!(add.status, 201, "{}", add.text);
    assert_eq!(add.body, json!({}));

    let list = chat.get(&alice, &path).await;
    assert_eq!(list.status, 200);
    let all = list.body["value"].as_array().cloned().unwrap_or_default();
    let ids: Vec<&Value> = all.iter().map(|p| &p["communicationIdentifier"]).collect();
    assert_eq!(
        ids,
        [
            &identifier(&alice.id),
            &identifier(&bob.id),
            &identifier(&carol.id)
        ]
    );
    assert_eq!(
        all[2],
        json!({
            "communicationIdentifier": identifier(&carol.id),
            "displayName": "Carol",
            "shareHistoryTime": "2020-06-06T05:55:41Z",
            "metadata": {"role": "guest"}
        })
    );
    assert_eq!(all[0]["shareHistoryTime"], "1970-01-01T00:00:00Z");

    // skip + maxPageSize, nextLink with skip.
    let page = chat
        .get(&alice, &format!("{path}?maxPageSize=1&skip=1"))
        .await;
    assert_eq!(page.body["value"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        page.body["value"][0]["communicationIdentifier"],
        identifier(&bob.id)
    );
    assert_eq!(
        page.body["nextLink"],
        format!(
            "{}/chat/threads/{thread}/participants?skip=2&maxPageSize=1&api-version={V}",
            chat.base
        )
    );
    let pages = chat
        .pages(&alice, &format!("{path}?maxPageSize=2"), 5)
        .await;
    assert_eq!(
        pages.iter().map(|(v, _)| v.len()).collect::<Vec<_>>(),
        [2, 1]
    );
    let beyond = chat.get(&alice, &format!("{path}?skip=10")).await;
    assert_eq!(beyond.body, json!({"value": []}));

    // participantAdded for carol, by alice.
    let messages = chat
        .get(
            &alice,
            &format!("/chat/threads/{}/messages?maxPageSize=1", enc(&thread)),
        )
        .await;
    let added = &messages.body["value"][0];
    assert_eq!(added["type"], "participantAdded");
    assert_eq!(added["sequenceId"], "3");
    assert_eq!(
        added["content"]["participants"][0]["communicationIdentifier"],
        identifier(&carol.id)
    );
    assert_eq!(
        added["content"]["initiatorCommunicationIdentifier"],
        identifier(&alice.id)
    );

    // Adding an existing participant changes nothing.
    let again = chat
        .post(
            &alice,
            &format!("{path}/:add"),
            json!({"participants": [participant(&carol.id)]}),
        )
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(
        chat.get(&alice, &path).await.body["value"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );

    // Remove carol: 204, participantRemoved, carol loses access.
    let removed = chat
        .post(&bob, &format!("{path}/:remove"), identifier(&carol.id))
        .await;
    assert_eq!(removed.status, 204, "{}", removed.text);
    assert!(removed.text.is_empty());
    let messages = chat
        .get(
            &alice,
            &format!("/chat/threads/{}/messages?maxPageSize=1", enc(&thread)),
        )
        .await;
    let latest = &messages.body["value"][0];
    assert_eq!(latest["type"], "participantRemoved");
    assert_eq!(
        latest["content"]["participants"][0]["communicationIdentifier"],
        identifier(&carol.id)
    );
    assert_eq!(
        latest["content"]["initiatorCommunicationIdentifier"],
        identifier(&bob.id)
    );
    let denied = chat
        .get(&carol, &format!("/chat/threads/{}", enc(&thread)))
        .await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.error_code(), "Forbidden");
    // Like the service, a removed participant still finds the thread listed
    // (an inactive thread), though every other access is refused.
    let carols = chat.get(&carol, "/chat/threads").await;
    assert_eq!(carols.body["value"][0]["id"], json!(thread));
}

#[tokio::test]
async fn invalid_participants_are_reported_not_added() {
    let chat = Chat::start().await;
    let (alice, bob) = (chat.user().await, chat.user().await);
    let other_resource =
        "8:acs:8540c0de-899f-5cce-acb5-3ec493af3800_c94ff260-162d-46d6-94fd-e79f4d213715";
    let resource = bob.id["8:acs:".len()..bob.id.find('_').unwrap_or(0)].to_owned();
    let unknown = format!("8:acs:{resource}_00000025-0000-0000-0000-000000000000");
    let phone = json!({"communicationIdentifier": {"rawId": "4:+14255550123", "phoneNumber": {"value": "+14255550123"}}});
    let teams = json!({"communicationIdentifier": {"rawId": "8:orgid:45ab2481-1c1c-4005-be24-0ffb879b1130"}});
    let body = json!({"topic": "t", "participants": [
        participant(&bob.id), participant(other_resource), participant(&unknown), phone, teams
    ]});
    let created = chat.post(&alice, "/chat/threads", body.clone()).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let invalid = created.body["invalidParticipants"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let targets: Vec<&str> = invalid
        .iter()
        .filter_map(|e| e["target"].as_str())
        .collect();
    assert_eq!(
        targets,
        [
            other_resource,
            unknown.as_str(),
            "4:+14255550123",
            "8:orgid:45ab2481-1c1c-4005-be24-0ffb879b1130"
        ]
    );
    for error in &invalid {
        assert_eq!(keys(error), ["code", "message", "target"]);
    }
    assert_eq!(invalid[0]["code"], "403");
    assert_eq!(invalid[1]["code"], "404");
    let thread = created.body["chatThread"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let path = format!("/chat/threads/{}/participants", enc(&thread));
    assert_eq!(
        chat.get(&alice, &path).await.body["value"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    let carol = chat.user().await;
    let mut add = body.clone();
    add["participants"][0] = participant(&carol.id);
    let added = chat
        .post(
            &alice,
            &format!("{path}/:add"),
            json!({"participants": add["participants"]}),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    assert_eq!(
        added.body["invalidParticipants"].as_array().map(Vec::len),
        Some(4)
    );
    assert_eq!(
        chat.get(&alice, &path).await.body["value"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
}

#[tokio::test]
async fn read_receipts() {
    let chat = Chat::start().await;
    let (alice, bob) = (chat.user().await, chat.user().await);
    let thread = chat.thread(&alice, "t", &[&bob]).await;
    let path = format!("/chat/threads/{}/readReceipts", enc(&thread));
    let m1 = chat.message(&alice, &thread, "one").await;
    let m2 = chat.message(&alice, &thread, "two").await;

    let sent = chat.post(&alice, &path, json!({"chatMessageId": m1})).await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    assert!(sent.text.is_empty());
    assert!(sent.header("content-type").is_none());
    chat.post(&alice, &path, json!({"chatMessageId": m2})).await;
    // An older message does not move alice's receipt back.
    chat.post(&alice, &path, json!({"chatMessageId": m1})).await;
    chat.post(&bob, &path, json!({"chatMessageId": m1})).await;

    let list = chat.get(&bob, &path).await;
    assert_eq!(list.status, 200);
    let receipts = list.body["value"].as_array().cloned().unwrap_or_default();
    assert_eq!(receipts.len(), 2);
    assert_eq!(
        keys(&receipts[0]),
        ["chatMessageId", "readOn", "senderCommunicationIdentifier"]
    );
    assert_eq!(
        receipts[0]["senderCommunicationIdentifier"],
        identifier(&alice.id)
    );
    assert_eq!(receipts[0]["chatMessageId"], m2.as_str());
    assert!(whole_seconds(&receipts[0]["readOn"]));
    assert_eq!(
        receipts[1]["senderCommunicationIdentifier"],
        identifier(&bob.id)
    );
    assert_eq!(receipts[1]["chatMessageId"], m1.as_str());

    let page = chat.get(&alice, &format!("{path}?maxPageSize=1")).await;
    assert_eq!(page.body["value"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        page.body["nextLink"],
        format!(
            "{}/chat/threads/{thread}/readReceipts?skip=1&maxPageSize=1&api-version={V}",
            chat.base
        )
    );
    let skipped = chat.get(&alice, &format!("{path}?skip=1")).await;
    assert_eq!(skipped.body["value"][0]["chatMessageId"], m1.as_str());
}

#[tokio::test]
async fn typing_notifications() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let thread = chat.thread(&alice, "t", &[]).await;
    let path = format!("/chat/threads/{}/typing", enc(&thread));
    let with_body = chat
        .post(&alice, &path, json!({"senderDisplayName": "Jane"}))
        .await;
    assert_eq!(with_body.status, 200, "{}", with_body.text);
    assert!(with_body.text.is_empty());
    let without = chat.call(&alice, Method::POST, &path, None).await;
    assert_eq!(without.status, 200, "{}", without.text);
    let outsider = chat.user().await;
    let denied = chat.call(&outsider, Method::POST, &path, None).await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.error_code(), "Forbidden");
}

#[tokio::test]
async fn repeatability_request_id_returns_the_same_thread() {
    let chat = Chat::start().await;
    let (alice, bob) = (chat.user().await, chat.user().await);
    let create = |user: &chat_support::User, topic: &str, key: &str| {
        let body = json!({"topic": topic, "participants": [participant(&bob.id)]});
        let token = user.token.clone();
        let key = key.to_owned();
        let chat = &chat;
        async move {
            chat.send(
                Method::POST,
                "/chat/threads",
                Some(&token),
                Some(body.to_string().into_bytes()),
                &[("repeatability-request-id", key.as_str())],
            )
            .await
        }
    };
    let first = create(&alice, "t", "35dd6e71-251b-5e29-8376-ba93d09c3fbf").await;
    let second = create(&alice, "t (retry)", "35dd6e71-251b-5e29-8376-ba93d09c3fbf").await;
    assert_eq!(first.status, 201);
    assert_eq!(second.status, 201);
    assert_eq!(first.body, second.body);
    assert_eq!(first.header("location"), second.header("location"));
    let listed = chat.get(&alice, "/chat/threads").await;
    assert_eq!(listed.body["value"].as_array().map(Vec::len), Some(1));

    let other_key = create(&alice, "t", "another").await;
    assert_ne!(
        other_key.body["chatThread"]["id"],
        first.body["chatThread"]["id"]
    );
    // The key is per creator.
    let other_user = create(&bob, "t", "35dd6e71-251b-5e29-8376-ba93d09c3fbf").await;
    assert_ne!(
        other_user.body["chatThread"]["id"],
        first.body["chatThread"]["id"]
    );
}

#[tokio::test]
async fn every_chat_api_version_is_accepted_and_others_rejected() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    for version in ["2021-09-07", "2023-11-07", "2024-03-07", "2025-03-15"] {
        let answer = chat
            .get(&alice, &format!("/chat/threads?api-version={version}"))
            .await;
        assert_eq!(answer.status, 200, "{version}");
        assert_eq!(
            answer.header("api-supported-versions"),
            Some("2021-09-07, 2023-11-07, 2024-03-07, 2025-03-15")
        );
    }
    for version in ["2023-10-01", "2021-03-07", "2025-03-15-preview", "x"] {
        let answer = chat
            .get(&alice, &format!("/chat/threads?api-version={version}"))
            .await;
        assert_eq!(answer.status, 400, "{version}");
        assert_eq!(answer.error_code(), "UnsupportedApiVersion");
        assert_eq!(answer.body["error"]["target"], "api-version");
    }
    let missing = chat
        .send(
            Method::GET,
            "/chat/threads?api-version=",
            Some(&alice.token),
            None,
            &[],
        )
        .await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.error_code(), "ApiVersionUnspecified");
}

#[tokio::test]
async fn reset_clears_chat_state() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let thread = chat.thread(&alice, "t", &[]).await;
    let reset = chat
        .http
        .post(format!("{}/admin/reset", chat.base))
        .send()
        .await
        .expect("reset");
    assert_eq!(reset.status(), 204);
    let again = chat.user_with(json!({"userId": alice.id})).await;
    let list = chat.get(&again, "/chat/threads").await;
    assert_eq!(list.body, json!({"value": []}));
    let got = chat
        .get(&again, &format!("/chat/threads/{}", enc(&thread)))
        .await;
    assert_eq!(got.status, 404);
}

#[tokio::test]
async fn fault_injection_applies_to_chat_routes() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let set = chat
        .http
        .post(format!("{}/admin/faults", chat.base))
        .json(&json!({"rate503": 1.0, "pathPrefix": "/chat"}))
        .send()
        .await
        .expect("faults set");
    assert_eq!(set.status(), 200);
    let answer = chat.get(&alice, "/chat/threads").await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.error_code(), "ServiceUnavailable");
    assert_eq!(answer.header("x-acs-emulator-fault"), Some("503"));
    let set = chat
        .http
        .post(format!("{}/admin/faults", chat.base))
        .json(&json!({"rate429": 1.0, "retryAfterSeconds": 2}))
        .send()
        .await
        .expect("faults set");
    assert_eq!(set.status(), 200);
    let answer = chat
        .post(&alice, "/chat/threads", json!({"topic": "t"}))
        .await;
    assert_eq!(answer.status, 429);
    assert_eq!(answer.header("retry-after"), Some("2"));
    let cleared = chat
        .http
        .delete(format!("{}/admin/faults", chat.base))
        .send()
        .await
        .expect("cleared");
    assert_eq!(cleared.status(), 204);
    assert_eq!(chat.get(&alice, "/chat/threads").await.status, 200);
}

#[tokio::test]
async fn concurrent_senders_get_unique_increasing_ids() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let thread = chat.thread(&alice, "busy", &[]).await;
    let chat = std::sync::Arc::new(chat);
    let mut tasks = Vec::new();
    for task in 0..8 {
        let chat = chat.clone();
        let alice = alice.clone();
        let thread = thread.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..25 {
                chat.message(&alice, &thread, &format!("{task}-{i}")).await;
            }
        }));
    }
    for task in tasks {
        task.await.expect("task completes");
    }
    let pages = chat
        .pages(
            &alice,
            &format!("/chat/threads/{}/messages", enc(&thread)),
            5,
        )
        .await;
    let messages: Vec<&Value> = pages.iter().flat_map(|(v, _)| v.iter()).collect();
    assert_eq!(messages.len(), 202);
    let pairs: Vec<(u64, u64)> = messages
        .iter()
        .filter_map(|m| {
            Some((
                m["sequenceId"].as_str()?.parse().ok()?,
                m["id"].as_str()?.parse().ok()?,
            ))
        })
        .collect();
    assert_eq!(pairs.len(), 202);
    // Newest first: sequence ids and ids both strictly decrease.
    assert!(pairs
        .windows(2)
        .all(|w| w[0].0 == w[1].0 + 1 && w[0].1 > w[1].1));
}

#[tokio::test]
async fn links_follow_the_scheme_and_host_of_the_request() {
    use acs_chat_emulator::{Emulator, TlsConfig};
    let emulator = Emulator::builder()
        .tls(TlsConfig::self_signed())
        .start()
        .await
        .expect("starts");
    let ca = std::fs::read(emulator.ca_cert_path().expect("CA path")).expect("CA written");
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("CA parses"))
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .expect("client builds");
    let port = emulator.local_addr().port();
    let chat = Chat {
        base: format!("https://127.0.0.1:{port}"),
        emulator,
        http,
    };
    let alice = chat.user().await;
    let answer = chat
        .post(&alice, "/chat/threads", json!({"topic": "t"}))
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert!(answer
        .header("location")
        .is_some_and(|l| l.starts_with(&format!("https://127.0.0.1:{port}/chat/threads/19%3A"))));
    let thread = answer.body["chatThread"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let page = chat
        .get(
            &alice,
            &format!("/chat/threads/{}/messages?maxPageSize=1", enc(&thread)),
        )
        .await;
    let link = page.body["nextLink"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        link.starts_with(&format!(
            "https://127.0.0.1:{port}/chat/threads/{thread}/messages?"
        )),
        "{link}"
    );
    let pages = chat.pages(&alice, &link, 3).await;
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].0.len(), 1);
}

/// Answers come from a cache of message JSON: the same page twice is the
/// same answer, another api-version gets its own shape, and an edit shows at
/// once in both lists and gets.
#[tokio::test]
async fn repeated_answers_stay_exact_across_api_versions_and_edits() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let thread = chat.thread(&alice, "t", &[]).await;
    let id = chat.message(&alice, &thread, "first").await;
    let list = format!("/chat/threads/{}/messages", enc(&thread));
    let one = format!("{list}/{id}");
    let listed = |answer: &chat_support::Answer| answer.item(&id);

    let first = chat.get(&alice, &list).await;
    let again = chat.get(&alice, &list).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body, again.body);
    assert_eq!(
        listed(&again)["content"],
        json!({"message": "first", "attachments": []})
    );
    assert_eq!(chat.get(&alice, &one).await.body, listed(&again));

    let old_list = chat
        .get(&alice, &format!("{list}?api-version=2021-09-07"))
        .await;
    assert_eq!(listed(&old_list)["content"], json!({"message": "first"}));
    let old_one = chat
        .get(&alice, &format!("{one}?api-version=2021-09-07"))
        .await;
    assert_eq!(old_one.body["content"], json!({"message": "first"}));
    assert_eq!(
        listed(&chat.get(&alice, &list).await)["content"],
        json!({"message": "first", "attachments": []})
    );

    let edit = chat
        .call(
            &alice,
            Method::PATCH,
            &one,
            Some(json!({"content": "second"})),
        )
        .await;
    assert_eq!(edit.status, 204, "{}", edit.text);
    assert_eq!(
        listed(&chat.get(&alice, &list).await)["content"]["message"],
        "second"
    );
    assert_eq!(
        chat.get(&alice, &one).await.body["content"]["message"],
        "second"
    );
    let old_one = chat
        .get(&alice, &format!("{one}?api-version=2021-09-07"))
        .await;
    assert_eq!(old_one.body["content"], json!({"message": "second"}));

    // A deletion too, in each api-version's shape.
    let deleted = chat.call(&alice, Method::DELETE, &one, None).await;
    assert_eq!(deleted.status, 204);
    let now = listed(&chat.get(&alice, &list).await);
    assert_eq!(now["content"], json!({"message": "", "attachments": []}));
    assert!(now.get("editedOn").is_none(), "{now}");
    assert!(now.get("deletedOn").is_some(), "{now}");
    let old_one = chat
        .get(&alice, &format!("{one}?api-version=2021-09-07"))
        .await;
    assert!(old_one.body.get("content").is_none(), "{}", old_one.text);
    assert!(old_one.body.get("editedOn").is_some(), "{}", old_one.text);
}

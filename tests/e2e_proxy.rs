//! With `HTTP_PROXY` set, a plain-http loopback endpoint (the emulator) is
//! reached directly: no bearer token or signed identity request ever goes
//! in clear to the proxy.
//!
//! Its own test binary, because proxies come from the process environment.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use acs_chat::identity::{CommunicationIdentityClient, CommunicationTokenScope};
use acs_chat::{ChatClient, CommunicationTokenCredential};
use acs_chat_emulator::Emulator;

#[tokio::test]
async fn loopback_http_endpoints_bypass_the_environments_proxy() {
    // A "proxy" that counts connections and answers nothing useful.
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let proxy_url = format!("http://{}", proxy.local_addr().expect("addr"));
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&connections);
    tokio::spawn(async move {
        while let Ok((stream, _)) = proxy.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    // Set before any client exists: reqwest reads it when a client is built.
    // This binary holds only this test, so nothing else reads the variable.
    for name in ["HTTP_PROXY", "http_proxy", "ALL_PROXY"] {
        std::env::set_var(name, &proxy_url);
    }
    std::env::remove_var("NO_PROXY");
    std::env::remove_var("no_proxy");

    // A client built by hand with the defaults does use the proxy: the test
    // would see it if the facade's clients did not bypass it.
    let naive = reqwest::Client::builder().build().expect("client");
    let emulator = Emulator::start().await.expect("emulator");
    let _ = naive
        .get(format!("{}admin/health", emulator.endpoint()))
        .send()
        .await;
    assert!(
        connections.load(Ordering::SeqCst) > 0,
        "the environment's proxy is in effect"
    );
    let before = connections.load(Ordering::SeqCst);

    let identity =
        CommunicationIdentityClient::from_connection_string(&emulator.connection_string())
            .expect("connection string");
    let created = identity
        .create_user_and_token([CommunicationTokenScope::Chat])
        .await
        .expect("identity reached directly");
    let chat = ChatClient::new(
        emulator.endpoint(),
        CommunicationTokenCredential::new(created.access_token.token()).expect("token"),
    )
    .expect("client");
    let thread = chat
        .create_chat_thread("direct")
        .await
        .expect("chat reached directly");
    chat.get_chat_thread_client(&thread.chat_thread.id)
        .send_message("hello")
        .await
        .expect("sent directly");
    assert_eq!(
        connections.load(Ordering::SeqCst),
        before,
        "nothing went through the proxy"
    );
    emulator.shutdown().await;
}

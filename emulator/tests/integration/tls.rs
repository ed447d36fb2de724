//! HTTPS with the generated development CA, and with PEM files.

use std::time::Duration;

use acs_chat_emulator::tls::generate_dev_certificates;
use acs_chat_emulator::{Emulator, TlsConfig};
use reqwest::Method;

use crate::common::Api;

fn trusting_client(ca_pem: &[u8]) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(ca_pem).expect("CA PEM parses");
    reqwest::Client::builder()
        .add_root_certificate(ca)
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client builds")
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "acs-emulator-test-{name}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[tokio::test]
async fn self_signed_serves_localhost_and_ip() {
    let dir = temp_dir("self-signed");
    let ca_path = dir.join("nested").join("ca.pem");
    let emulator = Emulator::builder()
        .tls(TlsConfig::SelfSigned {
            cert_path_out: Some(ca_path.clone()),
        })
        .start()
        .await
        .expect("starts");
    assert_eq!(emulator.ca_cert_path(), Some(ca_path.as_path()));
    assert!(emulator.endpoint().starts_with("https://127.0.0.1:"));
    let port = emulator.local_addr().port();
    let client = trusting_client(&std::fs::read(&ca_path).expect("CA written"));

    let mut versions = Vec::new();
    for endpoint in [
        format!("https://localhost:{port}/"),
        format!("https://127.0.0.1:{port}/"),
    ] {
        let api = Api::with_client(&endpoint, client.clone());
        let health = api.admin_get("/admin/health").await;
        assert_eq!(health["status"], "ok", "{endpoint}");
        // HMAC over HTTPS (possibly HTTP/2: the host comes from :authority).
        let response = api
            .signed(Method::POST, "/identities?api-version=2023-10-01", None)
            .await
            .expect("sent");
        assert_eq!(response.status(), 201, "{endpoint}");
        versions.push(response.version());
    }
    // ALPN offers h2; clients with HTTP/2 support (reqwest here) use it.
    assert!(
        versions.iter().all(|v| *v == reqwest::Version::HTTP_2),
        "{versions:?}"
    );

    // A client that does not trust the CA fails.
    let untrusting = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    assert!(untrusting
        .get(format!("https://localhost:{port}/admin/health"))
        .send()
        .await
        .is_err());
    emulator.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn default_ca_location_is_a_temp_file() {
    let emulator = Emulator::builder()
        .tls(TlsConfig::self_signed())
        .start()
        .await
        .expect("starts");
    let path = emulator.ca_cert_path().expect("reported").to_path_buf();
    let pem = std::fs::read(&path).expect("CA written");
    let api = Api::with_client(emulator.endpoint(), trusting_client(&pem));
    assert_eq!(api.admin_get("/admin/health").await["status"], "ok");
    emulator.shutdown().await;
    assert!(
        !path.exists(),
        "the generated temporary CA is removed at shutdown"
    );
}

#[tokio::test]
async fn files_config() {
    let dir = temp_dir("files");
    let certs = generate_dev_certificates(&["localhost", "127.0.0.1"]).expect("generated");
    let cert = dir.join("server.pem");
    let key = dir.join("server.key");
    std::fs::write(&cert, &certs.server_cert_pem).expect("write cert");
    std::fs::write(&key, &certs.server_key_pem).expect("write key");
    let emulator = Emulator::builder()
        .tls(TlsConfig::Files {
            cert: cert.clone(),
            key: key.clone(),
        })
        .start()
        .await
        .expect("starts");
    assert_eq!(emulator.ca_cert_path(), Some(cert.as_path()));
    let port = emulator.local_addr().port();
    let api = Api::with_client(
        &format!("https://localhost:{port}/"),
        trusting_client(certs.ca_cert_pem.as_bytes()),
    );
    assert_eq!(api.admin_get("/admin/health").await["status"], "ok");
    emulator.shutdown().await;

    // Missing files are a start error, not a panic.
    let missing = Emulator::builder()
        .tls(TlsConfig::Files {
            cert: dir.join("nope.pem"),
            key,
        })
        .start()
        .await;
    assert!(missing.is_err());
    let _ = std::fs::remove_dir_all(dir);
}

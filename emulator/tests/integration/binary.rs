//! The `acs-chat-emulator` binary: ready line, serving, Ctrl-C.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::Api;

const BIN: &str = env!("CARGO_BIN_EXE_acs-chat-emulator");

/// Kills the child if a test fails midway.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Parses `key=value` / `key="value"` pairs after the marker.
fn parse_ready(line: &str) -> Vec<(String, String)> {
    let rest = line
        .strip_prefix("ACS_EMULATOR_READY ")
        .expect("marker first");
    let mut pairs = Vec::new();
    let mut rest = rest.trim();
    while let Some((key, tail)) = rest.split_once('=') {
        let (value, tail) = if let Some(quoted) = tail.strip_prefix('"') {
            let (value, tail) = quoted.split_once('"').expect("closing quote");
            (value, tail)
        } else {
            tail.split_once(' ').unwrap_or((tail, ""))
        };
        pairs.push((key.trim().to_owned(), value.to_owned()));
        rest = tail.trim();
    }
    pairs
}

fn ready_line(child: &mut Child) -> String {
    let stdout = child.stdout.take().expect("stdout piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("ready line within 60 s")
}

/// Like [`wait_exit`], but lets the test's runtime run meanwhile (so the
/// HTTP client's connection tasks can answer the server's shutdown).
async fn wait_exit_async(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    None
}

fn wait_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    None
}

#[tokio::test]
async fn ready_line_serving_and_ctrl_c() {
    let child = Command::new(BIN)
        .args(["--port", "0", "--tls"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut guard = Guard(child);
    let line = ready_line(&mut guard.0);
    let pairs = parse_ready(line.trim_end());
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let endpoint = get("endpoint").expect("endpoint");
    assert!(
        endpoint.starts_with("https://127.0.0.1:") && endpoint.ends_with('/'),
        "{endpoint}"
    );
    let connection_string = get("connection_string").expect("connection_string");
    assert_eq!(
        connection_string,
        format!(
            "endpoint={endpoint};accesskey={}",
            acs_chat_emulator::DEV_ACCESS_KEY
        )
    );
    let ca = std::fs::read(get("ca_cert").expect("ca_cert")).expect("CA file exists");

    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("pem"))
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let api = Api::with_client(&endpoint, client);
    assert_eq!(api.admin_get("/admin/health").await["status"], "ok");

    let pid = guard.0.id().to_string();
    let status = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let started = Instant::now();
    let exit = wait_exit_async(&mut guard.0, Duration::from_secs(15))
        .await
        .expect("exits after SIGINT");
    assert!(exit.success(), "{exit:?}");
    // Graceful: the open HTTP/2 connection is closed promptly (GOAWAY), not
    // after the grace period.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn plain_http_ready_line_has_no_ca() {
    let child = Command::new(BIN)
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut guard = Guard(child);
    let line = ready_line(&mut guard.0);
    let pairs = parse_ready(line.trim_end());
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["endpoint", "connection_string"]);
    let pid = guard.0.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let exit = wait_exit(&mut guard.0, Duration::from_secs(15)).expect("exits after SIGTERM");
    assert!(exit.success());
}

#[test]
fn help_and_refusals() {
    let help = Command::new(BIN).arg("--help").output().expect("runs");
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--port",
        "--host",
        "--tls",
        "--tls-cert",
        "--tls-key",
        "--access-key",
        "--allow-remote",
        "--faults",
    ] {
        assert!(text.contains(flag), "{flag} in --help");
    }

    let remote = Command::new(BIN)
        .args(["--host", "0.0.0.0", "--port", "0"])
        .output()
        .expect("runs");
    assert_eq!(remote.status.code(), Some(1));
    assert!(remote.stdout.is_empty());
    assert!(String::from_utf8_lossy(&remote.stderr).contains("--allow-remote"));

    // Remote access with the public development key is refused, saying why.
    let remote_dev_key = Command::new(BIN)
        .args(["--host", "0.0.0.0", "--port", "0", "--allow-remote"])
        .output()
        .expect("runs");
    assert_eq!(remote_dev_key.status.code(), Some(1));
    assert!(remote_dev_key.stdout.is_empty());
    let why = String::from_utf8_lossy(&remote_dev_key.stderr);
    assert!(why.contains("access key of your own"), "{why}");

    let bad_key = Command::new(BIN)
        .args(["--port", "0", "--access-key", "%%%"])
        .output()
        .expect("runs");
    assert_eq!(bad_key.status.code(), Some(1));

    let bad_faults = Command::new(BIN)
        .args(["--port", "0", "--faults", "{\"rate429\": \"x\"}"])
        .output()
        .expect("runs");
    assert_eq!(bad_faults.status.code(), Some(2));
}

#[tokio::test]
async fn request_log_and_a_custom_key_never_shown_in_full() {
    use base64::Engine as _;
    let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    let child = Command::new(BIN)
        .args(["--port", "0", "--access-key", &key])
        .env("RUST_LOG", "acs_chat_emulator::requests=info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let mut guard = Guard(child);
    let line = ready_line(&mut guard.0);
    assert!(!line.contains(&key), "{line}");
    assert!(
        line.contains(&format!("accesskey={}…", &key[..4])),
        "{line}"
    );
    let pairs = parse_ready(line.trim_end());
    let endpoint = pairs
        .iter()
        .find(|(k, _)| k == "endpoint")
        .map(|(_, v)| v.clone())
        .expect("endpoint");

    let api = Api::new(&endpoint);
    let signing = crate::common::Signing {
        key: key.clone(),
        ..Default::default()
    };
    let created = api
        .signed_with(
            reqwest::Method::POST,
            "/identities?api-version=2023-10-01",
            Some(br#"{"createTokenWithScopes":["chat"]}"#.to_vec()),
            &signing,
            &[("x-ms-client-request-id", "log-test-1")],
        )
        .await
        .expect("sent");
    assert_eq!(created.status(), 201);
    let body: serde_json::Value = created.json().await.expect("json");
    let token = body["accessToken"]["token"]
        .as_str()
        .expect("token")
        .to_owned();

    let pid = guard.0.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    wait_exit_async(&mut guard.0, Duration::from_secs(15))
        .await
        .expect("exits after SIGTERM");
    let mut stderr = String::new();
    std::io::Read::read_to_string(guard.0.stderr.as_mut().expect("stderr piped"), &mut stderr)
        .expect("stderr readable");
    let log = stderr
        .lines()
        .find(|l| l.contains("log-test-1"))
        .unwrap_or_else(|| panic!("no request log line in {stderr}"));
    for field in [
        "method=POST",
        "path=/identities",
        "status=201",
        "latency_ms=",
    ] {
        assert!(log.contains(field), "{field} in {log}");
    }
    assert!(!stderr.contains(&key), "the key is never logged");
    assert!(!stderr.contains(&token), "a token is never logged");
}

#[test]
fn extra_resources_are_on_the_ready_line() {
    let child = Command::new(BIN)
        .args([
            "--port",
            "0",
            "--resource",
            "fabrikam=ZmFicmlrYW0ta2V5",
            "--resource",
            "contoso=Y29udG9zby1rZXk=",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut guard = Guard(child);
    let line = ready_line(&mut guard.0);
    let pairs = parse_ready(line.trim_end());
    let endpoint = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{key} in {line}"))
    };
    let main = endpoint("endpoint");
    let fabrikam = endpoint("resource.fabrikam");
    let contoso = endpoint("resource.contoso");
    assert!(fabrikam.starts_with("http://127.0.0.1:") && fabrikam.ends_with('/'));
    assert_ne!(fabrikam, main);
    assert_ne!(fabrikam, contoso);
    let pid = guard.0.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let exit = wait_exit(&mut guard.0, Duration::from_secs(15)).expect("exits after SIGTERM");
    assert!(exit.success());

    let refused = Command::new(BIN)
        .args(["--port", "0", "--resource", "nokey"])
        .output()
        .expect("runs");
    assert_eq!(refused.status.code(), Some(2));
}

//! Helpers shared by the fuzz targets: signing identity requests the way the
//! official SDKs do, with the emulator's development key.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The `Host` the helpers sign for.
pub const HOST: &str = "127.0.0.1:8080";

/// `(x-ms-date, x-ms-content-sha256, Authorization)` for a request signed
/// with `access_key` (standard base64), as the official SDKs sign it.
pub fn hmac_headers(
    access_key: &str,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> (String, String, String) {
    use sha2::Digest as _;
    let date = now.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let hash = STANDARD.encode(Sha256::digest(body));
    // A fuzz helper: the keys it is given are the emulator's valid ones.
    let secret = STANDARD.decode(access_key).unwrap_or_default();
    let mut mac = Hmac::<Sha256>::new_from_slice(&secret).expect("HMAC takes any key length");
    mac.update(format!("{method}\n{path_and_query}\n{date};{HOST};{hash}").as_bytes());
    let signature = STANDARD.encode(mac.finalize().into_bytes());
    let authorization = format!(
        "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}"
    );
    (date, hash, authorization)
}

//! HTTPS for the emulator (rustls with the aws-lc-rs provider).
//!
//! * [`TlsConfig::SelfSigned`]: at start, a fresh development CA and a server
//!   certificate signed by it (SANs `localhost`, `127.0.0.1`, `::1`, ECDSA
//!   P-256) are generated with rcgen. The CA certificate is written as PEM to
//!   `cert_path_out` (or a new temporary directory, removed again when the
//!   emulator stops) and reported by
//!   [`crate::Emulator::ca_cert_path`]: clients trust it with e.g. reqwest's
//!   `add_root_certificate`. (A CA plus leaf rather than one self-signed leaf,
//!   because WebPKI verifiers reject a CA certificate presented as the
//!   server certificate.)
//! * [`TlsConfig::Files`]: a PEM certificate chain and PEM private key
//!   (PKCS#8, PKCS#1 or SEC1); `ca_cert_path` reports the chain file.
//!
//! ALPN offers `h2` and `http/1.1`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Datelike;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// How to serve HTTPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsConfig {
    /// Generate a development CA and server certificate at start.
    SelfSigned {
        /// Where to write the CA certificate (PEM); a new temporary
        /// directory when `None`.
        cert_path_out: Option<PathBuf>,
    },
    /// Use these PEM files.
    Files {
        /// Certificate chain (server certificate first).
        cert: PathBuf,
        /// Private key.
        key: PathBuf,
    },
}

impl TlsConfig {
    /// Self-signed, CA written to a temporary directory.
    pub fn self_signed() -> Self {
        TlsConfig::SelfSigned {
            cert_path_out: None,
        }
    }
}

/// TLS setup failure.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Certificate generation failed.
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    /// Reading or writing a PEM file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A PEM file could not be parsed.
    #[error("{path}: {message}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// rustls refused the configuration.
    #[error("TLS configuration rejected: {0}")]
    Rustls(#[from] rustls::Error),
}

/// A development CA and a server certificate it signed, all PEM.
#[derive(Debug, Clone)]
pub struct DevCertificates {
    /// The CA certificate (what clients trust).
    pub ca_cert_pem: String,
    /// The server certificate.
    pub server_cert_pem: String,
    /// The server's private key (PKCS#8).
    pub server_key_pem: String,
}

/// Generates a development CA and a server certificate for `names`
/// (DNS names or IP addresses).
pub fn generate_dev_certificates(names: &[&str]) -> Result<DevCertificates, TlsError> {
    let year = chrono::Utc::now().year();
    let not_before = rcgen::date_time_ymd(year - 1, 1, 1);
    let not_after = rcgen::date_time_ymd(year + 2, 1, 1);

    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    let mut ca_name = DistinguishedName::new();
    ca_name.push(DnType::CommonName, "ACS Chat Emulator Development CA");
    ca_name.push(DnType::OrganizationName, "acs-chat-emulator");
    ca_params.distinguished_name = ca_name;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params.not_before = not_before;
    ca_params.not_after = not_after;
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate()?;
    let mut params =
        CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())?;
    let mut name = DistinguishedName::new();
    name.push(
        DnType::CommonName,
        names.first().copied().unwrap_or("localhost"),
    );
    params.distinguished_name = name;
    params.is_ca = IsCa::NoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.not_before = not_before;
    params.not_after = not_after;
    let server_cert = params.signed_by(&server_key, &issuer)?;

    Ok(DevCertificates {
        ca_cert_pem: ca_cert.pem(),
        server_cert_pem: server_cert.pem(),
        server_key_pem: server_key.serialize_pem(),
    })
}

/// A ready TLS acceptor and the certificate file clients should trust.
pub(crate) struct PreparedTls {
    pub(crate) acceptor: TlsAcceptor,
    pub(crate) ca_cert_path: PathBuf,
    /// A temporary directory created for the CA, to remove at shutdown.
    pub(crate) owned_dir: Option<PathBuf>,
}

/// Builds the acceptor for `config` (generating/writing files as needed).
pub(crate) fn prepare(config: &TlsConfig) -> Result<PreparedTls, TlsError> {
    match config {
        TlsConfig::SelfSigned { cert_path_out } => {
            let certs = generate_dev_certificates(&["localhost", "127.0.0.1", "::1"])?;
            let (path, owned_dir) = match cert_path_out {
                Some(path) => (path.clone(), None),
                None => {
                    let dir = std::env::temp_dir().join(format!(
                        "acs-chat-emulator-{}",
                        uuid::Uuid::new_v4().simple()
                    ));
                    (dir.join("ca.pem"), Some(dir))
                }
            };
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| TlsError::Io {
                    path: dir.to_path_buf(),
                    source,
                })?;
            }
            std::fs::write(&path, &certs.ca_cert_pem).map_err(|source| TlsError::Io {
                path: path.clone(),
                source,
            })?;
            let chain = parse_certs(
                Path::new("<generated>"),
                format!("{}{}", certs.server_cert_pem, certs.ca_cert_pem).as_bytes(),
            )?;
            let key = parse_key(Path::new("<generated>"), certs.server_key_pem.as_bytes())?;
            Ok(PreparedTls {
                acceptor: acceptor(chain, key)?,
                ca_cert_path: path,
                owned_dir,
            })
        }
        TlsConfig::Files { cert, key } => {
            let chain = parse_certs(cert, &read(cert)?)?;
            let key = parse_key(key, &read(key)?)?;
            Ok(PreparedTls {
                acceptor: acceptor(chain, key)?,
                ca_cert_path: cert.clone(),
                owned_dir: None,
            })
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn parse_certs(path: &Path, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| TlsError::Pem {
            path: path.to_path_buf(),
            message: err.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Pem {
            path: path.to_path_buf(),
            message: "no CERTIFICATE found".to_owned(),
        });
    }
    Ok(certs)
}

fn parse_key(path: &Path, pem: &[u8]) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|err| TlsError::Pem {
        path: path.to_path_buf(),
        message: err.to_string(),
    })
}

fn acceptor(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<TlsAcceptor, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_parseable_material() {
        let Ok(certs) = generate_dev_certificates(&["localhost", "127.0.0.1"]) else {
            panic!("generation failed");
        };
        assert!(certs.ca_cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        let chain = parse_certs(Path::new("x"), certs.server_cert_pem.as_bytes());
        let key = parse_key(Path::new("x"), certs.server_key_pem.as_bytes());
        assert!(matches!((chain, key), (Ok(c), Ok(_)) if c.len() == 1));
    }

    #[test]
    fn bad_pem_is_an_error() {
        assert!(parse_certs(Path::new("x"), b"nothing").is_err());
        assert!(parse_key(Path::new("x"), b"nothing").is_err());
    }
}

//! Test helpers: the emulator's address, a throwaway service-account key, and a local
//! OAuth token endpoint (Google's cannot be reached from here; the storage server is the
//! real emulator).
#![allow(dead_code)]

use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// `(endpoint, bucket)` of fake-gcs-server, or `None` (loud skip) when not configured.
pub fn emulator() -> Option<(String, String)> {
    let [e, b] = harmony_repo::conformance::server_env(
        "GCS",
        ["HARMONY_TEST_GCS_ENDPOINT", "HARMONY_TEST_GCS_BUCKET"],
    )?;
    Some((e, b))
}

/// A unique prefix for one test.
pub fn unique(name: &str) -> String {
    format!("gcs-tests/{name}-{:016x}", rand::random::<u64>())
}

/// A service-account key document with a fresh RSA key, whose tokens come from `token_uri`.
pub fn service_account_key(token_uri: &str) -> String {
    let mut rng = rand_core::OsRng;
    let key = rsa::RsaPrivateKey::new(&mut rng, 1024).expect("generate an RSA key");
    let pem = key.to_pkcs8_pem(LineEnding::LF).expect("PEM");
    serde_json::json!({
        "type": "service_account",
        "project_id": "harmony-test-project",
        "private_key_id": "0123456789abcdef",
        "private_key": pem.as_str(),
        "client_email": "harmony@harmony-test-project.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
    })
    .to_string()
}

/// A local OAuth token endpoint: grants a token, or refuses with `invalid_grant`.
pub struct TokenServer {
    pub url: String,
    pub requests: Arc<AtomicUsize>,
}

impl TokenServer {
    pub async fn start(grant: bool) -> TokenServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/token", listener.local_addr().expect("addr"));
        let requests = Arc::new(AtomicUsize::new(0));
        let count = requests.clone();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    read_request(&mut sock).await;
                    let (status, body) = if grant {
                        (
                            "200 OK",
                            r#"{"access_token":"test-token","token_type":"Bearer","expires_in":3600}"#,
                        )
                    } else {
                        (
                            "400 Bad Request",
                            r#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#,
                        )
                    };
                    let resp = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = sock.write_all(resp.as_bytes()).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        TokenServer { url, requests }
    }
}

/// Reads one HTTP request (headers, then `Content-Length` bytes of body).
async fn read_request(sock: &mut tokio::net::TcpStream) {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    loop {
        let Ok(n) = sock.read(&mut tmp).await else {
            return;
        };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&tmp[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return;
            }
        }
    }
}

//! Repository URLs: `file://`, `smb://`, `s3://`, `az://`, `gs://`.

use super::*;
use crate::error::Error;

pub(super) fn parse(spec: &str) -> Result<RepoSettings> {
    let u = ::url::Url::parse(spec)
        .map_err(|e| Error::settings(redact(spec), "url", format!("not a valid URL: {e}")))?;
    let source = redact(spec);
    let bad = |key: &str, problem: &str| Error::settings(&source, key, problem.to_string());
    let q = |name: &str| {
        u.query_pairs()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.into_owned())
    };
    let host = u.host_str().unwrap_or("").to_string();
    let segs: Vec<String> = u
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).map(percent_decode).collect())
        .unwrap_or_default();
    let rest = |from: usize| (segs.len() > from).then(|| segs[from..].join("/"));
    let (connector, root_path) = match u.scheme() {
        "file" => {
            let root = u
                .to_file_path()
                .map_err(|_| bad("path", "expected file:///absolute/folder"))?;
            (Connector::File { root }, None)
        }
        "smb" => {
            if host.is_empty() || segs.is_empty() {
                return Err(bad(
                    "path",
                    "expected smb://[user@]server[:port]/share[/sub/path]",
                ));
            }
            let user = (!u.username().is_empty()).then(|| percent_decode(u.username()));
            let password = u.password().map(|p| Secret::new(percent_decode(p)));
            let s = SmbSettings {
                server: host,
                port: u.port(),
                share: segs[0].clone(),
                user,
                password,
                domain: q("domain"),
            };
            (Connector::Smb(s), rest(1))
        }
        "s3" => {
            if host.is_empty() {
                return Err(bad("bucket", "expected s3://bucket[/prefix]"));
            }
            let s = S3Settings {
                bucket: host,
                region: q("region"),
                https: !matches!(q("protocol").as_deref(), Some("http" | "HTTP")),
                access_key: None,
                secret_access_key: None,
                endpoint: q("endpoint"),
                path_style: q("path_style").map(|v| v == "true"),
            };
            (Connector::S3(s), rest(0))
        }
        "az" | "azure" | "azblob" => {
            if host.is_empty() || segs.is_empty() {
                return Err(bad("container", "expected az://account/container[/prefix]"));
            }
            let s = AzureSettings {
                account: host,
                access_key: None,
                container: segs[0].clone(),
                blob_type: q("blob_type"),
                endpoint: q("endpoint"),
            };
            (Connector::AzureBlob(s), rest(1))
        }
        "gs" | "gcs" => {
            if host.is_empty() {
                return Err(bad("bucket", "expected gs://bucket[/prefix]"));
            }
            let s = GcsSettings {
                bucket: host,
                project_id: q("project"),
                account_key: None,
                endpoint: q("endpoint"),
            };
            (Connector::Gcs(s), rest(0))
        }
        other => {
            return Err(bad(
                "scheme",
                &format!("unknown scheme '{other}': expected file, smb, s3, az or gs"),
            ));
        }
    };
    let s = RepoSettings {
        source,
        root_path,
        connector,
        advanced: BTreeMap::new(),
        unknown: BTreeMap::new(),
    };
    s.root_prefix()?;
    Ok(s)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The URL without its password, for messages.
pub(crate) fn redact(spec: &str) -> String {
    match ::url::Url::parse(spec) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(_) => spec.to_string(),
        Err(_) => match spec.split_once('@') {
            Some((_, host)) => format!("***@{host}"),
            None => spec.to_string(),
        },
    }
}

//! The vendor's YAML settings files, read with errors that name the file and the key.

use super::*;
use crate::error::Error;
use std::collections::BTreeSet;
use yaml_rust2::{Yaml, YamlLoader};

/// A mapping being read: remembers which keys were used, to keep the others.
struct Section<'a> {
    source: &'a str,
    path: &'static str,
    map: Option<&'a yaml_rust2::yaml::Hash>,
    used: BTreeSet<String>,
}

fn scalar(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

impl<'a> Section<'a> {
    fn new(source: &'a str, path: &'static str, y: Option<&'a Yaml>) -> Result<Self> {
        let map = match y {
            None | Some(Yaml::Null) => None,
            Some(Yaml::Hash(h)) => Some(h),
            Some(_) => {
                return Err(Error::settings(
                    source,
                    path,
                    "expected a mapping of keys to values",
                ))
            }
        };
        Ok(Section {
            source,
            path,
            map,
            used: BTreeSet::new(),
        })
    }

    fn dotted(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The value of `key`, matched exactly first, then ignoring case.
    fn raw(&mut self, key: &str) -> Option<&'a Yaml> {
        let map = self.map?;
        let found = map
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .or_else(|| {
                map.iter()
                    .find(|(k, _)| k.as_str().is_some_and(|k| k.eq_ignore_ascii_case(key)))
            })?;
        self.used.insert(found.0.as_str()?.to_string());
        Some(found.1)
    }

    fn opt(&mut self, key: &str) -> Result<Option<String>> {
        match self.raw(key) {
            None | Some(Yaml::Null) => Ok(None),
            Some(y) => match scalar(y) {
                Some(s) if s.trim().is_empty() => Ok(None),
                Some(s) => Ok(Some(s)),
                None => Err(Error::settings(
                    self.source,
                    self.dotted(key),
                    "expected a text value",
                )),
            },
        }
    }

    fn req(&mut self, key: &str, what: &str) -> Result<String> {
        self.opt(key)?.ok_or_else(|| {
            Error::settings(
                self.source,
                self.dotted(key),
                format!("missing: expected {what}"),
            )
        })
    }

    fn secret(&mut self, key: &str) -> Result<Option<Secret>> {
        // Never echo a secret's value in an error, only its key.
        Ok(self.opt(key)?.map(Secret::new))
    }

    fn boolean(&mut self, key: &str) -> Result<Option<bool>> {
        match self.opt(key)?.map(|s| s.to_ascii_lowercase()) {
            None => Ok(None),
            Some(s) if s == "true" || s == "yes" => Ok(Some(true)),
            Some(s) if s == "false" || s == "no" => Ok(Some(false)),
            Some(_) => Err(Error::settings(
                self.source,
                self.dotted(key),
                "expected true or false",
            )),
        }
    }

    /// Keys of this section that were not read, kept with their values.
    fn rest(&self, out: &mut BTreeMap<String, Secret>) {
        for (k, v) in self.map.into_iter().flatten() {
            let Some(k) = k.as_str() else { continue };
            if !self.used.contains(k) {
                let v = scalar(v).unwrap_or_else(|| format!("{v:?}"));
                out.insert(self.dotted(k), Secret::new(v));
            }
        }
    }
}

pub(super) fn parse(text: &str, source: &str) -> Result<RepoSettings> {
    let docs = YamlLoader::load_from_str(text)
        .map_err(|e| Error::settings(source, "", format!("not valid YAML: {e}")))?;
    let doc = match docs.as_slice() {
        [d] => d,
        [] => {
            return Err(Error::settings(
                source,
                "",
                "empty document: expected a mapping with 'type'",
            ))
        }
        _ => {
            return Err(Error::settings(
                source,
                "",
                "expected one YAML document, found several",
            ))
        }
    };
    let mut top = Section::new(source, "", Some(doc))?;
    if top.map.is_none() {
        return Err(Error::settings(
            source,
            "",
            "expected a mapping with 'type'",
        ));
    }
    let ty = top.req("type", "one of file, smb, s3, AzureBlob, GCPBucket")?;
    let root_path = top.opt("rootPath")?;
    let mut cp = Section::new(
        source,
        "connectorProperties",
        top.raw("connectorProperties"),
    )?;
    let mut adv = Section::new(source, "advancedProperties", top.raw("advancedProperties"))?;
    let mut root_path = root_path;
    let connector = match ty.to_ascii_lowercase().as_str() {
        "file" => {
            let root = match cp.opt("rootPath")? {
                Some(r) => r,
                None => root_path.take().ok_or_else(|| {
                    Error::settings(
                        source,
                        "connectorProperties.rootPath",
                        "missing: expected the mounted folder",
                    )
                })?,
            };
            Connector::File { root: root.into() }
        }
        "smb" => {
            let share_path = cp.req("sharePath", "//server/share[/sub/path]")?;
            let (smb, sub) = parse_share_path(&share_path).ok_or_else(|| {
                Error::settings(
                    source,
                    "connectorProperties.sharePath",
                    "expected //server[:port]/share[/sub/path]",
                )
            })?;
            root_path = join_root(sub, root_path);
            Connector::Smb(SmbSettings {
                user: cp.opt("userName")?,
                password: cp.secret("userPassword")?,
                domain: match cp.opt("domain")? {
                    Some(d) => Some(d),
                    None => cp.opt("workgroup")?,
                },
                ..smb
            })
        }
        "s3" => Connector::S3(S3Settings {
            bucket: cp.req("bucket", "the bucket name")?,
            region: cp.opt("region")?,
            https: match cp
                .opt("protocol")?
                .map(|p| p.to_ascii_uppercase())
                .as_deref()
            {
                None | Some("HTTPS") => true,
                Some("HTTP") => false,
                Some(_) => {
                    return Err(Error::settings(
                        source,
                        "connectorProperties.protocol",
                        "expected HTTPS or HTTP",
                    ))
                }
            },
            access_key: cp.secret("accessKey")?,
            secret_access_key: cp.secret("secretAccessKey")?,
            endpoint: cp.opt("endpoint")?,
            path_style: cp.boolean("pathStyle")?,
        }),
        "azureblob" => Connector::AzureBlob(AzureSettings {
            account: cp.req("storageAccountName", "the storage account name")?,
            access_key: cp.secret("accessKey")?,
            container: cp.req("container", "the container name")?,
            blob_type: cp.opt("blobType")?,
            endpoint: cp.opt("endpoint")?,
        }),
        "gcpbucket" | "gcs" => Connector::Gcs(GcsSettings {
            bucket: cp.req("bucketName", "the bucket name")?,
            project_id: cp.opt("projectId")?,
            account_key: cp.secret("googleAccountKey")?,
            endpoint: cp.opt("endpoint")?,
        }),
        other => {
            return Err(Error::settings(
                source,
                "type",
                format!(
                    "unknown type '{other}': expected one of file, smb, s3, AzureBlob, GCPBucket"
                ),
            ))
        }
    };
    let mut advanced = BTreeMap::new();
    if let Some(map) = adv.map {
        for (k, v) in map {
            let Some(k) = k.as_str() else { continue };
            adv.used.insert(k.to_string());
            advanced.insert(k.to_string(), scalar(v).unwrap_or_else(|| format!("{v:?}")));
        }
    }
    let mut unknown = BTreeMap::new();
    top.rest(&mut unknown);
    cp.rest(&mut unknown);
    let s = RepoSettings {
        source: source.to_string(),
        root_path,
        connector,
        advanced,
        unknown,
    };
    s.root_prefix()?;
    Ok(s)
}

/// Joins the SMB share's sub-path with a top-level `rootPath`, if both are given.
pub(super) fn join_root(sub: Option<String>, root: Option<String>) -> Option<String> {
    let parts: Vec<String> = [sub, root]
        .into_iter()
        .flatten()
        .map(|s| s.trim_matches('/').to_string())
        .filter(|s| !s.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// `//server[:port]/share[/sub]` (backslashes accepted too) into settings and the sub-path.
pub(super) fn parse_share_path(p: &str) -> Option<(SmbSettings, Option<String>)> {
    let p = p.replace('\\', "/");
    let rest = p.strip_prefix("//").or_else(|| p.strip_prefix("smb://"))?;
    let mut it = rest.splitn(3, '/');
    let hostport = it.next().filter(|s| !s.is_empty())?;
    let share = it.next().filter(|s| !s.is_empty())?.to_string();
    let sub = it
        .next()
        .map(|s| s.trim_matches('/').to_string())
        .filter(|s| !s.is_empty());
    let (server, port) = match hostport.rsplit_once(':') {
        Some((h, port)) => (h.to_string(), Some(port.parse().ok()?)),
        _ => (hostport.to_string(), None),
    };
    Some((
        SmbSettings {
            server,
            port,
            share,
            ..Default::default()
        },
        sub,
    ))
}

#[cfg(test)]
mod tests;

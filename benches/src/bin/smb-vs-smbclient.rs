//! Our SMB backend vs `smbclient` and `rclone` (smb backend) on the same Samba:
//! 200 x 4 KiB files and one 64 MiB file, put then get, printed as throughput and
//! ratios (target: ours >= 0.9x smbclient on the large file).
//!
//! ```text
//! source target/servers/samba.env
//! cargo run --release -p harmony-repo-benches --bin smb-vs-smbclient
//! ```
//! Needs `smbclient` and `rclone` (>= 1.60) on the PATH. `BENCH_SMALL` (default 200),
//! `BENCH_LARGE_MIB` (default 64) and `BENCH_CONCURRENCY` (ours, default 8) scale it.
//! Every tool reads from and writes to local files; process start and session set-up
//! of smbclient / rclone count in their times, our connect does not.

use bytes::Bytes;
use futures::stream::{self, StreamExt, TryStreamExt};
use harmony_repo::{Key, PutMode, Repository};
use harmony_repo_smb::{SmbConfig, SmbRepository};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn var(n: &str) -> Res<String> {
    std::env::var(n).map_err(|_| format!("{n} is not set").into())
}

fn num(n: &str, default: usize) -> usize {
    std::env::var(n)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Server, port and share from `HARMONY_TEST_SMB_URL` (`smb://host:port/share`).
struct Target {
    host: String,
    port: u16,
    share: String,
    user: String,
    pw: String,
}

fn target() -> Res<Target> {
    let url = var("HARMONY_TEST_SMB_URL")?;
    let rest = url
        .strip_prefix("smb://")
        .ok_or("HARMONY_TEST_SMB_URL: smb:// URL")?;
    let (hostport, share) = rest
        .split_once('/')
        .ok_or("HARMONY_TEST_SMB_URL: no share")?;
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h.to_string(), p.parse()?),
        None => (hostport.to_string(), 445),
    };
    Ok(Target {
        host,
        port,
        share: share.trim_end_matches('/').to_string(),
        user: var("HARMONY_TEST_SMB_USER")?,
        pw: var("HARMONY_TEST_SMB_PASSWORD")?,
    })
}

fn run_cmd(cmd: &mut Command) -> Res<()> {
    let out = cmd.output()?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(())
}

fn timed(f: impl FnOnce() -> Res<()>) -> Res<f64> {
    let t = Instant::now();
    f()?;
    Ok(t.elapsed().as_secs_f64())
}

fn dir_bytes(dir: &Path) -> Res<u64> {
    let mut total = 0;
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        if e.file_type()?.is_file() {
            total += e.metadata()?.len();
        }
    }
    Ok(total)
}

/// Seconds for: small put, large put, small get, large get.
type Times = [f64; 4];

fn smbclient(t: &Target, local: &Path, out: &Path, remote: &str) -> Res<Times> {
    let session = |cmds: String| -> Res<()> {
        run_cmd(
            Command::new("smbclient")
                .arg(format!("//{}/{}", t.host, t.share))
                .args(["-p", &t.port.to_string(), "-U"])
                .arg(format!("{}%{}", t.user, t.pw))
                .args(["-c", &cmds]),
        )
    };
    let (l, o) = (local.display(), out.display());
    session(format!("mkdir {remote}; mkdir {remote}/small"))?;
    Ok([
        timed(|| {
            session(format!(
                "lcd {l}/small; cd {remote}/small; prompt off; mput *"
            ))
        })?,
        timed(|| session(format!("lcd {l}; cd {remote}; put large")))?,
        timed(|| {
            session(format!(
                "lcd {o}/small; cd {remote}/small; prompt off; mget *"
            ))
        })?,
        timed(|| session(format!("lcd {o}; cd {remote}; get large")))?,
    ])
}

fn rclone(t: &Target, local: &Path, out: &Path, remote: &str) -> Res<Times> {
    let obscured = Command::new("rclone").args(["obscure", &t.pw]).output()?;
    let pass = String::from_utf8(obscured.stdout)?.trim().to_string();
    let rc = |from: String, to: String| -> Res<()> {
        run_cmd(
            Command::new("rclone")
                .args(["copy", &from, &to])
                .env("RCLONE_CONFIG_S_TYPE", "smb")
                .env("RCLONE_CONFIG_S_HOST", &t.host)
                .env("RCLONE_CONFIG_S_PORT", t.port.to_string())
                .env("RCLONE_CONFIG_S_USER", &t.user)
                .env("RCLONE_CONFIG_S_PASS", &pass),
        )
    };
    let r = format!("S:{}/{remote}", t.share);
    let (l, o) = (local.display(), out.display());
    Ok([
        timed(|| rc(format!("{l}/small"), format!("{r}/small")))?,
        timed(|| rc(format!("{l}/large"), r.clone()))?,
        timed(|| rc(format!("{r}/small"), format!("{o}/small")))?,
        timed(|| rc(format!("{r}/large"), o.to_string()))?,
    ])
}

async fn ours(repo: Arc<SmbRepository>, local: &Path, out: &Path, remote: &str) -> Res<Times> {
    let conc = num("BENCH_CONCURRENCY", 8);
    let names: Vec<String> = std::fs::read_dir(local.join("small"))?
        .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
        .collect::<Res<_>>()?;
    let key = |name: &str| Key::new(format!("{remote}/{name}"));

    let t = Instant::now();
    stream::iter(names.iter())
        .map(|n| {
            let repo = repo.clone();
            let (path, key) = (local.join("small").join(n), key(&format!("small/{n}")));
            async move {
                let data = Bytes::from(tokio::fs::read(path).await?);
                repo.put(&key?, data, PutMode::Overwrite).await?;
                Ok::<_, Box<dyn std::error::Error>>(())
            }
        })
        .buffer_unordered(conc)
        .try_collect::<Vec<_>>()
        .await?;
    let small_put = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let file = tokio::fs::File::open(local.join("large")).await?;
    // A fresh 1 MiB buffer per chunk, as a real producer would make.
    let body = stream::try_unfold(file, |mut f| async move {
        let mut buf = vec![0u8; 1 << 20];
        let mut len = 0;
        while len < buf.len() {
            match f.read(&mut buf[len..]).await? {
                0 => break,
                n => len += n,
            }
        }
        buf.truncate(len);
        Ok((len > 0).then(|| (Bytes::from(buf), f)))
    })
    .map_err(|e: std::io::Error| {
        harmony_repo::Error::backend(harmony_repo::Location::repo("local file"), e)
    });
    repo.put_stream(&key("large")?, body.boxed(), PutMode::Overwrite)
        .await?;
    let large_put = t.elapsed().as_secs_f64();

    let t = Instant::now();
    stream::iter(names.iter())
        .map(|n| {
            let repo = repo.clone();
            let (path, key) = (out.join("small").join(n), key(&format!("small/{n}")));
            async move {
                let data = repo.get(&key?).await?.bytes().await?;
                tokio::fs::write(path, data).await?;
                Ok::<_, Box<dyn std::error::Error>>(())
            }
        })
        .buffer_unordered(conc)
        .try_collect::<Vec<_>>()
        .await?;
    let small_get = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let mut f = tokio::fs::File::create(out.join("large")).await?;
    let mut body = repo.get(&key("large")?).await?.body;
    while let Some(chunk) = body.try_next().await? {
        f.write_all(&chunk).await?;
    }
    f.flush().await?;
    let large_get = t.elapsed().as_secs_f64();
    Ok([small_put, large_put, small_get, large_get])
}

/// Writes the input files; returns (small bytes in all, large bytes).
fn prepare(local: &Path, n: usize, large_mib: usize) -> Res<(u64, u64)> {
    std::fs::create_dir_all(local.join("small"))?;
    for i in 0..n {
        let data: Vec<u8> = (0..4096).map(|j| (i * 31 + j) as u8).collect();
        std::fs::write(local.join("small").join(format!("f{i:04}.bin")), data)?;
    }
    let mut large = vec![0u8; large_mib << 20];
    for (i, b) in large.iter_mut().enumerate() {
        *b = (i / 4093) as u8 ^ (i as u8);
    }
    std::fs::write(local.join("large"), &large)?;
    Ok(((n * 4096) as u64, large.len() as u64))
}

fn fresh(dir: PathBuf) -> Res<PathBuf> {
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("small"))?;
    Ok(dir)
}

#[tokio::main]
async fn main() -> Res<()> {
    let (n, large_mib) = (num("BENCH_SMALL", 200), num("BENCH_LARGE_MIB", 64));
    let t = target()?;
    let run = format!("bench-{:08x}", rand::random::<u32>());
    let work = std::env::temp_dir().join(format!("harmony-smb-{run}"));
    let local = work.join("in");
    let (small_bytes, large_bytes) = prepare(&local, n, large_mib)?;

    let config = SmbConfig::new(t.host.clone(), t.share.clone())
        .port(t.port)
        .user(t.user.clone())
        .password(t.pw.clone());
    let repo = Arc::new(SmbRepository::connect(config).await?);
    let mut rows: Vec<(&str, Times)> = Vec::new();
    for tool in ["ours", "smbclient", "rclone"] {
        let out = fresh(work.join(format!("out-{tool}")))?;
        let remote = format!("{run}/{tool}");
        let times = match tool {
            "ours" => ours(repo.clone(), &local, &out, &remote).await?,
            "smbclient" => smbclient(&t, &local, &out, &remote)?,
            _ => rclone(&t, &local, &out, &remote)?,
        };
        let got = (dir_bytes(&out.join("small"))?, dir_bytes(&out)?);
        if got != (small_bytes, large_bytes) {
            return Err(format!("{tool}: read back {got:?} bytes").into());
        }
        rows.push((tool, times));
    }
    repo.delete_prefix(&Key::new(run.clone())?).await?;
    let _ = std::fs::remove_dir_all(&work);

    println!("{n} x 4 KiB files and one {large_mib} MiB file on the same Samba (MB/s; ours at concurrency {})",
        num("BENCH_CONCURRENCY", 8));
    println!("| case | ours | smbclient | rclone | ours/smbclient | ours/rclone |");
    println!("|---|---|---|---|---|---|");
    let cases = [
        (format!("{n} x 4 KiB put"), small_bytes),
        (format!("{large_mib} MiB put"), large_bytes),
        (format!("{n} x 4 KiB get"), small_bytes),
        (format!("{large_mib} MiB get"), large_bytes),
    ];
    for (i, (label, bytes)) in cases.iter().enumerate() {
        let rate = |secs: f64| *bytes as f64 / 1e6 / secs;
        let (o, s, r) = (rate(rows[0].1[i]), rate(rows[1].1[i]), rate(rows[2].1[i]));
        println!(
            "| {label} | {o:.1} | {s:.1} | {r:.1} | {:.2} | {:.2} |",
            o / s,
            o / r
        );
    }
    Ok(())
}

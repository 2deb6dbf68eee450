//! Writes the benchmark tree, or changes 1% of it, deterministically.
//!
//! ```text
//! bench-tree gen DIR FILES      # FILES files of 200 B..64 KiB in three levels
//! bench-tree change DIR FILES ROUND  # rewrite every 100th file (new content each ROUND):
//!                                    # half keep their size, half grow by 17 bytes
//! ```

use harmony_repo_benches::{tree_path, Rng, SIZES};
use std::path::Path;
use std::process::ExitCode;

fn gen(dir: &Path, files: usize) -> std::io::Result<u64> {
    let mut rng = Rng::new(0x0048_4152_4d4f_4e59); // "HARMONY"
    let mut total = 0;
    for i in 0..files {
        let path = dir.join(tree_path(i));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let size = rng.size(SIZES.0, SIZES.1);
        std::fs::write(&path, rng.text(size as usize))?;
        total += size;
    }
    Ok(total)
}

/// Rewrites files 50, 150, 250, ...: even ones keep their size (only a digest or a
/// byte comparison can tell), odd ones grow by 17 bytes.
fn change(dir: &Path, files: usize, round: u64) -> std::io::Result<usize> {
    let mut rng = Rng::new(0x4348_414e_4745_0000 ^ round.wrapping_mul(0x1000_0001)); // "CHANGE"
    let mut n = 0;
    for i in (50..files).step_by(100) {
        let path = dir.join(tree_path(i));
        let old = std::fs::read(&path)?.len();
        let len = if n % 2 == 0 { old } else { old + 17 };
        std::fs::write(&path, rng.text(len))?;
        n += 1;
    }
    Ok(n)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |s: &str| s.parse::<u64>().ok();
    let result = match &args[..] {
        [cmd, dir, files] if cmd == "gen" && num(files).is_some() => {
            let files = num(files).unwrap_or_default() as usize;
            gen(Path::new(dir), files)
                .map(|b| println!("wrote {files} files, {b} bytes, under {dir}"))
        }
        [cmd, dir, files, round] if cmd == "change" && num(files).is_some() => {
            let (files, round) = (num(files).unwrap_or_default() as usize, num(round));
            change(Path::new(dir), files, round.unwrap_or_default())
                .map(|n| println!("changed {n} files under {dir}"))
        }
        _ => {
            eprintln!("usage: bench-tree gen DIR FILES | bench-tree change DIR FILES ROUND");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-tree: {e}");
            ExitCode::FAILURE
        }
    }
}

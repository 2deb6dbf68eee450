//! config-sync: push, pull, mirror and diff Harmony configuration trees.
//!
//! Runtime trees that share the root are never listed, copied or deleted.

use clap::{Parser, Subcommand};
use harmony_repo_any::sync::{self, SyncOptions, SyncState};
use harmony_repo_any::Repository;
use harmony_repo_examples::*;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(
    version,
    about = "Push, pull, mirror and diff Harmony configuration trees"
)]
struct Cli {
    /// The configuration repository: a folder, a URL (smb://, s3://, az://, gs://, file://)
    /// or the vendor's settings file (cleo-config-repo).
    #[arg(
        long,
        env = "HARMONY_REPO",
        default_value = "shared-config",
        global = true
    )]
    repo: String,
    /// The system name (the tree is <root>/<system>/).
    #[arg(
        long,
        env = "CLEO_SYSTEM_NAME",
        default_value = "System1",
        global = true
    )]
    system: String,
    /// Objects transferred at once.
    #[arg(short = 'j', long, default_value_t = 16, global = true)]
    jobs: usize,
    /// Print the plan; change nothing.
    #[arg(long, global = true)]
    dry_run: bool,
    /// Overwrite destination objects that changed since the plan was made.
    #[arg(long, global = true)]
    force: bool,
    /// Machine-readable output (one JSON document on stdout).
    #[arg(long, global = true)]
    json: bool,
    /// Keep no sync-state record (every unchanged object without a digest is then read).
    #[arg(long, global = true)]
    no_state: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Copy a folder (or repository) into the system's configuration tree.
    Push {
        /// Source folder, URL or settings file.
        from: String,
        /// Also delete what the source lacks.
        #[arg(long)]
        delete: bool,
    },
    /// Copy the system's configuration tree into a folder (or repository).
    Pull {
        /// Destination folder, URL or settings file.
        to: String,
        /// Also delete what the configuration tree lacks.
        #[arg(long)]
        delete: bool,
    },
    /// Make the system's configuration tree in TO identical to the one in FROM.
    Mirror {
        /// Source repository (URL, settings file or folder).
        from: String,
        /// Destination repository.
        to: String,
    },
    /// Show what differs between a folder (or repository) and the configuration tree;
    /// exit status 1 when something differs.
    Diff {
        /// Folder, URL or settings file to compare with.
        other: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    exit_status("config-sync", run(Cli::parse()).await)
}

async fn run(cli: Cli) -> harmony_repo_any::Result<ExitCode> {
    let out = Output::new(cli.json);
    let (src, dst, delete, diff): (Arc<dyn Repository>, Arc<dyn Repository>, bool, bool) =
        match &cli.command {
            Command::Push { from, delete } => (
                open_raw(from).await?,
                open_config(&cli.repo, &cli.system).await?,
                *delete,
                false,
            ),
            Command::Pull { to, delete } => (
                open_config(&cli.repo, &cli.system).await?,
                open_raw(to).await?,
                *delete,
                false,
            ),
            Command::Mirror { from, to } => (
                open_config(from, &cli.system).await?,
                open_config(to, &cli.system).await?,
                true,
                false,
            ),
            Command::Diff { other } => (
                open_raw(other).await?,
                open_config(&cli.repo, &cli.system).await?,
                true,
                true,
            ),
        };
    let state_path =
        (!cli.no_state).then(|| SyncState::default_path(&src.to_string(), &dst.to_string()));
    let mut opts = SyncOptions {
        delete,
        force: cli.force,
        concurrency: cli.jobs.max(1),
        state_path,
        ..Default::default()
    };
    let plan = sync::plan(&*src, &*dst, &opts).await?;
    if diff || cli.dry_run {
        match out {
            Output::Json => println!("{}", plan_json(&plan)),
            Output::Human => print_plan(&plan),
        }
        return Ok(if diff && plan.changes() > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    let (bar, handler) = progress(&plan, out);
    opts.on_event = Some(handler);
    let summary = sync::apply(&plan, &*src, &*dst, &opts).await;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    match out {
        Output::Json => println!("{}", summary_json(&summary)),
        Output::Human => print_summary(&summary),
    }
    Ok(if summary.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

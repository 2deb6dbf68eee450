//! Shared pieces of the example tools: opening endpoints and reporting progress.

use harmony_repo_any::layout::System;
use harmony_repo_any::sync::{Action, Event, EventHandler, Plan, Summary};
use harmony_repo_any::{open_location, Name, Repository, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;

/// Opens a location (URL, folder or settings file) as is.
pub async fn open_raw(spec: &str) -> Result<Arc<dyn Repository>> {
    open_location(spec).await
}

/// Opens the configuration tree of `system` in the repository at `spec`.
pub async fn open_config(spec: &str, system: &str) -> Result<Arc<dyn Repository>> {
    let sys = System::new(open_location(spec).await?, Name::new(system)?);
    Ok(Arc::new(sys.config()))
}

/// Opens the whole tree of `system` (configuration and every runtime tree).
pub async fn open_system(spec: &str, system: &str) -> Result<Arc<dyn Repository>> {
    let root = open_location(spec).await?;
    Ok(Arc::new(harmony_repo_any::Prefixed::new(
        root,
        Name::new(system)?.to_key(),
    )))
}

/// A tool's exit status: its own on success; on an error, the message and status 2.
pub fn exit_status(tool: &str, result: Result<std::process::ExitCode>) -> std::process::ExitCode {
    result.unwrap_or_else(|e| {
        eprintln!("{tool}: {e}");
        std::process::ExitCode::from(2)
    })
}

/// How results are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// A progress bar on a terminal, plain lines otherwise.
    Human,
    /// One JSON document on stdout.
    Json,
}

impl Output {
    /// JSON when asked for, else for people.
    pub fn new(json: bool) -> Output {
        if json {
            Output::Json
        } else {
            Output::Human
        }
    }
}

/// A progress reporter: a bar on a terminal, one line per action otherwise (not in JSON mode).
pub fn progress(plan: &Plan, out: Output) -> (Option<ProgressBar>, EventHandler) {
    let total: u64 = plan.actions.iter().map(Action::bytes).sum();
    let bar = (out == Output::Human && std::io::stderr().is_terminal()).then(|| {
        let b = ProgressBar::new(total);
        let style =
            ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
        b.set_style(style);
        b
    });
    let b = bar.clone();
    let handler: EventHandler = Arc::new(move |e: &Event| {
        let line = match e {
            Event::Done(a, n) => format!("{} {} ({n} B)", a.verb(), a.key()),
            Event::Conflict(a, err) => format!("CONFLICT {} {}: {err}", a.verb(), a.key()),
            Event::Failed(a, err) => format!("FAILED {} {}: {err}", a.verb(), a.key()),
        };
        match (&b, e) {
            (Some(b), Event::Done(_, n)) => {
                b.inc(*n);
                b.set_message(line);
            }
            (Some(b), _) => b.println(line),
            (None, _) if out == Output::Human => eprintln!("{line}"),
            _ => {}
        }
    });
    (bar, handler)
}

/// The plan as JSON actions.
pub fn plan_json(plan: &Plan) -> serde_json::Value {
    let actions: Vec<_> = plan
        .actions
        .iter()
        .map(|a| serde_json::json!({"action": a.verb(), "key": a.key().as_str(), "bytes": a.bytes()}))
        .collect();
    serde_json::json!({
        "create": plan.creates(), "update": plan.updates(), "delete": plan.deletes(),
        "unchanged": plan.unchanged.len(), "actions": actions,
    })
}

/// Prints the plan for people.
pub fn print_plan(plan: &Plan) {
    for a in &plan.actions {
        println!("{:<7} {} ({} B)", a.verb(), a.key(), a.bytes());
    }
    println!(
        "plan: {} to create, {} to update, {} to delete, {} unchanged",
        plan.creates(),
        plan.updates(),
        plan.deletes(),
        plan.unchanged.len()
    );
}

/// The summary as JSON.
pub fn summary_json(s: &Summary) -> serde_json::Value {
    let errors: Vec<_> = s
        .errors
        .iter()
        .map(|(k, e)| serde_json::json!({"key": k.as_str(), "error": e}))
        .collect();
    serde_json::json!({
        "created": s.created, "updated": s.updated, "deleted": s.deleted, "unchanged": s.unchanged,
        "bytes": s.bytes, "conflicts": s.conflicts, "failed": s.failed,
        "seconds": s.elapsed.as_secs_f64(), "errors": errors,
    })
}

/// Prints the summary for people.
pub fn print_summary(s: &Summary) {
    for (k, e) in &s.errors {
        eprintln!("error: {k}: {e}");
    }
    println!(
        "done in {:.2}s: {} created, {} updated, {} deleted, {} unchanged, {} bytes; {} conflicts, {} failed",
        s.elapsed.as_secs_f64(),
        s.created,
        s.updated,
        s.deleted,
        s.unchanged,
        s.bytes,
        s.conflicts,
        s.failed
    );
}

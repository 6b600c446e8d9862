//! The end-of-run summary a person reads: what was published, what was unchanged, what
//! was not due and why, what was held back and why, and what failed.

use std::io::{self, Write};

use super::{DatasetResult, Outcome, RunReport};
use crate::publish::Step;

fn line(d: &DatasetResult) -> String {
    format!(
        "{}  {}",
        d.reference.as_deref().unwrap_or("(unreadable manifest)"),
        d.title.as_deref().unwrap_or(&d.manifest)
    )
}

/// Writes the summary for a terminal or a log file.
///
/// # Errors
/// The write failed.
pub fn write_text<W: Write>(r: &RunReport, mut w: W) -> io::Result<()> {
    writeln!(
        w,
        "ogpipe {} {}{} (as of {}) on {}",
        match r.source {
            super::Source::Build => "run",
            super::Source::Packages => "publish",
        },
        r.run_id,
        if r.dry_run { ", dry run" } else { "" },
        r.as_of,
        r.portal
    )?;
    if !r.preflight.is_empty() {
        writeln!(
            w,
            "\nPreflight failed: nothing was published. Fix these and run again ({}):",
            r.preflight.len()
        )?;
        for p in &r.preflight {
            writeln!(w, "  {p}")?;
        }
    }
    type Pick = fn(&Outcome) -> bool;
    let groups: [(&str, Pick); 6] = [
        ("Published", |o| matches!(o, Outcome::Published { .. })),
        ("Would change (dry run)", |o| {
            matches!(o, Outcome::Planned { .. })
        }),
        ("Unchanged", |o| matches!(o, Outcome::Unchanged { .. })),
        ("Not due", |o| matches!(o, Outcome::NotDue { .. })),
        ("Held back: someone must look", |o| {
            matches!(o, Outcome::Held { .. })
        }),
        ("Failed", |o| matches!(o, Outcome::Failed { .. })),
    ];
    for (title, pick) in groups {
        let items: Vec<&DatasetResult> = r.datasets.iter().filter(|d| pick(&d.outcome)).collect();
        if items.is_empty() {
            continue;
        }
        writeln!(w, "\n{title} ({})", items.len())?;
        for d in items {
            match &d.outcome {
                Outcome::Published { status, url, .. } => writeln!(
                    w,
                    "  {}  [{}] {url}",
                    line(d),
                    serde_json::to_value(status)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                )?,
                Outcome::Unchanged { url } => writeln!(w, "  {}  {url}", line(d))?,
                Outcome::NotDue { reason } => writeln!(w, "  {}\n      {reason}", line(d))?,
                Outcome::Held { reason, .. } => writeln!(w, "  {}\n      {reason}", line(d))?,
                Outcome::Failed { error } => writeln!(w, "  {}\n      {error}", line(d))?,
                Outcome::Planned { plan } => {
                    writeln!(w, "  {}", line(d))?;
                    if plan.steps.is_empty() {
                        writeln!(w, "      nothing to change")?;
                    }
                    for s in &plan.steps {
                        writeln!(w, "      {}", describe_step(s))?;
                    }
                }
            }
        }
    }
    let n = |f: fn(&Outcome) -> bool| r.count(f);
    writeln!(
        w,
        "\n{} published, {} unchanged, {} not due, {} held back, {} failed{}",
        n(|o| matches!(o, Outcome::Published { .. })),
        n(|o| matches!(o, Outcome::Unchanged { .. })),
        n(|o| matches!(o, Outcome::NotDue { .. })),
        n(|o| matches!(o, Outcome::Held { .. })),
        n(|o| matches!(o, Outcome::Failed { .. })),
        if r.dry_run {
            format!(
                ", {} would change",
                n(|o| matches!(o, Outcome::Planned { plan } if !plan.steps.is_empty()))
            )
        } else {
            String::new()
        }
    )
}

/// One plan step in words.
pub fn describe_step(s: &Step) -> String {
    match s {
        Step::CreateDataset { .. } => "create the dataset as a draft".into(),
        Step::PatchDataset { changed, .. } => format!("update metadata: {}", changed.join(", ")),
        Step::UploadResource { key, bytes, .. } => format!("upload {key} ({bytes} bytes)"),
        Step::ReplaceFile { key, bytes, .. } => {
            format!("replace the file of {key} ({bytes} bytes)")
        }
        Step::PatchResource { key, changed, .. } => format!("update {key}: {}", changed.join(", ")),
        Step::DeleteResource { key, resource_id } => format!("delete {key} ({resource_id})"),
        Step::MakePublic { .. } => "make the dataset public".into(),
    }
}

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
    if r.rehearsal {
        writeln!(
            w,
            "REHEARSAL: this run published to ogpipe's own embedded portal ({}), which stopped with the run; nothing reached a real portal. `ogpipe portal serve --state out/portal` serves it again to browse.\n",
            r.portal
        )?;
    }
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
    let groups: [(&str, Pick); 8] = [
        // First: what was public and no longer should be.
        ("Retracted from the public portal", |o| {
            matches!(o, Outcome::Retracted { .. })
        }),
        ("Published", |o| matches!(o, Outcome::Published { .. })),
        ("Would change (dry run)", |o| {
            matches!(o, Outcome::Planned { .. })
        }),
        ("Unchanged", |o| matches!(o, Outcome::Unchanged { .. })),
        ("Not due", |o| matches!(o, Outcome::NotDue { .. })),
        ("Held back: someone must look", |o| {
            matches!(o, Outcome::Held { .. })
        }),
        // Running again unchanged will not help these: something must be fixed first.
        ("Refused by the portal", |o| {
            matches!(o, Outcome::Refused { .. })
        }),
        // The portal or the machine failed: running again once it is fixed will help.
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
                Outcome::Failed { error } | Outcome::Refused { error } => {
                    writeln!(w, "  {}\n      {error}", line(d))?
                }
                Outcome::Retracted {
                    url,
                    still_public,
                    why,
                } => writeln!(
                    w,
                    "  {}  {url}\n      {why}; {}",
                    line(d),
                    if *still_public {
                        "STILL PUBLIC: portal.retract = \"warn\" only reports it; make it private on the portal, or set portal.retract = \"private\""
                    } else {
                        "made private on the portal"
                    }
                )?,
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
        n(|o| matches!(o, Outcome::Failed { .. } | Outcome::Refused { .. })),
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
        Step::TouchDataset => "touch the dataset, so that harvesters see the removal".into(),
        Step::MakePublic { .. } => "make the dataset public, once everything reads back".into(),
    }
}

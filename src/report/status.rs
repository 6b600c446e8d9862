//! `ogpipe status`: every dataset of the inventory, what the journal says was published,
//! and what the next run will do with it.
//!
//! "What the next run will do" is worked out without the portal and without building:
//! a dataset the gate lets through is *unchanged* when its current package's data files
//! carry the SHA-256 the journal recorded as published, and the source files still hash
//! as the package's `provenance.json` says. Anything else is *publish*, with why.
//! A change to the manifest's metadata alone is not seen here; `ogpipe run --dry-run`
//! compares with the portal itself.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use super::{Entry, Published};
use crate::checksum::hash_reader;
use crate::package::package_path;

/// What the next run will do with a dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum NextAction {
    Publish {
        why: String,
    },
    /// Unchanged: the package matches what was published.
    Nothing,
    Hold {
        reason: String,
    },
}

impl std::fmt::Display for NextAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NextAction::Publish { why } => write!(f, "publish ({why})"),
            NextAction::Nothing => write!(f, "nothing (unchanged)"),
            NextAction::Hold { reason } => write!(f, "hold: {reason}"),
        }
    }
}

/// One line of `ogpipe status`.
#[derive(Debug, Clone, Serialize)]
pub struct StatusLine {
    #[serde(flatten)]
    pub entry: Entry,
    pub next_run: NextAction,
}

#[derive(serde::Deserialize)]
struct ProvenanceSource {
    path: String,
    sha256: String,
}

#[derive(serde::Deserialize)]
struct ProvenanceFile {
    sources: Vec<ProvenanceSource>,
}

/// The data files of a package's `SHA256SUMS`: name → hex digest.
fn package_data_files(dir: &Path) -> io::Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(dir.join("SHA256SUMS"))?;
    Ok(text
        .lines()
        .filter_map(|l| l.split_once("  "))
        .filter(|(_, name)| *name != "datapackage.json" && !name.ends_with("-metadata.json"))
        .map(|(d, name)| (name.to_string(), d.to_string()))
        .collect())
}

/// Why the package differs from what was published, if it does.
fn package_differs(published: &Published, dir: &Path, data_dir: &Path) -> Option<String> {
    let Ok(files) = package_data_files(dir) else {
        return Some("no current package; the run builds one and compares".into());
    };
    let recorded: BTreeMap<&str, &str> = published
        .files
        .iter()
        .map(|f| (f.key.as_str(), f.sha256.as_str()))
        .collect();
    let changed = files
        .iter()
        .filter(|(name, d)| recorded.get(name.as_str()) != Some(&d.as_str()))
        .count()
        + recorded.keys().filter(|k| !files.contains_key(**k)).count();
    if changed > 0 {
        return Some(format!("{changed} file(s) differ from what was published"));
    }
    let provenance: ProvenanceFile = match std::fs::read(dir.join("provenance.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
    {
        Some(p) => p,
        None => return Some("the package has no readable provenance.json".into()),
    };
    for s in &provenance.sources {
        let now = std::fs::File::open(data_dir.join(&s.path))
            .and_then(hash_reader)
            .map(|(d, _)| d.hex());
        match now {
            Ok(d) if d.eq_ignore_ascii_case(s.sha256.trim_start_matches("sha256:")) => {}
            Ok(_) => return Some(format!("source {} changed", s.path)),
            Err(_) => return Some(format!("source {} cannot be read", s.path)),
        }
    }
    None
}

/// What the next run will do with `entry`, judged from the package in `output` and the
/// source files in `data_dir`.
pub fn next_action(entry: &Entry, output: &Path, data_dir: &Path) -> NextAction {
    if let Some(h) = &entry.hold {
        return NextAction::Hold {
            reason: h.to_string(),
        };
    }
    let Some(published) = &entry.published else {
        return NextAction::Publish {
            why: "never published".into(),
        };
    };
    let Some(slug) = &entry.slug else {
        return NextAction::Publish {
            why: "never published".into(),
        };
    };
    match package_differs(published, &package_path(output, slug), data_dir) {
        Some(why) => NextAction::Publish { why },
        None => NextAction::Nothing,
    }
}

fn imso(e: &Entry) -> String {
    e.imso
        .as_ref()
        .map_or_else(|| "awaiting".into(), |a| format!("{}, {}", a.name, a.date))
}

/// Writes the status for a terminal: one table row per dataset, then the published files
/// with their SHA-256 and portal URLs.
///
/// # Errors
/// The write failed.
pub fn write_text<W: Write>(
    lines: &[StatusLine],
    as_of: chrono::NaiveDate,
    mut w: W,
) -> io::Result<()> {
    writeln!(w, "Status as of {as_of} ({} datasets)\n", lines.len())?;
    let head = [
        "REFERENCE",
        "CATEGORY",
        "DECISION",
        "IMSO APPROVAL",
        "RELEASE",
        "LAST PUBLISHED",
        "NEXT RUN",
    ];
    let rows: Vec<[String; 7]> = lines
        .iter()
        .map(|l| {
            let e = &l.entry;
            [
                e.name().to_string(),
                e.category.clone().unwrap_or_else(|| "?".into()),
                // Grounds are long: they are in the NEXT RUN reason and the details.
                e.decision_label().to_string(),
                imso(e),
                e.release_date.map_or_else(|| "?".into(), |d| d.to_string()),
                e.published
                    .as_ref()
                    .map_or_else(|| "never".into(), |p| p.last.clone()),
                l.next_run.to_string(),
            ]
        })
        .collect();
    let mut widths = head.map(|h| h.chars().count());
    for r in &rows {
        // The last column is not padded, so a long reason does not widen the table.
        for (i, c) in r.iter().enumerate().take(6) {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i < 6 {
                s.push_str(&format!("{c:<width$}  ", width = widths[i]));
            } else {
                s.push_str(c);
            }
        }
        s.trim_end().to_string()
    };
    writeln!(w, "{}", line(&head.map(String::from)))?;
    for r in &rows {
        writeln!(w, "{}", line(r))?;
    }
    writeln!(w)?;
    for l in lines {
        let e = &l.entry;
        writeln!(
            w,
            "{}  {}",
            e.name(),
            e.title.as_deref().unwrap_or("(unreadable manifest)")
        )?;
        if let Some(p) = &e.published {
            writeln!(w, "  first published {}, last changed {}", p.first, p.last)?;
            if let Some(url) = &p.url {
                writeln!(w, "  portal  {url}")?;
            }
            for f in &p.files {
                writeln!(w, "  {}  sha256:{}", f.key, f.sha256)?;
            }
        }
        if let Some(h) = &e.hold {
            writeln!(w, "  held: {h}")?;
        }
    }
    Ok(())
}

//! From an approved dataset to a package on disk: read each source once and, in that
//! one pass, screen it, validate it and convert it, hashing every output as it is
//! written; then write the metadata and put the package in place atomically.
//!
//! Synchronous: the async runner calls it through `spawn_blocking`.

use std::fs::File;
use std::io::{BufReader, BufWriter, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Serialize;
use tracing::{debug, info_span};

use crate::checksum::hash_reader;
use crate::config::Pipeline;
use crate::convert::{ConvertOptions, OutputSink};
use crate::offload::Offload;
use crate::package::descriptor::{self, DataFile, Provenance, SourceFile};
use crate::package::{PackageError, Staging};
use crate::plan::manifest::{resolve_source, ResourceSpec};
use crate::plan::Approved;
use crate::progress::{Progress, ProgressReader};
use crate::read::{self, Format, ReadOptions};
use crate::screen::{self, Finding, Screen};
use crate::table::{TableSink, Tee};
use crate::validate::{self, Report, TableSchema};

/// Why a resource, and so its dataset, was held back after the gate.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum StageHold {
    /// The source cannot be read, is not what it claims to be, or breaks a limit.
    Read { resource: String, error: String },
    /// The screen found something no waiver releases.
    Screen {
        resource: String,
        findings: Vec<Finding>,
    },
    /// The table does not conform to its schema.
    Validate { resource: String, report: Report },
    /// `ogpipe publish` found no package, or one that fails verification or is stale.
    Package { error: String },
}

impl StageHold {
    pub fn resource(&self) -> &str {
        match self {
            StageHold::Read { resource, .. }
            | StageHold::Screen { resource, .. }
            | StageHold::Validate { resource, .. } => resource,
            StageHold::Package { .. } => "",
        }
    }

    /// One line for the run summary.
    pub fn summary(&self) -> String {
        match self {
            StageHold::Package { error } => error.clone(),
            StageHold::Read { resource, error } => format!("resource {resource}: {error}"),
            StageHold::Screen { resource, findings } => {
                let mut rules: Vec<String> = findings.iter().map(|f| f.rule.to_string()).collect();
                rules.dedup();
                format!(
                    "resource {resource}: the screen found {} problem{} ({}); first: {} at {}",
                    findings.len(),
                    if findings.len() == 1 { "" } else { "s" },
                    rules.join(", "),
                    findings[0].excerpt,
                    findings[0].location,
                )
            }
            StageHold::Validate { resource, report } => {
                let first = report
                    .violations
                    .first()
                    .map(|v| format!("; first: row {}, {}", v.row, v.message))
                    .unwrap_or_default();
                format!(
                    "resource {resource}: {} schema violation{}{first}",
                    report.total_violations,
                    if report.total_violations == 1 {
                        ""
                    } else {
                        "s"
                    },
                )
            }
        }
    }
}

/// A package ready to publish.
#[derive(Debug, Clone)]
pub struct Built {
    pub dir: PathBuf,
    pub files: Vec<DataFile>,
    pub sources: Vec<SourceFile>,
    /// Findings released by waivers or the formula policy, for the record.
    pub waived: Vec<Finding>,
}

/// The result of building one dataset's package.
#[derive(Debug)]
pub enum BuildOutcome {
    Ready(Built),
    Held(StageHold),
}

/// Could not build at all (as opposed to holding the data back).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    #[error(transparent)]
    Package(#[from] PackageError),
    #[error(transparent)]
    Existing(#[from] crate::publish::existing::ExistingError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> BuildError + '_ {
    move |source| BuildError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Takes the package `approved` already has, verified, for `ogpipe publish`.
///
/// # Errors
/// The package's records cannot be read.
pub fn existing(pipeline: &Pipeline, approved: &Approved) -> Result<BuildOutcome, BuildError> {
    use crate::publish::existing::{load, ExistingError};
    let dir = crate::package::package_path(&pipeline.paths.output, &approved.slug());
    match load(&dir, approved) {
        Ok(files) => Ok(BuildOutcome::Ready(Built {
            dir,
            files,
            sources: Vec::new(),
            waived: Vec::new(),
        })),
        Err(e @ ExistingError::Unreadable { .. }) => Err(e.into()),
        Err(e) => Ok(BuildOutcome::Held(StageHold::Package {
            error: e.to_string(),
        })),
    }
}

/// Builds the package of `approved` under the output folder.
///
/// # Errors
/// Writing the package failed; the previous package, if any, is still current.
pub fn build(
    pipeline: &Pipeline,
    screen: &Screen,
    approved: &Approved,
    run_id: &str,
    created_at: &str,
    progress: &Progress,
) -> Result<BuildOutcome, BuildError> {
    let slug = approved.slug();
    let staging = Staging::create(&pipeline.paths.output, &slug, run_id)?;
    let mut files = Vec::new();
    let mut sources = Vec::new();
    let mut waived = Vec::new();
    let manifest = approved.manifest();
    let manifest_dir = approved
        .manifest_path()
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf();
    for spec in &manifest.resources {
        let _span = info_span!("resource", resource = %spec.key).entered();
        match build_resource(
            pipeline,
            screen,
            approved,
            &manifest_dir,
            spec,
            &staging,
            progress,
        )? {
            Ok(r) => {
                files.extend(r.files);
                sources.push(r.source);
                waived.extend(r.waived);
            }
            Err(hold) => return Ok(BuildOutcome::Held(hold)),
        }
    }

    let license = &pipeline.defaults.license_id;
    let dp = descriptor::datapackage(approved, license, &files);
    let mut sums = Vec::new();
    for f in &files {
        sums.push((f.name.clone(), f.sha256));
        if f.format == crate::plan::manifest::OutputFormat::Csv {
            let name = format!("{}-metadata.json", f.name);
            let d = staging.write(&name, &pretty(&descriptor::csvw(f)))?;
            sums.push((name, d));
        }
    }
    let d = staging.write("datapackage.json", &pretty(&dp))?;
    sums.push(("datapackage.json".into(), d));
    let sums_text = descriptor::sha256sums(&sums);
    let sums_digest = staging.write("SHA256SUMS", sums_text.as_bytes())?;
    let provenance = Provenance {
        ogpipe_version: env!("CARGO_PKG_VERSION"),
        run_id,
        created_at: created_at.to_string(),
        inventory_reference: approved.reference(),
        dataset_id: approved.id().to_string(),
        manifest: approved.manifest_path().display().to_string(),
        decision: &manifest.decision,
        approvals: &manifest.approvals,
        sources: &sources,
        sha256sums: sums_digest.hex(),
        screen_waivers: serde_json::to_value(&waived).unwrap_or_default(),
    };
    staging.write(
        "provenance.json",
        &pretty(&serde_json::to_value(&provenance).unwrap_or_default()),
    )?;
    let dir = staging.commit()?;
    Ok(BuildOutcome::Ready(Built {
        dir,
        files,
        sources,
        waived,
    }))
}

fn pretty(v: &serde_json::Value) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(v).unwrap_or_default();
    out.push(b'\n');
    out
}

struct ResourceBuilt {
    files: Vec<DataFile>,
    source: SourceFile,
    waived: Vec<Finding>,
}

fn build_resource(
    pipeline: &Pipeline,
    screen: &Screen,
    approved: &Approved,
    manifest_dir: &Path,
    spec: &ResourceSpec,
    staging: &Staging,
    progress: &Progress,
) -> Result<Result<ResourceBuilt, StageHold>, BuildError> {
    let hold = |error: String| {
        Ok(Err(StageHold::Read {
            resource: spec.key.clone(),
            error,
        }))
    };
    let path = match resolve_source(&pipeline.paths.data, &spec.source) {
        Ok(p) => p,
        Err(e) => return hold(e),
    };
    let format = match spec.format.or_else(|| Format::from_extension(&path)) {
        Some(f) => f,
        None => return hold(format!("cannot tell the format of \"{}\"", spec.source)),
    };
    let mut file = File::open(&path).map_err(io_at(&path))?;
    // Admitted and screened whole as `ogpipe screen` does (`screen::source`): one verdict.
    let size = match screen::source::admit(&spec.source, format, &mut file, &pipeline.limits) {
        Ok(size) => size,
        Err(screen::source::SourceError::Io { err, .. }) => return Err(io_at(&path)(err)),
        Err(e) => return hold(e.to_string()),
    };
    let rewind = |f: &mut File| f.seek(SeekFrom::Start(0)).map(drop).map_err(io_at(&path));
    let (source_sha, source_bytes) =
        hash_reader(BufReader::new(&mut file)).map_err(io_at(&path))?;

    // The whole file first: properties, hidden parts, comments; an XML file whole.
    let mut findings = Vec::new();
    match screen::source::screen_whole(screen, &spec.source, format, &mut file) {
        Ok(f) => findings.extend(f),
        // What could not be screened cannot be published.
        Err(e) => return hold(e.to_string()),
    }

    let options = read_options(pipeline, spec);
    let declared = match &spec.schema {
        Some(rel) => {
            let p = manifest_dir.join(rel);
            match std::fs::read_to_string(&p)
                .map_err(|e| e.to_string())
                .and_then(|t| TableSchema::from_json(&t).map_err(|e| e.to_string()))
            {
                Ok(s) => Some(s),
                Err(e) => return hold(format!("schema {}: {e}", p.display())),
            }
        }
        None => None,
    };
    // Text formats carry no types: infer them in a first pass so JSON gets numbers.
    let schema = match declared {
        Some(s) => s,
        None if matches!(format, Format::Csv | Format::Xml) => {
            rewind(&mut file)?;
            let mut inferrer = validate::Inferrer::new();
            if let Err(e) = read::read_table(
                format,
                &spec.source,
                BufReader::new(&mut file),
                &options,
                &mut inferrer,
            ) {
                return hold(e.to_string());
            }
            inferrer.finish()
        }
        None => TableSchema::default(),
    };
    let mut validator = match validate::Validator::new(&schema, pipeline.max_violations) {
        Ok(v) => v,
        Err(e) => return hold(format!("schema: {e}")),
    };
    let convert = ConvertOptions {
        formula: screen.formula_policy(),
        ..Default::default()
    }
    .with_schema(&schema);
    let mut outputs = Vec::new();
    for fmt in &spec.outputs {
        let name = format!("{}.{}", spec.key, fmt.extension());
        let f = staging.create_file(&name)?;
        let sink = OutputSink::new(*fmt, BufWriter::with_capacity(1 << 16, f), &convert)
            .map_err(io_at(&staging.path(&name)))?;
        outputs.push((name, *fmt, sink));
    }
    let mut inferrer = validate::Inferrer::new();
    // The screen runs on the second core, fed by the same pass (see `offload`).
    let (summary, screened) = std::thread::scope(|scope| {
        let mut cells = screen
            .enabled()
            .then(|| Offload::spawn(scope, screen.cell_sink()));
        let mut sinks: Vec<&mut dyn TableSink> = Vec::new();
        if let Some(c) = cells.as_mut() {
            sinks.push(c);
        }
        if !schema.fields.is_empty() {
            sinks.push(&mut validator);
        } else {
            sinks.push(&mut inferrer);
        }
        for (_, _, s) in outputs.iter_mut() {
            sinks.push(s);
        }
        let mut tee = Tee::new(sinks);
        let summary = rewind(&mut file).map(|()| {
            let bar = progress.bytes(size, &spec.source);
            let source = ProgressReader::new(BufReader::new(&mut file), bar.clone());
            let r = read::read_table(format, &spec.source, source, &options, &mut tee);
            bar.finish_and_clear();
            r
        });
        drop(tee);
        let screened = cells.map(|c| c.finish().map(|c| c.finish()));
        (summary, screened)
    });
    let summary = match summary? {
        Ok(s) => s,
        Err(read::ReadError::Sink(e)) => return Err(io_at(staging.path(&spec.key).as_path())(e)),
        Err(e) => return hold(e.to_string()),
    };
    match screened {
        Some(Ok(found)) => findings.extend(found),
        Some(Err(e)) => return Err(io_at(&path)(e)),
        None => {}
    }

    let schema = if schema.fields.is_empty() {
        inferrer.finish()
    } else {
        schema
    };
    // Formula findings arrive already released under the `prefix` and `allow` policies
    // (the converter neutralises them) and holding under `hold`.
    let (holding, waived) = screen::apply_waivers(
        screen::source::dedupe(findings),
        &approved.manifest().waivers,
    );
    if !holding.is_empty() {
        return Ok(Err(StageHold::Screen {
            resource: spec.key.clone(),
            findings: holding,
        }));
    }
    let report = validator.finish();
    if !report.is_clean() {
        return Ok(Err(StageHold::Validate {
            resource: spec.key.clone(),
            report,
        }));
    }
    let schema_json = serde_json::from_str::<serde_json::Value>(&schema.to_json_pretty()).ok();
    let mut files = Vec::new();
    for (name, fmt, sink) in outputs {
        let written = sink.finish().map_err(io_at(&staging.path(&name)))?;
        written.inner.into_inner().map_err(|e| BuildError::Io {
            path: staging.path(&name),
            source: e.into_error(),
        })?;
        debug!(file = %name, bytes = written.bytes, sha256 = %written.sha256, "Output written.");
        files.push(DataFile {
            name,
            resource_key: spec.key.clone(),
            format: fmt,
            sha256: written.sha256,
            bytes: written.bytes,
            title: spec.title.clone(),
            schema: schema_json.clone(),
            rows: summary.rows,
        });
    }
    Ok(Ok(ResourceBuilt {
        files,
        source: SourceFile {
            resource_key: spec.key.clone(),
            path: spec.source.clone(),
            sha256: source_sha,
            bytes: source_bytes,
        },
        waived,
    }))
}

/// The read options a manifest resource asks for.
pub fn read_options(pipeline: &Pipeline, spec: &ResourceSpec) -> ReadOptions {
    ReadOptions {
        sheet: spec.sheet.clone().map(read::SheetSelector::Name),
        sheet_index: spec.sheet_index,
        header_row: spec.header_row,
        range: spec.range.clone(),
        record_path: spec.record_path.clone(),
        fields: spec
            .fields
            .iter()
            .map(|(name, path)| read::XmlField {
                name: name.clone(),
                path: path.clone(),
            })
            .collect(),
        namespaces: spec.namespaces.clone(),
        error_cells: spec.error_cells,
        limits: pipeline.limits.clone(),
        // A run refuses a long CSV row as unreadable and pads short ones.
        ragged_rows: false,
    }
}

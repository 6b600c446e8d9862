//! The stages on their own, with no manifest and no portal: `convert`, `screen`,
//! `validate`, `infer-schema`, `verify`.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{print_json, Exit, UsageError};
use crate::cli::{ConvertArgs, InferArgs, ScreenArgs, ToFormat, ValidateArgs};
use crate::config::Pipeline;
use crate::convert::{ConvertOptions, OutputSink};
use crate::mapped::read_table_file;
use crate::offload::Offload;
use crate::plan::manifest::OutputFormat;
use crate::read::{self, Format, ReadOptions, ReadSummary, SheetSelector};
use crate::readahead::ReadAhead;
use crate::screen::Screen;
use crate::table::{DecimalStyle, TableSink, Tee};
use crate::validate::{Inferrer, TableSchema, Validator};

fn format_of(path: &Path) -> anyhow::Result<Format> {
    Format::from_extension(path).ok_or_else(|| {
        UsageError(format!(
            "{}: cannot tell the format from the extension; supported: csv, xlsx, xlsm, xlsb, xls, ods, xml",
            path.display()
        ))
        .into()
    })
}

fn open(path: &Path) -> anyhow::Result<BufReader<File>> {
    Ok(BufReader::new(File::open(path).with_context(|| {
        format!("{}: cannot open", path.display())
    })?))
}

/// Reads one table from a file, in place when it can (see [`crate::mapped`]).
fn read_file(
    format: Format,
    path: &Path,
    options: &ReadOptions,
    sink: &mut dyn TableSink,
) -> anyhow::Result<ReadSummary> {
    let file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    Ok(read_table_file(
        format,
        &name_of(path),
        file,
        options,
        sink,
    )?)
}

/// The format a file's name declares, checked against its content as a run checks it
/// (`preflight`): an xls renamed `.csv` is refused, not read as text.
fn checked_format_of(path: &Path) -> anyhow::Result<Format> {
    let declared = format_of(path)?;
    let found = File::open(path)
        .and_then(Format::sniff_reader)
        .with_context(|| format!("{}: cannot open", path.display()))?;
    if !declared.accepts(found) {
        let content =
            found.map_or_else(|| "not a recognised format".to_string(), |f| f.to_string());
        let fix = found.map_or_else(
            || format!("re-export it as {declared}"),
            |f| format!("rename it to .{f}, or re-export it as {declared}"),
        );
        return Err(read::ReadError::corrupt(
            &name_of(path),
            format!("its name says {declared} but its content is {content}; {fix}"),
        )
        .into());
    }
    Ok(declared)
}

/// `name`, or `name_2`, `name_3`… when an earlier sheet took it: sheet names that differ
/// only in the characters a file name cannot hold must not overwrite each other.
fn unique_stem(name: &str, taken: &mut std::collections::HashSet<String>) -> String {
    let mut stem = name.to_string();
    let mut n = 1u32;
    // Bounded: each turn tries a new suffix, and `taken` holds fewer names than sheets.
    while !taken.insert(stem.to_lowercase()) {
        n += 1;
        stem = format!("{name}_{n}");
    }
    stem
}

fn options(sheet: Option<&str>, record_path: Option<&str>) -> ReadOptions {
    ReadOptions {
        sheet: sheet.map(|s| SheetSelector::Name(s.to_string())),
        record_path: record_path.map(str::to_string),
        ..Default::default()
    }
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

pub fn convert(a: &ConvertArgs) -> anyhow::Result<Exit> {
    let format = checked_format_of(&a.input)?;
    let to = match a.to {
        ToFormat::Csv => OutputFormat::Csv,
        ToFormat::Json => OutputFormat::Json,
        ToFormat::Ndjson => OutputFormat::Ndjson,
    };
    let opts = ConvertOptions {
        decimals: if a.round_trip {
            DecimalStyle::RoundTrip
        } else {
            DecimalStyle::Excel
        },
        csv_bom: a.bom,
        ..Default::default()
    };
    let mut read_opts = options(None, a.record_path.as_deref());
    read_opts.error_cells = a.error_cells;
    read_opts.header_row = a.header_row;
    read_opts.range = a.range.clone();
    let sheets: Vec<Option<String>> = match a.sheet.as_deref() {
        Some("all") => {
            let names = read::sheet_names(format, &name_of(&a.input), open(&a.input)?)
                .with_context(|| format!("{}: cannot list sheets", a.input.display()))?;
            if names.is_empty() {
                return Err(read::ReadError::corrupt(
                    &name_of(&a.input),
                    "the workbook lists no sheets, so --sheet all has nothing to write",
                )
                .into());
            }
            if a.output.is_none() {
                return Err(UsageError(
                    "--sheet all writes one file per sheet: give a folder with -o".into(),
                )
                .into());
            }
            names.into_iter().map(Some).collect()
        }
        other => vec![other.map(str::to_string)],
    };
    let all = sheets.len() > 1 || a.sheet.as_deref() == Some("all");
    let mut errors = ErrorCells::default();
    let mut stems = std::collections::HashSet::new();
    for sheet in sheets {
        let mut ro = read_opts.clone();
        ro.sheet = match (&sheet, a.sheet_index) {
            (Some(s), _) => Some(SheetSelector::Name(s.clone())),
            (None, Some(i)) => Some(SheetSelector::Index(i)),
            (None, None) => None,
        };
        let (out, partial): (Box<dyn Write>, _) = match (&a.output, all) {
            (Some(dir), true) => {
                std::fs::create_dir_all(dir)?;
                let stem: String = sheet
                    .as_deref()
                    .unwrap_or("sheet")
                    .chars()
                    .map(|c| {
                        if c.is_alphanumeric() || c == '-' || c == '_' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                let stem = unique_stem(&stem, &mut stems);
                Partial::create(&dir.join(format!("{stem}.{}", to.extension())))?
            }
            (Some(file), false) => Partial::create(file)?,
            (None, _) => (Box::new(io::stdout().lock()), None),
        };
        let mut sink = OutputSink::new(to, BufWriter::with_capacity(1 << 16, out), &opts)?;
        let mut tee = Tee::new(vec![&mut sink, &mut errors]);
        read_file(format, &a.input, &ro, &mut tee)?;
        let written = sink.finish()?;
        tracing::info!(sha256 = %written.sha256, bytes = written.bytes, neutralised = written.neutralised_count, "Converted.");
        // `finish` flushed it; closed, the file takes its name.
        drop(written);
        if let Some(partial) = partial {
            partial.commit()?;
        }
    }
    if errors.count > 0 {
        eprintln!(
            "{}: {} error cell{} written as text, first at {}; fix the workbook, or pass --error-cells empty|text",
            a.input.display(),
            errors.count,
            if errors.count == 1 { "" } else { "s" },
            errors.first.join(", ")
        );
        return Ok(Exit::Held);
    }
    Ok(Exit::Ok)
}

/// Counts spreadsheet error cells and keeps the first few locations.
#[derive(Default)]
struct ErrorCells {
    info: crate::table::TableInfo,
    count: u64,
    first: Vec<String>,
}

impl TableSink for ErrorCells {
    fn begin(&mut self, info: &crate::table::TableInfo) -> io::Result<()> {
        self.info = info.clone();
        Ok(())
    }
    fn row(&mut self, row: crate::table::Row<'_>) -> io::Result<()> {
        for (i, c) in row.cells.iter().enumerate() {
            if let crate::table::Value::Error(e) = c {
                self.count += 1;
                if self.first.len() < 3 {
                    self.first
                        .push(format!("{} ({e})", self.info.locate(row.number, i)));
                }
            }
        }
        Ok(())
    }
    /// A row of text has no error cells.
    fn text_row(&mut self, _: crate::table::TextRow<'_>) -> io::Result<()> {
        Ok(())
    }
    fn takes_text(&self) -> bool {
        true
    }
    fn end(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// An output written under a temporary name beside its own and renamed to it only when
/// complete: a conversion that fails half-way leaves no half-made file under the real
/// name (and an older one there stays whole). Dropped uncommitted, it removes itself.
struct Partial {
    temp: PathBuf,
    path: PathBuf,
}

impl Partial {
    fn create(path: &Path) -> anyhow::Result<(Box<dyn Write>, Option<Partial>)> {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let temp = path.with_file_name(format!(".{name}.ogpipe-partial"));
        let file =
            File::create(&temp).with_context(|| format!("{}: cannot create", temp.display()))?;
        let partial = Partial {
            temp,
            path: path.to_path_buf(),
        };
        Ok((Box::new(file), Some(partial)))
    }

    fn commit(mut self) -> anyhow::Result<()> {
        std::fs::rename(&self.temp, &self.path).with_context(|| {
            format!(
                "{}: cannot rename to {}",
                self.temp.display(),
                self.path.display()
            )
        })?;
        self.temp = PathBuf::new();
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.temp.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Screens each file as a run would (`screen::source`): the same limits and content
/// check, the whole file, then its table through the same reader; a file a run would
/// refuse is refused here too (exit 1), never reported as "0 findings".
pub fn screen(pipeline: Option<&Pipeline>, a: &ScreenArgs) -> anyhow::Result<Exit> {
    let cfg = pipeline.map(|p| p.screen.clone()).unwrap_or_default();
    let limits = pipeline.map(|p| p.limits.clone()).unwrap_or_default();
    let screen = Screen::new(&cfg)?.with_limits(&limits);
    let options = ReadOptions {
        limits,
        ..Default::default()
    };
    let mut all = Vec::new();
    let mut refused = Vec::new();
    for path in &a.files {
        let format = format_of(path)?;
        match screen_file(&screen, format, path, &options)? {
            Ok(found) => all.extend(crate::screen::apply_waivers(found, &[]).0),
            Err(reason) => refused.push(format!("{}: refused: {reason}", path.display())),
        }
    }
    if a.json {
        print_json(&all)?;
        for r in &refused {
            eprintln!("{r}");
        }
    } else {
        let mut out = io::stdout().lock();
        for f in &all {
            writeln!(out, "{}: {} ({})", f.location, f.rule, f.excerpt)?;
        }
        for r in &refused {
            writeln!(out, "{r}")?;
        }
        writeln!(
            out,
            "{} finding{} in {} file{}{}",
            all.len(),
            if all.len() == 1 { "" } else { "s" },
            a.files.len(),
            if a.files.len() == 1 { "" } else { "s" },
            if refused.is_empty() {
                String::new()
            } else {
                format!(", {} refused", refused.len())
            }
        )?;
    }
    Ok(if all.is_empty() && refused.is_empty() {
        Exit::Ok
    } else {
        Exit::Held
    })
}

/// One file's findings, or why it is refused (`Ok(Err(reason))`).
fn screen_file(
    screen: &Screen,
    format: Format,
    path: &Path,
    options: &ReadOptions,
) -> anyhow::Result<Result<Vec<crate::screen::Finding>, String>> {
    use crate::screen::source::{self, SourceError};
    let name = name_of(path);
    let mut file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let refuse = |e: SourceError| match e {
        SourceError::Io { err, .. } => {
            Err(anyhow::Error::new(err).context(format!("{}: cannot read", path.display())))
        }
        e => Ok(Err(e.to_string())),
    };
    if let Err(e) = source::admit(&name, format, &mut file, &options.limits) {
        return refuse(e);
    }
    let mut found = match source::screen_whole(screen, &name, format, &mut file) {
        Ok(found) => found,
        Err(e) => return refuse(e),
    };
    if screen.enabled() {
        file.seek(SeekFrom::Start(0))
            .with_context(|| format!("{}: cannot read", path.display()))?;
        let mut cells = screen.cell_sink();
        if let Err(e) = read::read_table(
            format,
            &name,
            BufReader::new(&mut file),
            options,
            &mut cells,
        ) {
            return Ok(Err(e.to_string()));
        }
        found.extend(cells.finish());
    }
    Ok(Ok(source::dedupe(found)))
}

pub fn validate(a: &ValidateArgs) -> anyhow::Result<Exit> {
    let format = format_of(&a.input)?;
    let text = std::fs::read_to_string(&a.schema)
        .with_context(|| format!("{}: cannot read the schema", a.schema.display()))?;
    let schema = TableSchema::from_json(&text)
        .map_err(|e| UsageError(format!("{}: {e}", a.schema.display())))?;
    let mut v = Validator::new(&schema, a.max_violations)
        .map_err(|e| UsageError(format!("{}: {e}", a.schema.display())))?;
    let (name, mut options) = (
        name_of(&a.input),
        options(a.sheet.as_deref(), a.record_path.as_deref()),
    );
    if format == Format::Csv {
        // Short and long rows are violations to report with the rest, not a reason to
        // stop reading.
        options.ragged_rows = true;
        v = v.ragged_rows();
    }
    // The checks run on a second thread while this one parses, as a run's screen does,
    // and a CSV's `read` calls on a third (see `readahead`), so the parsing thread, the
    // slowest of the three, does only the parsing.
    let report = std::thread::scope(|scope| -> anyhow::Result<_> {
        let mut off = Offload::spawn(scope, v);
        if format == Format::Csv {
            let file = File::open(&a.input)
                .and_then(|f| ReadAhead::file(scope, f))
                .with_context(|| format!("{}: cannot open", a.input.display()))?;
            let read = read::read_table(format, &name, file, &options, &mut off);
            Ok((off.finish()?.finish(), read.err().map(anyhow::Error::from)))
        } else {
            let read = read_file(format, &a.input, &options, &mut off);
            Ok((off.finish()?.finish(), read.err()))
        }
    })?;
    // A file that stops being readable part-way still gets its report of what was
    // checked, with the reason it stopped; the exit code is then the read error's.
    let (mut report, stopped) = report;
    if let Some(e) = &stopped {
        report.stopped = Some(format!("{e:#}"));
    }
    let out = io::stdout().lock();
    if a.json {
        report.write_json(out)?;
    } else if a.csv {
        report.write_csv(out)?;
    } else {
        report.write_text(out)?;
    }
    if let Some(e) = stopped {
        return Err(e);
    }
    Ok(if report.is_clean() {
        Exit::Ok
    } else {
        Exit::Held
    })
}

pub fn infer_schema(a: &InferArgs) -> anyhow::Result<Exit> {
    let format = format_of(&a.input)?;
    let mut inferrer = Inferrer::new();
    read_file(
        format,
        &a.input,
        &options(a.sheet.as_deref(), a.record_path.as_deref()),
        &mut inferrer,
    )?;
    println!("{}", inferrer.finish().to_json_pretty());
    Ok(Exit::Ok)
}

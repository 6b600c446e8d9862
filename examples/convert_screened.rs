//! The screen's cost on conversion, measured the way a run pays it: one read, the cell
//! screen (on its own thread, through `Offload`) and the CSV writer fed the same rows
//! through a `Tee`, as `run/build.rs` does.
//!
//! ```sh
//! cargo run --release --example convert_screened -- INPUT OUTPUT.csv [--no-screen|--inline]
//! ```
//!
//! `--no-screen` runs the identical pipeline without the screen, so the two timings
//! differ only by the screen; `--inline` screens on the reading thread, as before the
//! offload. Prints the number of findings.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::Path;

use ogpipe::convert::{ConvertOptions, OutputSink};
use ogpipe::offload::Offload;
use ogpipe::plan::manifest::OutputFormat;
use ogpipe::read::{self, Format, ReadOptions};
use ogpipe::screen::{Screen, ScreenConfig};
use ogpipe::table::{TableSink, Tee};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(input), Some(output)) = (args.first(), args.get(1)) else {
        eprintln!("usage: convert_screened INPUT OUTPUT.csv [--no-screen|--inline]");
        std::process::exit(2);
    };
    let screened = !args.iter().any(|a| a == "--no-screen");
    let input = Path::new(input);
    let Some(format) = Format::from_extension(input) else {
        anyhow::bail!("{}: unknown format", input.display());
    };
    let screen = Screen::new(&ScreenConfig::default())?;
    let opts = ConvertOptions {
        formula: screen.formula_policy(),
        ..Default::default()
    };
    let out = BufWriter::with_capacity(1 << 16, File::create(output)?);
    let mut csv = OutputSink::new(OutputFormat::Csv, out, &opts)?;
    let inline = args.iter().any(|a| a == "--inline");
    let name = input
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let total = std::thread::scope(|scope| -> anyhow::Result<u64> {
        let mut cells = screen.cell_sink();
        let mut offloaded =
            (screened && !inline).then(|| Offload::spawn(scope, screen.cell_sink()));
        let mut sinks: Vec<&mut dyn TableSink> = Vec::new();
        if let Some(o) = offloaded.as_mut() {
            sinks.push(o);
        } else if screened {
            sinks.push(&mut cells);
        }
        sinks.push(&mut csv);
        let mut tee = Tee::new(sinks);
        read::read_table(
            format,
            &name,
            BufReader::new(File::open(input)?),
            &ReadOptions::default(),
            &mut tee,
        )?;
        drop(tee);
        Ok(match offloaded {
            Some(o) => o.finish()?.total(),
            None => cells.total(),
        })
    })?;
    csv.finish()?;
    println!("{total} findings");
    Ok(())
}

//! What hashing costs a conversion: converts one CSV to CSV twice per round, once into a
//! plain buffered file and once through [`HashingWriter`] as a run does, and prints the
//! median wall times and the overhead.
//!
//! `cargo run --release --example hash_overhead -- INPUT.csv [ROUNDS]`

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::time::{Duration, Instant};

use ogpipe::checksum::HashingWriter;
use ogpipe::convert::csv::CsvSink;
use ogpipe::read::{self, Format, ReadOptions};
use ogpipe::screen::FormulaPolicy;
use ogpipe::table::DecimalStyle;

fn convert<W: Write>(input: &str, out: W) -> W {
    let mut sink =
        CsvSink::new(out, DecimalStyle::Excel, FormulaPolicy::Prefix, false, None).expect("sink");
    let file = BufReader::new(File::open(input).expect("input"));
    read::read_table(Format::Csv, input, file, &ReadOptions::default(), &mut sink).expect("read");
    sink.into_inner().expect("flush")
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let input = args
        .get(1)
        .expect("usage: hash_overhead INPUT.csv [ROUNDS]");
    let rounds: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(5);
    let out = std::env::temp_dir().join("ogpipe-hash-overhead.csv");
    let (mut plain, mut hashed) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t = Instant::now();
        let mut w = convert(
            input,
            BufWriter::with_capacity(1 << 16, File::create(&out).unwrap()),
        );
        w.flush().unwrap();
        plain.push(t.elapsed());

        let t = Instant::now();
        let w = HashingWriter::new(BufWriter::with_capacity(
            1 << 16,
            File::create(&out).unwrap(),
        ));
        let (_, digest, bytes) = convert(input, w).finish().unwrap();
        hashed.push(t.elapsed());
        eprintln!("{bytes} bytes, sha256 {digest}");
    }
    let (p, h) = (median(plain), median(hashed));
    println!(
        "plain {:.3} s, hashed {:.3} s (median of {rounds}): hashing adds {:+.1}%",
        p.as_secs_f64(),
        h.as_secs_f64(),
        (h.as_secs_f64() / p.as_secs_f64() - 1.0) * 100.0
    );
    let _ = std::fs::remove_file(out);
}

//! The floor for XML reading: one quick-xml pass over a file that only reads events.
//!
//! ```sh
//! cargo run --release --example xml_pass -- FILE [--ns]
//! ```
//!
//! Without `--ns` it is a bare `Reader::read_event_into` loop; with `--ns` it resolves
//! namespaces (`NsReader::read_resolved_event_into`), as `ogpipe convert` must. It
//! prints the number of elements and text bytes so the work cannot be optimised away.

use std::fs::File;
use std::io::{self, BufReader};

use quick_xml::events::Event;
use quick_xml::{NsReader, Reader};

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: xml_pass FILE [--ns]");
        std::process::exit(2);
    };
    let mode = args.next();
    if mode.as_deref() == Some("--chunked") {
        return chunked(&path);
    }
    let ns = mode.as_deref() == Some("--ns");
    let input = BufReader::with_capacity(1 << 16, File::open(&path)?);
    let mut buf = Vec::with_capacity(4096);
    let (mut elements, mut text) = (0u64, 0u64);
    let mut count = |event: &Event<'_>| match event {
        Event::Start(_) | Event::Empty(_) => elements += 1,
        Event::Text(t) => text += t.len() as u64,
        _ => {}
    };
    if ns {
        let mut xml = NsReader::from_reader(input);
        loop {
            buf.clear();
            let (_, event) = xml
                .read_resolved_event_into(&mut buf)
                .map_err(io::Error::other)?;
            if matches!(event, Event::Eof) {
                break;
            }
            count(&event);
        }
    } else {
        let mut xml = Reader::from_reader(input);
        loop {
            buf.clear();
            let event = xml.read_event_into(&mut buf).map_err(io::Error::other)?;
            if matches!(event, Event::Eof) {
                break;
            }
            count(&event);
        }
    }
    println!("{elements} elements, {text} text bytes");
    Ok(())
}

fn chunked(path: &str) -> io::Result<()> {
    use std::io::Read;
    let mut file = File::open(path)?;
    let (mut elements, mut text) = (0u64, 0u64);
    let mut buf: Vec<u8> = Vec::new();
    let mut eof = false;
    const CHUNK: usize = 1 << 20;
    loop {
        let have = buf.len();
        buf.resize(have + CHUNK, 0);
        let mut filled = have;
        while filled < buf.len() {
            let n = file.read(&mut buf[filled..])?;
            if n == 0 { eof = true; break; }
            filled += n;
        }
        buf.truncate(filled);
        let cut = if eof { buf.len() } else { memchr::memrchr(b'<', &buf).unwrap_or(0) };
        let mut xml = Reader::from_reader(&buf[..cut]);
        xml.config_mut().check_end_names = false;
        xml.config_mut().allow_unmatched_ends = true;
        let mut done = cut;
        loop {
            match xml.read_event() {
                Ok(Event::Eof) => break,
                Ok(Event::Start(_) | Event::Empty(_)) => elements += 1,
                Ok(Event::Text(t)) => text += t.len() as u64,
                Ok(_) => {}
                Err(quick_xml::Error::Syntax(_)) if !eof => { done = xml.error_position() as usize; break; }
                Err(e) => return Err(io::Error::other(e)),
            }
        }
        if eof { break; }
        buf.drain(..done);
    }
    println!("{elements} elements, {text} text bytes");
    Ok(())
}

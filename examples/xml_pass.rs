//! The floor for XML reading: one quick-xml pass over a file that only reads events.
//!
//! ```sh
//! cargo run --release --example xml_pass -- FILE [--ns|--chunked|--mapped]
//! ```
//!
//! Without a flag it is a bare `Reader::read_event_into` loop; with `--ns` it resolves
//! namespaces (`NsReader::read_resolved_event_into`); with `--chunked` it borrows events
//! from windows of the file, as `ogpipe convert` reads a stream; with `--mapped` it
//! borrows them from the whole file mapped into memory, as `ogpipe convert` reads a
//! large file (the tightest floor: no copy at all). It prints the number of elements
//! and text bytes so the work cannot be optimised away.

use std::fs::File;
use std::io::{self, BufReader};

use quick_xml::events::Event;
use quick_xml::{NsReader, Reader};

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: xml_pass FILE [--ns|--chunked|--mapped]");
        std::process::exit(2);
    };
    let mode = args.next();
    if mode.as_deref() == Some("--chunked") {
        return chunked(&path);
    }
    if mode.as_deref() == Some("--mapped") {
        return mapped(&path);
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

/// The bare pass as ogpipe reads: quick-xml's slice reader, which borrows each event
/// instead of copying it, over windows that end before a `<` (`src/read/xml/windows.rs`),
/// carrying a cut piece of markup into the next window.
fn chunked(path: &str) -> io::Result<()> {
    use std::io::Read;
    const WINDOW: usize = 256 << 10;
    let mut file = File::open(path)?;
    let (mut elements, mut text) = (0u64, 0u64);
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let want = WINDOW.max(buf.len());
        let eof = (&mut file).take(want as u64).read_to_end(&mut buf)? < want;
        let cut = match (eof, buf.get(1..).and_then(|b| memchr::memrchr(b'<', b))) {
            (true, _) => buf.len(),
            (false, Some(i)) => i + 1,
            (false, None) => continue,
        };
        let mut xml = Reader::from_reader(&buf[..cut]);
        xml.config_mut().check_end_names = false;
        xml.config_mut().allow_unmatched_ends = true;
        let done = loop {
            match xml.read_event() {
                Ok(Event::Eof) => break cut,
                Ok(Event::Start(_) | Event::Empty(_)) => elements += 1,
                Ok(Event::Text(t)) => text += t.len() as u64,
                Ok(_) => {}
                Err(quick_xml::Error::Syntax(_)) if !eof => break xml.error_position() as usize,
                Err(e) => return Err(io::Error::other(e)),
            }
        };
        if eof {
            break;
        }
        buf.drain(..done);
    }
    println!("{elements} elements, {text} text bytes");
    Ok(())
}

/// The bare pass over the file mapped whole: quick-xml's slice reader, no window.
fn mapped(path: &str) -> io::Result<()> {
    let file = File::open(path)?;
    // SAFETY: a benchmark over a file nothing else writes while it runs.
    let map = unsafe { memmap2::Mmap::map(&file)? };
    let (mut elements, mut text) = (0u64, 0u64);
    let mut xml = Reader::from_reader(&map[..]);
    loop {
        match xml.read_event().map_err(io::Error::other)? {
            Event::Eof => break,
            Event::Start(_) | Event::Empty(_) => elements += 1,
            Event::Text(t) => text += t.len() as u64,
            _ => {}
        }
    }
    println!("{elements} elements, {text} text bytes");
    Ok(())
}

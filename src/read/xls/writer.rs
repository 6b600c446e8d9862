//! A tiny BIFF8 writer for tests: records by hand, a workbook stream around them, and
//! an OLE container written by the `cfb` crate (an implementation independent of
//! ours, so the reader is checked against someone else's idea of the format).

use std::io::{Cursor, Write};

/// A record's bytes: type, length, data.
pub(crate) fn record(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 4);
    out.extend(typ.to_le_bytes());
    out.extend((data.len() as u16).to_le_bytes());
    out.extend(data);
    out
}

/// A record whose data is split at `at` into the record and `CONTINUE`s.
pub(crate) fn continued(typ: u16, parts: &[&[u8]]) -> Vec<u8> {
    let mut out = record(typ, parts[0]);
    for p in &parts[1..] {
        out.extend(record(0x003C, p));
    }
    out
}

/// The characters of a string: compressed (one byte each) when every character fits
/// in one, else UTF-16LE; with the option byte first.
pub(crate) fn chars(s: &str) -> Vec<u8> {
    let units: Vec<u16> = s.encode_utf16().collect();
    let mut out = Vec::new();
    if units.iter().all(|&u| u < 0x100) {
        out.push(0);
        out.extend(units.iter().map(|&u| u as u8));
    } else {
        out.push(1);
        out.extend(units.iter().flat_map(|u| u.to_le_bytes()));
    }
    out
}

/// `XLUnicodeString`.
pub(crate) fn string(s: &str) -> Vec<u8> {
    let mut out = (s.encode_utf16().count() as u16).to_le_bytes().to_vec();
    out.extend(chars(s));
    out
}

fn cell_head(row: u16, col: u16, xf: u16) -> Vec<u8> {
    [row, col, xf]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect()
}

pub(crate) fn number(row: u16, col: u16, xf: u16, v: f64) -> Vec<u8> {
    let mut d = cell_head(row, col, xf);
    d.extend(v.to_le_bytes());
    record(0x0203, &d)
}

pub(crate) fn rk(row: u16, col: u16, xf: u16, rk: u32) -> Vec<u8> {
    let mut d = cell_head(row, col, xf);
    d.extend(rk.to_le_bytes());
    record(0x027E, &d)
}

pub(crate) fn mulrk(row: u16, first: u16, values: &[(u16, u32)]) -> Vec<u8> {
    let mut d: Vec<u8> = [row, first].iter().flat_map(|v| v.to_le_bytes()).collect();
    for (xf, rk) in values {
        d.extend(xf.to_le_bytes());
        d.extend(rk.to_le_bytes());
    }
    d.extend((first + values.len() as u16 - 1).to_le_bytes());
    record(0x00BD, &d)
}

pub(crate) fn label_sst(row: u16, col: u16, i: u32) -> Vec<u8> {
    let mut d = cell_head(row, col, 0);
    d.extend(i.to_le_bytes());
    record(0x00FD, &d)
}

pub(crate) fn label(row: u16, col: u16, s: &str) -> Vec<u8> {
    let mut d = cell_head(row, col, 0);
    d.extend(string(s));
    record(0x0204, &d)
}

pub(crate) fn boolerr(row: u16, col: u16, v: u8, is_error: bool) -> Vec<u8> {
    let mut d = cell_head(row, col, 0);
    d.extend([v, u8::from(is_error)]);
    record(0x0205, &d)
}

pub(crate) fn blank(row: u16, col: u16) -> Vec<u8> {
    record(0x0201, &cell_head(row, col, 0))
}

/// A `FORMULA` with a cached result (8 bytes as stored) and a trivial formula.
pub(crate) fn formula(row: u16, col: u16, xf: u16, result: [u8; 8]) -> Vec<u8> {
    let mut d = cell_head(row, col, xf);
    d.extend(result);
    d.extend([0u8; 6]);
    // cce = 3: PtgInt 1
    d.extend([3, 0, 0x1E, 1, 0]);
    record(0x0006, &d)
}

pub(crate) fn special(kind: u8, value: u8) -> [u8; 8] {
    [kind, 0, value, 0, 0, 0, 0xFF, 0xFF]
}

pub(crate) fn string_record(s: &str) -> Vec<u8> {
    record(0x0207, &string(s))
}

pub(crate) fn row(row: u16, hidden: bool) -> Vec<u8> {
    let mut d: Vec<u8> = [row, 0, 1, 255, 0, 0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let flags: u16 = if hidden { 0x0020 | 0x0100 } else { 0x0100 };
    d.extend(flags.to_le_bytes());
    d.extend(15u16.to_le_bytes());
    record(0x0208, &d)
}

pub(crate) fn dbcell() -> Vec<u8> {
    record(0x00D7, &[0, 0, 0, 0])
}

pub(crate) fn colinfo(first: u16, last: u16, hidden: bool) -> Vec<u8> {
    let d: Vec<u8> = [first, last, 2000, 15, u16::from(hidden), 0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    record(0x007D, &d)
}

pub(crate) fn dimensions(first_row: u32, past_row: u32, first_col: u16, past_col: u16) -> Vec<u8> {
    let mut d = first_row.to_le_bytes().to_vec();
    d.extend(past_row.to_le_bytes());
    d.extend(first_col.to_le_bytes());
    d.extend(past_col.to_le_bytes());
    d.extend([0, 0]);
    record(0x0200, &d)
}

/// The records Excel writes for a note: an `OBJ` (kind 0x19), a `TXO` with the text
/// in its `CONTINUE`, and the `NOTE` at the end.
pub(crate) fn note_object(id: u16, text: &str) -> Vec<u8> {
    let mut out = obj(id, 0x19, false);
    let cch = text.encode_utf16().count() as u16;
    let mut txo = vec![0u8; 10];
    txo.extend(cch.to_le_bytes());
    txo.extend(16u16.to_le_bytes());
    txo.extend([0u8; 6]);
    let runs = [0u8; 16];
    out.extend(continued(0x01B6, &[&txo, &chars(text), &runs]));
    out
}

pub(crate) fn obj(id: u16, kind: u16, ole: bool) -> Vec<u8> {
    let mut d: Vec<u8> = [0x15u16, 0x12, kind, id, 0x4011]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    d.extend([0u8; 12]);
    if ole {
        d.extend([0x09u8, 0, 4, 0, 0, 0, 0, 0]);
    }
    d.extend([0u8; 4]);
    record(0x005D, &d)
}

pub(crate) fn note(row: u16, col: u16, id: u16, author: &str) -> Vec<u8> {
    let mut d: Vec<u8> = [row, col, 0, id]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    d.extend(string(author));
    d.push(0);
    record(0x001C, &d)
}

/// `SUPBOOK` for a link to another workbook at `path`, with no sheet names.
pub(crate) fn supbook(path: &str) -> Vec<u8> {
    let mut d = 0u16.to_le_bytes().to_vec();
    d.extend((path.encode_utf16().count() as u16).to_le_bytes());
    d.extend(chars(path));
    record(0x01AE, &d)
}

pub(crate) fn header(text: &str) -> Vec<u8> {
    record(0x0014, &string(text))
}

pub(crate) fn footer(text: &str) -> Vec<u8> {
    record(0x0015, &string(text))
}

/// `SST` with `strings`, optionally split into `CONTINUE`s every `split` bytes of
/// character data, re-emitting the option byte as Excel does.
pub(crate) fn sst(strings: &[&str]) -> Vec<u8> {
    let mut d = (strings.len() as u32).to_le_bytes().to_vec();
    d.extend((strings.len() as u32).to_le_bytes());
    for s in strings {
        d.extend(string(s));
    }
    record(0x00FC, &d)
}

pub(crate) fn format(id: u16, code: &str) -> Vec<u8> {
    let mut d = id.to_le_bytes().to_vec();
    d.extend(string(code));
    record(0x041E, &d)
}

pub(crate) fn xf(format: u16) -> Vec<u8> {
    let mut d = vec![0u8; 20];
    d[2..4].copy_from_slice(&format.to_le_bytes());
    record(0x00E0, &d)
}

pub(crate) fn bof(kind: u16) -> Vec<u8> {
    let d: Vec<u8> = [0x0600u16, kind, 0x0DBB, 0x07CC, 0, 0, 6, 0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    record(0x0809, &d)
}

pub(crate) fn eof() -> Vec<u8> {
    record(0x000A, &[])
}

/// One sheet: its name, state (0 visible, 1 hidden, 2 very hidden) and records
/// between its `BOF` and `EOF`.
pub(crate) struct SheetSpec {
    pub name: String,
    pub state: u8,
    pub records: Vec<u8>,
}

impl SheetSpec {
    pub fn new(name: &str, records: Vec<u8>) -> Self {
        SheetSpec {
            name: name.into(),
            state: 0,
            records,
        }
    }
}

/// The standard globals: XF 0 General, 1 a date (14), 2 a custom duration `[h]:mm`,
/// 3 a custom date-time; `extra` records go before the sheets.
pub(crate) fn default_globals(extra: Vec<u8>) -> Vec<u8> {
    let mut g = format(164, "[h]:mm");
    g.extend(format(165, "yyyy-mm-dd hh:mm"));
    for f in [0, 14, 164, 165] {
        g.extend(xf(f));
    }
    g.extend(extra);
    g
}

/// A workbook stream: globals (after `BOF`), one `BOUNDSHEET8` per sheet, `EOF`, then
/// each sheet's substream.
pub(crate) fn workbook_stream(globals: Vec<u8>, sheets: &[SheetSpec]) -> Vec<u8> {
    let mut out = bof(0x0005);
    out.extend(globals);
    let mut patch = Vec::new();
    for s in sheets {
        patch.push(out.len() + 4);
        let mut d = vec![0u8; 4];
        d.extend([s.state, 0]);
        d.push(s.name.encode_utf16().count() as u8);
        d.extend(chars(&s.name));
        out.extend(record(0x0085, &d));
    }
    out.extend(eof());
    for (s, at) in sheets.iter().zip(patch) {
        let offset = out.len() as u32;
        out[at..at + 4].copy_from_slice(&offset.to_le_bytes());
        out.extend(bof(0x0010));
        out.extend(&s.records);
        out.extend(eof());
    }
    out
}

/// An OLE container holding `streams` (name, bytes) at its root; a name ending in
/// `/` is an (empty) storage.
pub(crate) fn container(streams: &[(&str, &[u8])]) -> Vec<u8> {
    let mut file = cfb::CompoundFile::create(Cursor::new(Vec::new())).expect("cfb create");
    for (name, bytes) in streams {
        if let Some(storage) = name.strip_suffix('/') {
            file.create_storage(format!("/{storage}"))
                .expect("cfb storage");
            continue;
        }
        let mut s = file.create_stream(format!("/{name}")).expect("cfb stream");
        s.write_all(bytes).expect("cfb write");
    }
    file.flush().expect("cfb flush");
    file.into_inner().into_inner()
}

/// A whole xls: a workbook stream in a container.
pub(crate) fn xls(globals: Vec<u8>, sheets: &[SheetSpec]) -> Vec<u8> {
    container(&[("Workbook", &workbook_stream(globals, sheets))])
}

/// A summary information stream with `props` (id, text) as `VT_LPSTR` in
/// Windows-1252.
pub(crate) fn summary(props: &[(u32, &str)]) -> Vec<u8> {
    let mut set = Vec::new();
    let mut values = Vec::new();
    let head = 8 + 8 * (props.len() + 1);
    let mut offsets = Vec::new();
    // The code page first.
    offsets.push((1u32, head + values.len()));
    values.extend(2u16.to_le_bytes());
    values.extend([0, 0]);
    values.extend(1252u16.to_le_bytes());
    values.extend([0, 0]);
    for (id, text) in props {
        offsets.push((*id, head + values.len()));
        values.extend(0x1Eu16.to_le_bytes());
        values.extend([0, 0]);
        let mut bytes = text.as_bytes().to_vec();
        bytes.push(0);
        values.extend((bytes.len() as u32).to_le_bytes());
        let padded = bytes.len().div_ceil(4) * 4;
        bytes.resize(padded, 0);
        values.extend(bytes);
    }
    set.extend(((head + values.len()) as u32).to_le_bytes());
    set.extend((offsets.len() as u32).to_le_bytes());
    for (id, at) in offsets {
        set.extend(id.to_le_bytes());
        set.extend((at as u32).to_le_bytes());
    }
    set.extend(values);
    let mut stream = vec![0xFE, 0xFF, 0, 0, 5, 1, 2, 0];
    stream.extend([0u8; 16]);
    stream.extend(1u32.to_le_bytes());
    stream.extend([0u8; 16]);
    stream.extend(48u32.to_le_bytes());
    stream.extend(set);
    stream
}

//! Checks made before a parser sees the bytes (input size, encryption, zip bombs), and
//! the [`Meter`] that counts what a zip member really inflates to while it is read.
//!
//! The central directory's sizes are checked first, which refuses an honest bomb at
//! once. They are only claims, though: the zip crate inflates a member to its end
//! whatever size its headers give, so a part whose headers say 1,000 bytes can inflate
//! to gigabytes. Every member ogpipe's readers open is therefore read through a
//! [`Metered`] reader that counts the bytes actually inflated and stops the read, as it
//! streams, once they pass `max_uncompressed_bytes` or `max_compression_ratio`.

use std::io::{self, Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::error::human_bytes;
use super::{Format, Limits, ReadError};

const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Refuses an input over `max_input_bytes`; leaves the reader at the start.
pub(crate) fn check_input_size<R: Seek>(
    file: &str,
    r: &mut R,
    limits: &Limits,
) -> Result<u64, ReadError> {
    let len = r
        .seek(SeekFrom::End(0))
        .map_err(|e| ReadError::io(file, e))?;
    r.seek(SeekFrom::Start(0))
        .map_err(|e| ReadError::io(file, e))?;
    check_len(file, len, limits)
}

/// Refuses an input of `len` bytes when that is over `max_input_bytes`.
pub(crate) fn check_len(file: &str, len: u64, limits: &Limits) -> Result<u64, ReadError> {
    if len > limits.max_input_bytes {
        return Err(ReadError::Limit {
            file: file.into(),
            limit: "max_input_bytes",
            what: format!("the file is {}", human_bytes(len)),
            value: len,
            max: limits.max_input_bytes,
        });
    }
    Ok(len)
}

/// For formats that should be zips: an OLE/CFB container holding `EncryptionInfo` or
/// `EncryptedPackage` is how Office stores a password-protected xlsx/xlsm/xlsb.
/// Leaves the reader at the start.
pub(crate) fn check_not_encrypted<R: Read + Seek>(file: &str, r: &mut R) -> Result<(), ReadError> {
    let mut magic = [0u8; 8];
    let n = read_up_to(r, &mut magic).map_err(|e| ReadError::io(file, e))?;
    let is_cfb = n == 8 && magic == CFB_MAGIC;
    let found = is_cfb && scan_for_encryption_streams(r).map_err(|e| ReadError::io(file, e))?;
    r.seek(SeekFrom::Start(0))
        .map_err(|e| ReadError::io(file, e))?;
    if found {
        return Err(ReadError::Encrypted { file: file.into() });
    }
    if is_cfb {
        return Err(ReadError::corrupt(file, "the file is an OLE (old Excel) container, not a zip workbook; save it as xlsx or declare it as xls"));
    }
    Ok(())
}

fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Looks for the stream names (UTF-16LE in CFB directory entries) in 64 KiB chunks,
/// with an overlap so a name split between chunks is still found.
fn scan_for_encryption_streams<R: Read + Seek>(r: &mut R) -> std::io::Result<bool> {
    let needles: Vec<Vec<u8>> = ["EncryptionInfo", "EncryptedPackage"]
        .iter()
        .map(|s| s.encode_utf16().flat_map(u16::to_le_bytes).collect())
        .collect();
    let overlap = needles.iter().map(Vec::len).max().unwrap_or(0);
    r.seek(SeekFrom::Start(0))?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut kept = 0;
    loop {
        let n = read_up_to(r, &mut buf[kept..])?;
        let filled = kept + n;
        let window = &buf[..filled];
        if needles
            .iter()
            .any(|nd| window.windows(nd.len()).any(|w| w == nd.as_slice()))
        {
            return Ok(true);
        }
        if n == 0 || filled < buf.len() {
            return Ok(false);
        }
        buf.copy_within(filled - overlap..filled, 0);
        kept = overlap;
    }
}

/// Walks the zip central directory and refuses a part or a total that would expand
/// past the limits. Leaves the reader at the start.
pub(crate) fn check_zip<R: Read + Seek>(
    file: &str,
    format: Format,
    r: &mut R,
    limits: &Limits,
) -> Result<(), ReadError> {
    let result = walk_zip(file, format, r, limits);
    r.seek(SeekFrom::Start(0))
        .map_err(|e| ReadError::io(file, e))?;
    result
}

fn walk_zip<R: Read + Seek>(
    file: &str,
    format: Format,
    r: &mut R,
    limits: &Limits,
) -> Result<(), ReadError> {
    let mut zip = zip::ZipArchive::new(&mut *r).map_err(|e| {
        ReadError::corrupt(file, format!("not a readable {format} file (its zip directory is damaged or the file is truncated: {e})"))
    })?;
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let part = zip.by_index_raw(i).map_err(|e| {
            ReadError::corrupt(file, format!("zip entry {} is damaged: {e}", i + 1))
        })?;
        let (name, size, packed) = (part.name().to_string(), part.size(), part.compressed_size());
        let what = |s: u64| format!("workbook part {name} expands to {}", human_bytes(s));
        if size > limits.max_uncompressed_bytes {
            return Err(ReadError::Limit {
                file: file.into(),
                limit: "max_uncompressed_bytes",
                what: what(size),
                value: size,
                max: limits.max_uncompressed_bytes,
            });
        }
        let ratio = size / packed.max(1);
        // Tiny parts compress absurdly well (a run of zeros) yet cannot hurt; only a
        // part over 1 MiB is judged by its ratio.
        if size > (1 << 20) && ratio > u64::from(limits.max_compression_ratio) {
            return Err(ReadError::Limit {
                file: file.into(),
                limit: "max_compression_ratio",
                what: format!(
                    "workbook part {name} expands {ratio} times ({} from {})",
                    human_bytes(size),
                    human_bytes(packed)
                ),
                value: ratio,
                max: u64::from(limits.max_compression_ratio),
            });
        }
        total = total.saturating_add(size);
        if total > limits.max_uncompressed_bytes {
            return Err(ReadError::Limit {
                file: file.into(),
                limit: "max_uncompressed_bytes",
                what: format!(
                    "the workbook's parts expand to over {} in all",
                    human_bytes(total)
                ),
                value: total,
                max: limits.max_uncompressed_bytes,
            });
        }
    }
    Ok(())
}

/// Parts this small are not judged by their ratio (a run of zeros compresses absurdly
/// well, yet cannot hurt).
const RATIO_FLOOR: u64 = 1 << 20;

/// The limits on inflated bytes for one read of one file, shared by every member it
/// opens (and by the threads that inflate them). When a member trips a limit, the read
/// fails with an IO error inside the parser; [`Meter::verdict`] then puts the limit's
/// own error, naming the part, in place of whatever the parser made of it.
#[derive(Clone)]
pub(crate) struct Meter {
    file: Arc<str>,
    max_bytes: u64,
    max_ratio: u64,
    tripped: Arc<Mutex<Option<ReadError>>>,
    /// Bytes read from the file so far, when it is read through [`Meter::count`]: a
    /// member's ratio is then judged on the compressed bytes it really consumed, from
    /// its first inflated megabyte, not on its whole compressed size at its end.
    consumed: Arc<AtomicU64>,
    counting: bool,
}

impl Meter {
    pub fn new(file: &str, limits: &Limits) -> Self {
        Meter {
            file: file.into(),
            max_bytes: limits.max_uncompressed_bytes,
            max_ratio: u64::from(limits.max_compression_ratio),
            tripped: Arc::default(),
            consumed: Arc::default(),
            counting: false,
        }
    }

    /// `reader` (the whole file), its reads counted for the ratio of every member
    /// opened after this.
    pub fn count<R>(&mut self, reader: R) -> Counted<R> {
        self.counting = true;
        Counted {
            inner: reader,
            consumed: Arc::clone(&self.consumed),
        }
    }

    /// `inner` (a member `packed` bytes long in the zip, by its headers) counted as it
    /// inflates.
    pub fn wrap<R: Read>(&self, part: &str, packed: u64, inner: R) -> Metered<R> {
        Metered {
            inner,
            meter: self.clone(),
            part: part.to_string(),
            packed: packed.max(1),
            start: self.consumed.load(Ordering::Relaxed),
            out: 0,
            failed: false,
        }
    }

    /// `result`, unless a member tripped a limit: then that limit's error, which says
    /// what was over and where, even if the parser passed the failed read over.
    pub fn verdict<T>(&self, result: Result<T, ReadError>) -> Result<T, ReadError> {
        let tripped = self
            .tripped
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match tripped {
            Some(e) => Err(e),
            None => result,
        }
    }

    fn trip(&self, e: ReadError) {
        let mut slot = self.tripped.lock().unwrap_or_else(PoisonError::into_inner);
        slot.get_or_insert(e);
    }
}

/// A zip member's bytes, counted as they inflate (see [`Meter`]).
pub(crate) struct Metered<R> {
    inner: R,
    meter: Meter,
    part: String,
    packed: u64,
    /// The file's bytes read when the member was opened.
    start: u64,
    out: u64,
    failed: bool,
}

/// The file, its reads counted (see [`Meter::count`]).
pub(crate) struct Counted<R> {
    inner: R,
    consumed: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: Seek> Seek for Counted<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

impl<R> Metered<R> {
    fn over(&self) -> Option<ReadError> {
        let (file, part, out) = (&*self.meter.file, &self.part, self.out);
        if out > self.meter.max_bytes {
            return Some(ReadError::Limit {
                file: file.into(),
                limit: "max_uncompressed_bytes",
                what: format!(
                    "workbook part {part} inflates to over {} (its zip headers say otherwise: the file is damaged or made to mislead)",
                    human_bytes(self.meter.max_bytes)
                ),
                value: out,
                max: self.meter.max_bytes,
            });
        }
        // Compressed bytes so far: what the file gave since the member opened (the
        // zip reader reads ahead, so this is a little more than the member used), never
        // more than the member's own size.
        let packed = if self.meter.counting {
            let read = self.meter.consumed.load(Ordering::Relaxed) - self.start;
            read.clamp(1, self.packed)
        } else {
            self.packed
        };
        let ratio = out / packed;
        if out > RATIO_FLOOR && ratio > self.meter.max_ratio {
            return Some(ReadError::Limit {
                file: file.into(),
                limit: "max_compression_ratio",
                what: format!(
                    "workbook part {part} inflates over {ratio} times ({} from {})",
                    human_bytes(out),
                    human_bytes(packed)
                ),
                value: ratio,
                max: self.meter.max_ratio,
            });
        }
        None
    }
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.failed {
            return Err(io::Error::other("a safety limit was reached"));
        }
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        if let Some(e) = self.over() {
            self.failed = true;
            let text = e.to_string();
            self.meter.trip(e);
            return Err(io::Error::other(text));
        }
        Ok(n)
    }
}

/// `zip` with every member's uncompressed size, in its local and its central header,
/// replaced by `claimed`: the lying bomb the [`Meter`] exists for.
#[cfg(test)]
pub(crate) fn lie_about_sizes(mut zip: Vec<u8>, claimed: u32) -> Vec<u8> {
    let mut i = 0;
    while i + 46 <= zip.len() {
        let at = match &zip[i..i + 4] {
            b"PK\x03\x04" => Some(i + 22),
            b"PK\x01\x02" => Some(i + 24),
            _ => None,
        };
        if let Some(at) = at {
            zip[at..at + 4].copy_from_slice(&claimed.to_le_bytes());
        }
        i += 1;
    }
    zip
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_bytes: u64, ratio: u32) -> Limits {
        Limits {
            max_uncompressed_bytes: max_bytes,
            max_compression_ratio: ratio,
            ..Limits::default()
        }
    }

    #[test]
    fn a_meter_stops_at_the_bytes_really_read_whatever_the_headers_claim() {
        let meter = Meter::new("bomb.xlsx", &limits(4 << 20, 1000));
        // Headers claimed 1,000 bytes packed; the member yields 8 MiB.
        let mut part = meter.wrap(
            "xl/worksheets/sheet1.xml",
            1000,
            io::repeat(b'a').take(8 << 20),
        );
        let mut sink = Vec::new();
        assert!(part.read_to_end(&mut sink).is_err());
        assert!(
            sink.len() <= (4 << 20) + (64 << 10),
            "stopped near the limit: {}",
            sink.len()
        );
        match meter.verdict(Ok(())) {
            Err(ReadError::Limit {
                limit, file, what, ..
            }) => {
                assert_eq!(
                    (limit, file.as_str()),
                    ("max_compression_ratio", "bomb.xlsx")
                );
                assert!(what.contains("xl/worksheets/sheet1.xml"), "{what}");
            }
            other => panic!("{other:?}"),
        }
        let meter = Meter::new("big.xlsx", &limits(2 << 20, 100_000));
        let mut part = meter.wrap(
            "xl/sharedStrings.xml",
            3 << 20,
            io::repeat(b'a').take(3 << 20),
        );
        assert!(io::copy(&mut part, &mut io::sink()).is_err());
        assert!(matches!(
            meter.verdict(Ok(())),
            Err(ReadError::Limit {
                limit: "max_uncompressed_bytes",
                ..
            })
        ));
        // Within the limits: the bytes pass untouched and the verdict is the result.
        let meter = Meter::new("ok.xlsx", &limits(2 << 20, 100));
        let mut part = meter.wrap("xl/workbook.xml", 10, &b"<workbook/>"[..]);
        let mut text = String::new();
        part.read_to_string(&mut text).expect("small part");
        assert_eq!(text, "<workbook/>");
        assert!(meter.verdict(Ok(())).is_ok());
    }
}

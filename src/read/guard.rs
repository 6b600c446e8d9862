//! Checks made before a parser sees the bytes: input size, encryption, zip bombs.
//!
//! Zip sizes are taken from the central directory, which is what the zip crate (and so
//! calamine) uses to bound each member's compressed read; `max_cells` bounds the rest
//! while reading.

use std::io::{Read, Seek, SeekFrom};

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

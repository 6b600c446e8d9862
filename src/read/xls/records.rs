//! BIFF8 records (MS-XLS §2.1.4) read forward from the workbook stream, with the
//! `CONTINUE` records that follow a record joined to it.
//!
//! A record holds at most 8,224 bytes; a longer one (the shared strings, a comment's
//! text, a long formula string) goes on in `CONTINUE` records. Their bodies are
//! appended to the record's data and where each one began is kept in
//! [`Record::breaks`]: a string whose characters cross a break starts the next part
//! with a fresh option byte (compressed or not), which [`Cursor`] re-reads there.

use std::io::{self, Read};

use super::cfb::u16_at;

pub(super) const CONTINUE: u16 = 0x003C;

/// One record: its type and its data, `CONTINUE` bodies included.
pub(super) struct Record<'a> {
    pub typ: u16,
    pub data: &'a [u8],
    /// Offsets in `data` where a `CONTINUE` body begins.
    pub breaks: &'a [usize],
    /// The stream offset of the record's header.
    pub offset: u64,
}

/// Why the record stream stopped early.
#[derive(Debug)]
pub(super) enum RecordError {
    Io(io::Error),
    /// The stream ends inside a record.
    Truncated {
        offset: u64,
    },
}

pub(super) struct Records<R> {
    src: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Stream offset of `buf[start]`.
    offset: u64,
    data: Vec<u8>,
    breaks: Vec<usize>,
    /// The most bytes one record may gather with its continuations.
    max_record: usize,
}

/// Larger than any record header and body (4 + 65,535 bytes), so one always fits.
const BUF: usize = 128 << 10;

impl<R: Read> Records<R> {
    /// Records from `src`, which starts at stream offset `offset`.
    pub fn new(src: R, offset: u64, max_record: u64) -> Self {
        Records {
            src,
            buf: vec![0; BUF],
            start: 0,
            end: 0,
            offset,
            data: Vec::new(),
            breaks: Vec::new(),
            max_record: usize::try_from(max_record).unwrap_or(usize::MAX),
        }
    }

    pub fn into_inner(self) -> R {
        self.src
    }

    /// Makes sure `n` bytes are buffered; `false` at the end of the stream.
    fn fill(&mut self, n: usize) -> Result<bool, RecordError> {
        if self.end - self.start >= n {
            return Ok(true);
        }
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        while self.end < n {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => return Ok(false),
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(RecordError::Io(e)),
            }
        }
        Ok(true)
    }

    fn header(&mut self) -> Result<Option<(u16, usize)>, RecordError> {
        if !self.fill(4)? {
            return if self.end == self.start {
                Ok(None)
            } else {
                Err(RecordError::Truncated {
                    offset: self.offset,
                })
            };
        }
        let h = &self.buf[self.start..self.start + 4];
        Ok(Some((u16_at(h, 0), usize::from(u16_at(h, 2)))))
    }

    /// Appends a record's body (its header at `start`) to `data`.
    fn take_body(&mut self, len: usize) -> Result<(), RecordError> {
        let at = self.offset;
        if !self.fill(4 + len)? {
            return Err(RecordError::Truncated { offset: at });
        }
        self.data
            .extend_from_slice(&self.buf[self.start + 4..self.start + 4 + len]);
        self.start += 4 + len;
        self.offset += 4 + len as u64;
        Ok(())
    }

    /// The next record, or `None` at the end of the stream.
    pub fn next(&mut self) -> Result<Option<Record<'_>>, RecordError> {
        let Some((typ, len)) = self.header()? else {
            return Ok(None);
        };
        let offset = self.offset;
        self.data.clear();
        self.breaks.clear();
        self.take_body(len)?;
        while let Some((CONTINUE, len)) = self.header()? {
            if self.data.len() + len > self.max_record {
                break;
            }
            self.breaks.push(self.data.len());
            self.take_body(len)?;
        }
        Ok(Some(Record {
            typ,
            data: &self.data,
            breaks: &self.breaks,
            offset,
        }))
    }
}

/// Reads a record's data field by field; every read is checked, a short record gives
/// `None`.
pub(super) struct Cursor<'a> {
    data: &'a [u8],
    breaks: &'a [usize],
    pub pos: usize,
    /// Index of the first break after `pos` (breaks only lie ahead: `pos` never falls).
    bi: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(record: &Record<'a>) -> Self {
        Cursor {
            data: record.data,
            breaks: record.breaks,
            pos: 0,
            bi: 0,
        }
    }

    #[cfg(test)]
    pub fn over(data: &'a [u8], breaks: &'a [usize]) -> Self {
        Cursor {
            data,
            breaks,
            pos: 0,
            bi: 0,
        }
    }

    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let b = self.data.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(b)
    }

    pub fn u8(&mut self) -> Option<u8> {
        Some(self.bytes(1)?[0])
    }

    pub fn u16(&mut self) -> Option<u16> {
        Some(u16_at(self.bytes(2)?, 0))
    }

    pub fn u32(&mut self) -> Option<u32> {
        let b = self.bytes(4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn skip(&mut self, n: usize) -> Option<()> {
        self.bytes(n).map(|_| ())
    }

    /// `XLUnicodeString` (§2.5.294): a 16-bit count, an option byte, the characters.
    pub fn unicode_string(&mut self, out: &mut String) -> Option<()> {
        let cch = usize::from(self.u16()?);
        let flags = self.u8()?;
        self.chars(cch, flags & 1 != 0, out)
    }

    /// `ShortXLUnicodeString` (§2.5.240): an 8-bit count, an option byte, the
    /// characters.
    pub fn short_string(&mut self, out: &mut String) -> Option<()> {
        let cch = usize::from(self.u8()?);
        let flags = self.u8()?;
        self.chars(cch, flags & 1 != 0, out)
    }

    /// `XLUnicodeRichExtendedString` (§2.5.293), as in the shared strings: the
    /// formatting runs and phonetic block after the characters are passed over.
    pub fn rich_string(&mut self, out: &mut String) -> Option<()> {
        let cch = usize::from(self.u16()?);
        let flags = self.u8()?;
        let runs = if flags & 0x08 != 0 {
            usize::from(self.u16()?)
        } else {
            0
        };
        let ext = if flags & 0x04 != 0 {
            self.u32()? as usize
        } else {
            0
        };
        self.chars(cch, flags & 1 != 0, out)?;
        self.skip(runs.checked_mul(4)?)?;
        self.skip(ext)
    }

    /// The offset where the next `CONTINUE` body begins (or the end of the data).
    fn next_break(&mut self) -> usize {
        while self.breaks.get(self.bi).is_some_and(|&b| b <= self.pos) {
            self.bi += 1;
        }
        self.breaks.get(self.bi).copied().unwrap_or(self.data.len())
    }

    /// `cch` characters, one byte each when `wide` is false (the high byte is zero:
    /// Latin-1, whatever the code page says) or UTF-16LE. Where a `CONTINUE` body
    /// begins inside the characters, its first byte says again whether the rest are
    /// wide: Excel may store the first part compressed and the rest not.
    pub fn chars(&mut self, mut cch: usize, mut wide: bool, out: &mut String) -> Option<()> {
        while cch > 0 {
            let end = self.next_break();
            let room = end.checked_sub(self.pos)?;
            let width = if wide { 2 } else { 1 };
            let n = (room / width).min(cch);
            if n == 0 {
                return None;
            }
            let b = self.bytes(n * width)?;
            if wide {
                let units = b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]));
                out.extend(char::decode_utf16(units).map(|c| c.unwrap_or('\u{FFFD}')));
            } else {
                match std::str::from_utf8(b) {
                    Ok(ascii) if b.is_ascii() => out.push_str(ascii),
                    _ => out.extend(b.iter().map(|&c| char::from(c))),
                }
            }
            cch -= n;
            if cch > 0 {
                // The characters go on in the next CONTINUE body, after its option byte.
                if self.pos != end {
                    return None;
                }
                wide = self.u8()? & 1 != 0;
            }
        }
        Some(())
    }
}

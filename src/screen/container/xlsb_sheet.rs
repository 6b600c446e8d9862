//! Hidden rows and columns of an xlsb worksheet part, read from its binary records
//! ([MS-XLSB] 2.1.4: a record is a type and a size, each a little-endian base-128
//! number, then the payload). calamine does not expose them.
//!
//! - `BrtRowHdr` (type 0, 2.4.726): `rw` (4 bytes), `ixfe` (4), `miyRw` (2), a byte of
//!   flags, then `fDyZero`, the row-hidden flag, as bit 4 of the next byte (bit 5 marks
//!   a custom height: a custom height of 0 hides the row too).
//! - `BrtColInfo` (type 60, 2.4.323): `colFirst` (4), `colLast` (4), `coldx` (4),
//!   `ixfe` (4), then `fHidden` as bit 0 of the next byte (a width of 0 hides the column
//!   too).
//!
//! Both positions are 0-based in the file and 1-based in what this returns.

use std::io::{self, Read};

const BRT_ROW_HDR: u32 = 0;
const BRT_COL_INFO: u32 = 60;

/// Payloads longer than this are skipped unread: the two records wanted are short.
const MAX_KEPT_PAYLOAD: u32 = 1 << 16;

/// The hidden rows and columns of one sheet, as 1-based inclusive ranges.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct HiddenLayout {
    pub rows: Vec<(u64, u64)>,
    pub columns: Vec<(u64, u64)>,
}

/// A base-128 number of at most `max_bytes` bytes, or `None` at a clean end of input.
fn varint(r: &mut impl Read, max_bytes: usize) -> io::Result<Option<u32>> {
    let mut value = 0u32;
    for i in 0..max_bytes {
        let mut b = [0u8; 1];
        if r.read(&mut b)? == 0 {
            if i == 0 {
                return Ok(None);
            }
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "record header cut short",
            ));
        }
        value |= u32::from(b[0] & 0x7F) << (7 * i);
        if b[0] & 0x80 == 0 {
            break;
        }
    }
    Ok(Some(value))
}

/// Reads a worksheet part's records to the end.
///
/// # Errors
/// The part cannot be read, or a record runs past its end.
pub(crate) fn hidden_layout(mut r: impl Read) -> io::Result<HiddenLayout> {
    let mut out = HiddenLayout::default();
    let mut payload = Vec::new();
    while let Some(kind) = varint(&mut r, 2)? {
        let Some(size) = varint(&mut r, 4)? else {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "record size missing",
            ));
        };
        if !matches!(kind, BRT_ROW_HDR | BRT_COL_INFO) || size > MAX_KEPT_PAYLOAD {
            let skipped = io::copy(&mut r.by_ref().take(u64::from(size)), &mut io::sink())?;
            if skipped < u64::from(size) {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "record cut short",
                ));
            }
            continue;
        }
        payload.resize(size as usize, 0);
        r.read_exact(&mut payload)?;
        let u32_at = |i: usize| {
            payload
                .get(i..i + 4)
                .map(|b| u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
        };
        match kind {
            BRT_ROW_HDR => {
                let height = payload.get(8..10).map(|b| u16::from_le_bytes([b[0], b[1]]));
                if let (Some(row), Some(&flags)) = (u32_at(0), payload.get(11)) {
                    if flags & 0x10 != 0 || (flags & 0x20 != 0 && height == Some(0)) {
                        out.rows.push((row + 1, row + 1));
                    }
                }
            }
            _ => {
                if let (Some(first), Some(last), Some(&flags)) =
                    (u32_at(0), u32_at(4), payload.get(16))
                {
                    if flags & 0x01 != 0 || u32_at(8) == Some(0) {
                        out.columns.push((first + 1, last.max(first) + 1));
                    }
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// One record: type and size as base-128 numbers, then the payload.
    pub(crate) fn record(kind: u32, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for (mut v, max) in [(kind, 2), (payload.len() as u32, 4)] {
            for _ in 0..max {
                let b = (v & 0x7F) as u8;
                v >>= 7;
                if v == 0 {
                    out.push(b);
                    break;
                }
                out.push(b | 0x80);
            }
        }
        out.extend_from_slice(payload);
        out
    }

    pub(crate) fn row_header(row: u32, hidden: bool) -> Vec<u8> {
        row_header_high(row, hidden, 300) // 15 pt
    }

    fn row_header_high(row: u32, hidden: bool, height: u16) -> Vec<u8> {
        let mut p = Vec::new();
        p.extend(row.to_le_bytes());
        p.extend(0u32.to_le_bytes()); // ixfe
        p.extend(height.to_le_bytes());
        p.push(0);
        p.push(if hidden { 0x10 | 0x20 } else { 0x20 });
        p.push(0);
        p.extend(0u32.to_le_bytes()); // no column spans
        record(BRT_ROW_HDR, &p)
    }

    pub(crate) fn col_info(first: u32, last: u32, hidden: bool) -> Vec<u8> {
        col_info_wide(first, last, hidden, 2560)
    }

    fn col_info_wide(first: u32, last: u32, hidden: bool, width: u32) -> Vec<u8> {
        let mut p = Vec::new();
        for v in [first, last, width, 0] {
            p.extend(v.to_le_bytes());
        }
        p.extend(if hidden { 0x0003u16 } else { 0x0002u16 }.to_le_bytes());
        record(BRT_COL_INFO, &p)
    }

    #[test]
    fn hidden_rows_and_columns_are_read_from_the_records() {
        let mut part = Vec::new();
        part.extend(record(129, &[])); // BrtBeginSheet, a two-byte type
        part.extend(col_info(0, 0, false));
        part.extend(col_info(3, 4, true));
        part.extend(row_header(0, false));
        part.extend(record(7, &[0u8; 200])); // a cell record, skipped
        part.extend(row_header(2, true));
        part.extend(row_header_high(6, false, 0));
        part.extend(col_info_wide(9, 9, false, 0));
        part.extend(record(130, &[]));
        let layout = hidden_layout(part.as_slice()).unwrap();
        assert_eq!(
            layout,
            HiddenLayout {
                rows: vec![(3, 3), (7, 7)],
                columns: vec![(4, 5), (10, 10)],
            }
        );
    }

    #[test]
    fn visible_rows_and_columns_pass() {
        let mut part = Vec::new();
        part.extend(col_info(0, 10, false));
        part.extend(row_header(0, false));
        part.extend(row_header(1, false));
        assert_eq!(
            hidden_layout(part.as_slice()).unwrap(),
            HiddenLayout::default()
        );
    }

    #[test]
    fn a_cut_record_is_an_error_not_a_pass() {
        let mut part = row_header(2, true);
        part.truncate(part.len() - 3);
        assert!(hidden_layout(part.as_slice()).is_err());
        assert!(hidden_layout(&[0x80u8][..]).is_err());
    }
}

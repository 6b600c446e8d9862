//! The OLE compound file (MS-CFB) around an xls workbook: just enough to find a stream
//! among the root storage's children and read it.
//!
//! Our own reader rather than the `cfb` crate: ogpipe needs three named streams read
//! forward, and wants every hostile layout (a FAT chain that loops, a sector past the
//! end of the file, a stream that claims gigabytes) to come back as one clear error
//! without allocating more than the file's own size. Each check below exists for that.
//!
//! A big stream is read in place through its sector chain ([`Stream`]), so a 12 MB
//! workbook is never copied whole; a stream under the mini-stream cutoff (4 KiB) is
//! small by definition and read into memory.

use std::io::{self, Read, Seek, SeekFrom};

const MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
/// Sector ids at or above this are markers (end of chain, free, FAT, DIFAT).
const MAX_REGULAR: u32 = 0xFFFF_FFFA;
const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
const NO_STREAM: u32 = 0xFFFF_FFFF;
const HEADER_DIFAT: usize = 109;
const DIR_ENTRY: usize = 128;
const MINI_SECTOR: u64 = 64;

/// Why the container could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum CfbError {
    #[error("not an OLE compound file (no OLE signature)")]
    NotCfb,
    #[error("the OLE header is damaged ({0})")]
    Header(&'static str),
    #[error("OLE sector {0} lies past the end of the file; the file is truncated")]
    PastEnd(u32),
    #[error("the OLE {0} chain loops or is longer than the file")]
    Loop(&'static str),
    #[error("the OLE {what} chain refers to sector {sector}, which does not exist")]
    BadSector { what: &'static str, sector: u32 },
    #[error("OLE stream \"{name}\" claims {size} bytes but its sectors hold {held}")]
    Size { name: String, size: u64, held: u64 },
    #[error("the file ended early: {0}")]
    Io(String),
}

impl From<io::Error> for CfbError {
    fn from(e: io::Error) -> Self {
        CfbError::Io(e.to_string())
    }
}

/// One directory entry: a storage or a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub name: String,
    pub is_stream: bool,
    start: u32,
    pub size: u64,
    left: u32,
    right: u32,
    child: u32,
}

/// An open compound file: its allocation tables and directory.
pub(crate) struct Cfb<R> {
    reader: R,
    sector: u64,
    sectors_in_file: u64,
    fat: Vec<u32>,
    mini_fat: Vec<u32>,
    mini_cutoff: u64,
    entries: Vec<Entry>,
}

impl<R: Read + Seek> Cfb<R> {
    /// Reads the header, the FAT, the mini FAT and the directory.
    ///
    /// # Errors
    /// [`CfbError`] for anything but a well-formed container.
    pub fn open(mut reader: R) -> Result<Self, CfbError> {
        let len = reader.seek(SeekFrom::End(0))?;
        reader.seek(SeekFrom::Start(0))?;
        let mut h = [0u8; 512];
        read_full(&mut reader, &mut h).map_err(|_| CfbError::NotCfb)?;
        if h[..8] != MAGIC {
            return Err(CfbError::NotCfb);
        }
        let shift = u16_at(&h, 30);
        let sector: u64 = match shift {
            9 | 12 => 1 << shift,
            _ => {
                return Err(CfbError::Header(
                    "sector size is neither 512 nor 4096 bytes",
                ))
            }
        };
        if u16_at(&h, 32) != 6 {
            return Err(CfbError::Header("mini sector size is not 64 bytes"));
        }
        let sectors_in_file = (len / sector).saturating_sub(1) + u64::from(len % sector != 0);
        let mut cfb = Cfb {
            reader,
            sector,
            sectors_in_file,
            fat: Vec::new(),
            mini_fat: Vec::new(),
            // MS-CFB fixes the cutoff at 4096; a header that says otherwise is not trusted.
            mini_cutoff: 4096,
            entries: Vec::new(),
        };
        cfb.read_fat(&h)?;
        let dir = cfb.chain(u32_at(&h, 48), "directory")?;
        cfb.read_directory(&dir)?;
        let mini_start = u32_at(&h, 60);
        if mini_start != END_OF_CHAIN && mini_start != NO_STREAM {
            let chain = cfb.chain(mini_start, "mini FAT")?;
            let mut bytes = vec![0u8; chain.len() * cfb.sector as usize];
            cfb.read_chain(&chain, &mut bytes)?;
            cfb.mini_fat = bytes.chunks_exact(4).map(|c| u32_at(c, 0)).collect();
        }
        Ok(cfb)
    }

    /// The FAT sectors are listed in the header (109) and then in a chain of DIFAT
    /// sectors, each ending with the next one's id.
    fn read_fat(&mut self, h: &[u8]) -> Result<(), CfbError> {
        let per_sector = (self.sector / 4) as usize;
        let mut fat_sectors: Vec<u32> = (0..HEADER_DIFAT)
            .map(|i| u32_at(h, 76 + 4 * i))
            .filter(|&s| s < MAX_REGULAR)
            .collect();
        let mut next = u32_at(h, 68);
        let mut buf = vec![0u8; self.sector as usize];
        let mut hops = 0u64;
        while next < MAX_REGULAR {
            hops += 1;
            if hops > self.sectors_in_file {
                return Err(CfbError::Loop("DIFAT"));
            }
            self.read_sector(next, &mut buf)?;
            let ids: Vec<u32> = buf.chunks_exact(4).map(|c| u32_at(c, 0)).collect();
            fat_sectors.extend(ids[..per_sector - 1].iter().filter(|&&s| s < MAX_REGULAR));
            next = ids[per_sector - 1];
        }
        if fat_sectors.len() as u64 > self.sectors_in_file {
            return Err(CfbError::Header(
                "more FAT sectors than the file has sectors",
            ));
        }
        self.fat = Vec::with_capacity(fat_sectors.len() * per_sector);
        for s in fat_sectors {
            self.read_sector(s, &mut buf)?;
            self.fat.extend(buf.chunks_exact(4).map(|c| u32_at(c, 0)));
        }
        Ok(())
    }

    fn read_directory(&mut self, chain: &[u32]) -> Result<(), CfbError> {
        let mut bytes = vec![0u8; chain.len() * self.sector as usize];
        self.read_chain(chain, &mut bytes)?;
        let high = if self.sector == 512 { 0 } else { u64::MAX };
        self.entries = bytes
            .chunks_exact(DIR_ENTRY)
            .map(|e| {
                let name_len = (u16_at(e, 64) as usize).min(64);
                let units: Vec<u16> = e[..name_len]
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .take_while(|&u| u != 0)
                    .collect();
                Entry {
                    name: String::from_utf16_lossy(&units),
                    is_stream: e[66] == 2,
                    start: u32_at(e, 116),
                    // Version 3 files may leave garbage in the high half (MS-CFB §2.6.3).
                    size: u64::from(u32_at(e, 120)) | (u64::from(u32_at(e, 124)) << 32) & high,
                    left: u32_at(e, 68),
                    right: u32_at(e, 72),
                    child: u32_at(e, 76),
                }
            })
            .collect();
        if self.entries.is_empty() {
            return Err(CfbError::Header("the directory is empty"));
        }
        Ok(())
    }

    /// The root storage's children, in directory order of the tree walk. A tree that
    /// loops is cut off: every entry is visited at most once.
    pub fn root_children(&self) -> Vec<&Entry> {
        let mut out = Vec::new();
        let mut seen = vec![false; self.entries.len()];
        let mut stack = vec![self.entries[0].child];
        while let Some(i) = stack.pop() {
            let Some(e) = self.entries.get(i as usize) else {
                continue;
            };
            if std::mem::replace(&mut seen[i as usize], true) {
                continue;
            }
            stack.push(e.right);
            stack.push(e.left);
            out.push(e);
        }
        out
    }

    /// A stream among the root's children, by name (compared case-insensitively, as
    /// MS-CFB §2.6.4 says).
    pub fn find(&self, name: &str) -> Option<Entry> {
        self.root_children()
            .into_iter()
            .find(|e| e.is_stream && e.name.eq_ignore_ascii_case(name))
            .cloned()
    }

    /// Opens a stream for reading.
    ///
    /// # Errors
    /// A chain that loops or leaves the file, or a size its sectors cannot hold.
    pub fn open_stream(&mut self, entry: &Entry) -> Result<Stream<'_, R>, CfbError> {
        if entry.size < self.mini_cutoff {
            let bytes = self.read_mini(entry)?;
            return Ok(Stream::Small(io::Cursor::new(bytes)));
        }
        let chain = self.chain(entry.start, "stream")?;
        let held = chain.len() as u64 * self.sector;
        if entry.size > held {
            return Err(CfbError::Size {
                name: entry.name.clone(),
                size: entry.size,
                held,
            });
        }
        let sector = self.sector;
        Ok(Stream::Big(Chained {
            reader: &mut self.reader,
            runs: runs(&chain, sector),
            size: entry.size,
            pos: 0,
            run: 0,
            run_start: 0,
            at: None,
        }))
    }

    /// A small stream, gathered from 64-byte mini sectors of the root's stream.
    fn read_mini(&mut self, entry: &Entry) -> Result<Vec<u8>, CfbError> {
        if entry.size > self.mini_fat.len() as u64 * MINI_SECTOR {
            return Err(CfbError::Size {
                name: entry.name.clone(),
                size: entry.size,
                held: self.mini_fat.len() as u64 * MINI_SECTOR,
            });
        }
        let root = self.entries[0].clone();
        let root_chain = self.chain(root.start, "mini stream")?;
        let mut out = Vec::with_capacity(entry.size as usize);
        let mut sid = entry.start;
        let mut buf = [0u8; MINI_SECTOR as usize];
        while (out.len() as u64) < entry.size {
            let next = *self.mini_fat.get(sid as usize).ok_or(CfbError::BadSector {
                what: "mini stream",
                sector: sid,
            })?;
            let offset = u64::from(sid) * MINI_SECTOR;
            let index = (offset / self.sector) as usize;
            let within = offset % self.sector;
            let s = *root_chain.get(index).ok_or(CfbError::BadSector {
                what: "mini stream",
                sector: sid,
            })?;
            self.seek_sector(s, within)?;
            read_full(&mut self.reader, &mut buf)?;
            let want = (entry.size - out.len() as u64).min(MINI_SECTOR) as usize;
            out.extend_from_slice(&buf[..want]);
            if next >= MAX_REGULAR {
                break;
            }
            sid = next;
        }
        if (out.len() as u64) < entry.size {
            return Err(CfbError::Size {
                name: entry.name.clone(),
                size: entry.size,
                held: out.len() as u64,
            });
        }
        Ok(out)
    }

    /// A chain of sectors from `start`; one longer than the FAT is a loop.
    fn chain(&self, start: u32, what: &'static str) -> Result<Vec<u32>, CfbError> {
        let mut out = Vec::new();
        let mut s = start;
        while s != END_OF_CHAIN {
            if s >= MAX_REGULAR || u64::from(s) >= self.sectors_in_file {
                return Err(if u64::from(s) >= self.sectors_in_file && s < MAX_REGULAR {
                    CfbError::PastEnd(s)
                } else {
                    CfbError::BadSector { what, sector: s }
                });
            }
            if out.len() >= self.fat.len() {
                return Err(CfbError::Loop(what));
            }
            out.push(s);
            s = *self
                .fat
                .get(s as usize)
                .ok_or(CfbError::BadSector { what, sector: s })?;
        }
        Ok(out)
    }

    fn read_chain(&mut self, chain: &[u32], out: &mut [u8]) -> Result<(), CfbError> {
        let size = self.sector as usize;
        for (s, piece) in chain.iter().zip(out.chunks_mut(size)) {
            self.read_sector(*s, piece)?;
        }
        Ok(())
    }

    fn read_sector(&mut self, s: u32, buf: &mut [u8]) -> Result<(), CfbError> {
        if u64::from(s) >= self.sectors_in_file {
            return Err(CfbError::PastEnd(s));
        }
        self.seek_sector(s, 0)?;
        // The last sector may be cut short by a writer that does not pad: zeros.
        let mut n = 0;
        while n < buf.len() {
            match self.reader.read(&mut buf[n..])? {
                0 => break,
                k => n += k,
            }
        }
        buf[n..].fill(0);
        Ok(())
    }

    fn seek_sector(&mut self, s: u32, within: u64) -> Result<(), CfbError> {
        let at = (u64::from(s) + 1) * self.sector + within;
        self.reader.seek(SeekFrom::Start(at))?;
        Ok(())
    }
}

/// Byte ranges of the file (offset, length) a chain covers, contiguous sectors merged:
/// a workbook written in one go is a handful of runs, read with few seeks.
fn runs(chain: &[u32], sector: u64) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    for &s in chain {
        let at = (u64::from(s) + 1) * sector;
        match out.last_mut() {
            Some((start, len)) if *start + *len == at => *len += sector,
            _ => out.push((at, sector)),
        }
    }
    out
}

/// A stream's bytes, read forward; [`Seek`] to an offset (a sheet's `BOF`).
pub(crate) enum Stream<'a, R> {
    Small(io::Cursor<Vec<u8>>),
    Big(Chained<'a, R>),
}

pub(crate) struct Chained<'a, R> {
    reader: &'a mut R,
    runs: Vec<(u64, u64)>,
    size: u64,
    pos: u64,
    /// The run holding `pos` (found forward from here) and its first stream offset.
    run: usize,
    run_start: u64,
    /// Where the underlying reader is, when known, to skip needless seeks.
    at: Option<u64>,
}

impl<R: Read + Seek> Read for Stream<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Small(c) => c.read(buf),
            Stream::Big(c) => c.read(buf),
        }
    }
}

impl<R: Read + Seek> Read for Chained<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.size || buf.is_empty() {
            return Ok(0);
        }
        // Runs are in stream order; a seek backwards starts the search over.
        if self.run_start > self.pos {
            (self.run, self.run_start) = (0, 0);
        }
        while self.run_start + self.runs[self.run].1 <= self.pos {
            self.run_start += self.runs[self.run].1;
            self.run += 1;
        }
        let (offset, len) = self.runs[self.run];
        let within = self.pos - self.run_start;
        let want = (len - within)
            .min(self.size - self.pos)
            .min(buf.len() as u64) as usize;
        let file_at = offset + within;
        if self.at != Some(file_at) {
            self.reader.seek(SeekFrom::Start(file_at))?;
        }
        let n = self.reader.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file ends inside an OLE stream; it is truncated",
            ));
        }
        self.pos += n as u64;
        self.at = Some(file_at + n as u64);
        Ok(n)
    }
}

impl<R: Read + Seek> Stream<'_, R> {
    /// Moves to `offset` bytes from the stream's start.
    pub fn seek_to(&mut self, offset: u64) -> io::Result<()> {
        match self {
            Stream::Small(c) => c.set_position(offset),
            Stream::Big(c) => c.pos = offset,
        }
        Ok(())
    }

    pub fn len(&self) -> u64 {
        match self {
            Stream::Small(c) => c.get_ref().len() as u64,
            Stream::Big(c) => c.size,
        }
    }
}

fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<()> {
    r.read_exact(buf)
}

pub(super) fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

pub(super) fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

//! XML (being written)
use std::io::{Read, Seek};
use super::{ReadError, ReadOptions, ReadSummary};
use crate::table::TableSink;
pub(crate) fn read<R: Read + Seek>(_file: &str, _r: R, _o: &ReadOptions, _s: &mut dyn TableSink) -> Result<ReadSummary, ReadError> { todo!() }

//! Turns a sheet's cells into a table: header row, range, trimmed edges, unique headers.
//!
//! Rules (the same for every spreadsheet format):
//! - **Range**: `range = "B3:F200"` keeps only those cells; row numbers and
//!   [`TableInfo::first_column`] stay those of the sheet.
//! - **Header row**: `header_row` (1-based) if given, else the first row with a non-empty
//!   cell. Rows above it are ignored.
//! - **Edges**: the table spans from the leftmost to the rightmost column that has a
//!   non-empty cell in or below the header row (or the range's own columns when a range
//!   is given: then only trailing empty columns are cut). Trailing empty rows are dropped;
//!   empty rows in the middle are kept, as empty rows.
//! - **Headers** are trimmed; an empty one becomes `column_<LETTER>` (its sheet column);
//!   a repeated one gets `_2`, `_3`… (`name`, `name` → `name`, `name_2`).
//! - **Merged cells**: the value stays in the top-left cell; the other cells of the merge
//!   are empty (that is what the file stores; nothing is copied).
//!
//! Cells must arrive in row-major order (row by row, left to right), which is how every
//! workbook format stores them. [`Scan`] finds the edges in a first pass, then
//! [`Assembler`] builds and pushes the rows, so nothing is held but the current row
//! (and a count of empty rows not yet known to be trailing). A reader that knows the
//! edges another way (see [`super::stream`]) skips the first pass.

use std::collections::HashSet;

use crate::table::{column_letter, Row, TableInfo, TableSink, Value};

use super::ReadError;

/// A cell rectangle, 0-based and inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bounds {
    pub first_row: u32,
    pub last_row: u32,
    pub first_col: u32,
    pub last_col: u32,
}

impl Bounds {
    pub(crate) const ALL: Bounds = Bounds {
        first_row: 0,
        last_row: u32::MAX,
        first_col: 0,
        last_col: u32::MAX,
    };

    pub(crate) fn contains(&self, row: u32, col: u32) -> bool {
        (self.first_row..=self.last_row).contains(&row)
            && (self.first_col..=self.last_col).contains(&col)
    }
}

/// Parses `B3:F200` (or a single cell `B3`) into 0-based bounds; `None` if malformed.
pub(crate) fn parse_range(text: &str) -> Option<Bounds> {
    let (a, b) = match text.trim().split_once(':') {
        Some((a, b)) => (a, b),
        None => (text.trim(), text.trim()),
    };
    let (r1, c1) = parse_cell(a)?;
    let (r2, c2) = parse_cell(b)?;
    Some(Bounds {
        first_row: r1.min(r2),
        last_row: r1.max(r2),
        first_col: c1.min(c2),
        last_col: c1.max(c2),
    })
}

fn parse_cell(text: &str) -> Option<(u32, u32)> {
    cell_ref(text.trim().replace('$', "").as_bytes())
}

/// `B12` (any letter case) → (11, 1), 0-based; `None` for anything else.
pub(crate) fn cell_ref(b: &[u8]) -> Option<(u32, u32)> {
    let letters = b.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    if letters == 0 || letters > 3 {
        return None;
    }
    let col = b[..letters].iter().fold(0u32, |acc, c| {
        acc * 26 + u32::from(c.to_ascii_uppercase() - b'A') + 1
    });
    let row = parse_u32(&b[letters..])?;
    Some((row.checked_sub(1)?, col - 1))
}

/// A decimal number of ASCII digits that fits in a `u32`, without allocating.
pub(crate) fn parse_u32(b: &[u8]) -> Option<u32> {
    if b.is_empty() {
        return None;
    }
    b.iter().try_fold(0u32, |acc, &d| {
        if d.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
        } else {
            None
        }
    })
}

/// First pass: where the table is.
#[derive(Debug, Clone)]
pub(crate) struct Scan {
    bounds: Bounds,
    header_row: Option<u32>,
    range_given: bool,
    first_non_empty_row: Option<u32>,
    last_row: Option<u32>,
    min_col: Option<u32>,
    max_col: Option<u32>,
}

/// What the first pass found: the table's rectangle, 0-based, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    pub header_row: u32,
    pub last_row: u32,
    pub first_col: u32,
    pub last_col: u32,
}

impl Scan {
    /// `header_row` is 1-based as configured.
    pub(crate) fn new(bounds: Option<Bounds>, header_row: Option<u32>) -> Scan {
        Scan {
            bounds: bounds.unwrap_or(Bounds::ALL),
            header_row: header_row.map(|h| h.saturating_sub(1)),
            range_given: bounds.is_some(),
            first_non_empty_row: None,
            last_row: None,
            min_col: None,
            max_col: None,
        }
    }

    #[cfg(test)]
    pub(crate) fn cell(&mut self, row: u32, col: u32, value: &Value) {
        self.cell_is_empty(row, col, value.is_empty());
    }

    /// As [`Scan::cell`], for a reader that can tell emptiness without building the
    /// [`Value`] (the first pass only needs to know where non-empty cells are).
    pub(crate) fn cell_is_empty(&mut self, row: u32, col: u32, empty: bool) {
        if empty || !self.bounds.contains(row, col) || self.header_row.is_some_and(|h| row < h) {
            return;
        }
        self.first_non_empty_row.get_or_insert(row);
        self.last_row = Some(self.last_row.map_or(row, |r| r.max(row)));
        self.min_col = Some(self.min_col.map_or(col, |c| c.min(col)));
        self.max_col = Some(self.max_col.map_or(col, |c| c.max(col)));
    }

    /// `None` when the table has no non-empty cell at all.
    pub(crate) fn finish(self) -> Option<Shape> {
        let header_row = self.header_row.or(self.first_non_empty_row)?;
        let first_col = if self.range_given {
            self.bounds.first_col
        } else {
            self.min_col?
        };
        Some(Shape {
            header_row,
            last_row: self.last_row?.max(header_row),
            first_col,
            last_col: self.max_col?,
        })
    }
}

/// The table's shape when a sheet's declared used range (`dimension`) and its header
/// row fix it, so the sheet can be converted in one pass (see [`super::xlsx`]): the
/// header row's non-empty cells (`header_cols`) must reach both of the range's edge
/// columns, or the configured `range`'s. A single-cell dimension is no declaration
/// (producers write `A1` for any sheet).
pub(crate) fn one_pass_shape(
    dimension: Option<Bounds>,
    range: Option<Bounds>,
    header_row: u32,
    header_cols: impl Iterator<Item = u32> + Clone,
) -> Option<Shape> {
    let dim = dimension.filter(|d| (d.first_row, d.first_col) != (d.last_row, d.last_col))?;
    let (first, last) = (header_cols.clone().min()?, header_cols.max()?);
    let want_first = range.map_or(dim.first_col, |b| b.first_col);
    let want_last = range.map_or(dim.last_col, |b| b.last_col.min(dim.last_col));
    let fits = (range.is_some() || first == want_first) && last == want_last;
    fits.then_some(Shape {
        header_row,
        last_row: range.map_or(u32::MAX, |b| b.last_row),
        first_col: want_first,
        last_col: want_last,
    })
}

/// Refuses a value a one-pass shape would lose: the file's declared range was wrong,
/// and rows already passed on cannot be taken back.
pub(crate) fn check_inside(
    file: &str,
    sheet: &str,
    shape: &Shape,
    row: u32,
    col: u32,
    empty: bool,
) -> Result<(), ReadError> {
    if empty || (shape.first_col..=shape.last_col).contains(&col) {
        return Ok(());
    }
    Err(ReadError::Sheet {
        file: file.into(),
        sheet: sheet.into(),
        detail: format!(
            "cell {}{} lies outside the range the sheet declares (columns {} to {}); the file contradicts itself. Re-save it in its application, or set read.range to the table's cells",
            column_letter(col as usize),
            row + 1,
            column_letter(shape.first_col as usize),
            column_letter(shape.last_col as usize)
        ),
    })
}

/// Second pass: builds each row and pushes it.
pub(crate) struct Assembler<'s> {
    shape: Shape,
    sink: &'s mut dyn TableSink,
    info: TableInfo,
    /// Row being built (0-based sheet row), or none before the header.
    current: Option<u32>,
    cells: Vec<Value>,
    /// Empty rows passed but not yet pushed: they are pushed when a non-empty row
    /// follows them, and dropped at the end, so a stream needs no last row.
    held_empty: u32,
    pub(crate) rows: u64,
    /// Cells pushed (rows × width) and the most allowed: a sheet with one cell far
    /// below another asks for every empty row between them.
    pushed: u64,
    max_cells: u64,
}

impl<'s> Assembler<'s> {
    /// `max_cells` bounds the cells pushed ([`super::Limits::max_cells`]).
    pub(crate) fn new(
        shape: Shape,
        info: TableInfo,
        sink: &'s mut dyn TableSink,
        max_cells: u64,
    ) -> Self {
        let width = (shape.last_col - shape.first_col + 1) as usize;
        Assembler {
            shape,
            sink,
            info,
            current: None,
            cells: vec![Value::Empty; width],
            held_empty: 0,
            rows: 0,
            pushed: 0,
            max_cells,
        }
    }

    pub(crate) fn width(&self) -> usize {
        self.cells.len()
    }

    pub(crate) fn cell(&mut self, row: u32, col: u32, value: Value) -> Result<(), ReadError> {
        let s = self.shape;
        if row < s.header_row || row > s.last_row || col < s.first_col || col > s.last_col {
            return Ok(());
        }
        if self.current.is_some_and(|cur| row < cur) {
            return Err(ReadError::corrupt(&self.info.source, format!("row {} comes after row {}; the sheet's rows are out of order, re-save the file in its application", row + 1, self.current.map_or(0, |c| c + 1))));
        }
        self.advance_to(row)?;
        self.cells[(col - s.first_col) as usize] = value;
        Ok(())
    }

    /// Flushes rows until `row` is the current one; rows with no cells come out empty.
    fn advance_to(&mut self, row: u32) -> Result<(), ReadError> {
        loop {
            match self.current {
                Some(cur) if cur >= row => return Ok(()),
                Some(cur) => {
                    self.flush(cur)?;
                    self.current = Some(cur + 1);
                }
                None => self.current = Some(self.shape.header_row),
            }
        }
    }

    fn flush(&mut self, row: u32) -> Result<(), ReadError> {
        if row == self.shape.header_row {
            self.info.headers = make_headers(&self.cells, self.shape.first_col as usize);
            self.info.header_row = u64::from(row) + 1;
            self.info.first_column = self.shape.first_col as usize;
            self.sink.begin(&self.info).map_err(ReadError::Sink)?;
        } else if self.cells.iter().all(Value::is_empty) {
            self.held_empty += 1;
            return Ok(());
        } else {
            let width = self.cells.len() as u64;
            self.pushed = self
                .pushed
                .saturating_add(width.saturating_mul(u64::from(self.held_empty) + 1));
            if self.pushed > self.max_cells {
                return Err(ReadError::Limit {
                    file: self.info.source.clone(),
                    limit: "max_cells",
                    what: format!(
                        "the table reaches row {} with {} columns, over {} cells with its empty rows",
                        row + 1,
                        width,
                        self.pushed
                    ),
                    value: self.pushed,
                    max: self.max_cells,
                });
            }
            let blank = if self.held_empty > 0 {
                vec![Value::Empty; self.cells.len()]
            } else {
                Vec::new()
            };
            for held in (1..=self.held_empty).rev() {
                self.sink
                    .row(Row {
                        number: u64::from(row - held) + 1,
                        cells: &blank,
                    })
                    .map_err(ReadError::Sink)?;
            }
            self.rows += u64::from(self.held_empty);
            self.held_empty = 0;
            self.sink
                .row(Row {
                    number: u64::from(row) + 1,
                    cells: &self.cells,
                })
                .map_err(ReadError::Sink)?;
            self.rows += 1;
        }
        self.cells.iter_mut().for_each(|c| *c = Value::Empty);
        Ok(())
    }

    /// Pushes what is left (trailing empty rows are dropped) and ends the table.
    pub(crate) fn finish(mut self) -> Result<u64, ReadError> {
        let last = self.current.unwrap_or(self.shape.header_row);
        self.advance_to(last)?;
        self.flush(last)?;
        self.sink.end().map_err(ReadError::Sink)?;
        Ok(self.rows)
    }
}

/// Pushes an empty table (no header found).
pub(crate) fn empty_table(info: &TableInfo, sink: &mut dyn TableSink) -> Result<(), ReadError> {
    sink.begin(info).map_err(ReadError::Sink)?;
    sink.end().map_err(ReadError::Sink)
}

/// Trimmed header names; empty → `column_<LETTER>`; repeats → `_2`, `_3`…
pub(crate) fn make_headers(cells: &[Value], first_col: usize) -> Vec<String> {
    let raw = cells.iter().enumerate().map(|(i, v)| {
        let text = v.display(crate::table::DecimalStyle::Excel).to_string();
        let text = text.trim();
        if text.is_empty() {
            format!("column_{}", column_letter(first_col + i))
        } else {
            text.to_string()
        }
    });
    unique_names(raw)
}

/// Makes names unique: a repeat gets the first free `_2`, `_3`… suffix.
pub(crate) fn unique_names(names: impl IntoIterator<Item = String>) -> Vec<String> {
    let names: Vec<String> = names.into_iter().collect();
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let mut candidate = name.clone();
        let mut n = 2;
        while seen.contains(&candidate) {
            candidate = format!("{name}_{n}");
            n += 1;
        }
        seen.insert(candidate.clone());
        out.push(candidate);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Collect;

    #[test]
    fn ranges_parse_to_zero_based_bounds() {
        for (text, want) in [
            (
                "B3:F200",
                Some(Bounds {
                    first_row: 2,
                    last_row: 199,
                    first_col: 1,
                    last_col: 5,
                }),
            ),
            (
                "$A$1:$C$2",
                Some(Bounds {
                    first_row: 0,
                    last_row: 1,
                    first_col: 0,
                    last_col: 2,
                }),
            ),
            (
                "AA10",
                Some(Bounds {
                    first_row: 9,
                    last_row: 9,
                    first_col: 26,
                    last_col: 26,
                }),
            ),
            ("A0:B2", None),
            ("3B", None),
            ("", None),
        ] {
            assert_eq!(parse_range(text), want, "{text}");
        }
    }

    #[test]
    fn headers_are_trimmed_filled_and_unique() {
        let cells = [" a ", "", "a", "b", "a"].map(|s| {
            if s.is_empty() {
                Value::Empty
            } else {
                Value::Text(s.into())
            }
        });
        assert_eq!(
            make_headers(&cells, 1),
            ["a", "column_C", "a_2", "b", "a_3"]
        );
    }

    /// Feeds a grid (row-major, `None` = no cell) through both passes.
    fn run(grid: &[&[Option<&str>]], range: Option<&str>, header: Option<u32>) -> Collect {
        let cells: Vec<(u32, u32, Value)> = grid
            .iter()
            .enumerate()
            .flat_map(|(r, row)| {
                row.iter().enumerate().filter_map(move |(c, v)| {
                    v.map(|v| {
                        (
                            r as u32,
                            c as u32,
                            if v.is_empty() {
                                Value::Empty
                            } else {
                                Value::Text(v.into())
                            },
                        )
                    })
                })
            })
            .collect();
        let mut scan = Scan::new(range.and_then(parse_range), header);
        cells.iter().for_each(|(r, c, v)| scan.cell(*r, *c, v));
        let mut sink = Collect::default();
        let shape = scan.finish().expect("a table");
        let mut asm = Assembler::new(shape, TableInfo::default(), &mut sink, u64::MAX);
        for (r, c, v) in cells {
            asm.cell(r, c, v).expect("collect never fails");
        }
        asm.finish().expect("collect never fails");
        sink
    }

    #[test]
    fn header_is_first_non_empty_row_and_trailing_empties_go() {
        let t = run(
            &[
                &[],
                &[None, Some("id"), Some("name"), Some("")],
                &[None, Some("1"), Some("x")],
                &[],
                &[None, Some("2"), None, Some("")],
                &[Some(""), Some("")],
            ],
            None,
            None,
        );
        assert_eq!(t.info.header_row, 2);
        assert_eq!(t.info.first_column, 1);
        assert_eq!(t.info.headers, ["id", "name"]);
        let numbers: Vec<u64> = t.rows.iter().map(|r| r.0).collect();
        assert_eq!(numbers, [3, 4, 5]);
        assert_eq!(t.rows[1].1, [Value::Empty, Value::Empty]);
    }

    #[test]
    fn explicit_header_and_range_cut_the_table() {
        let grid: &[&[Option<&str>]] = &[
            &[Some("title")],
            &[Some("a"), Some("b"), Some("c")],
            &[Some("1"), Some("2"), Some("3")],
            &[Some("4"), Some("5"), Some("6")],
        ];
        let t = run(grid, None, Some(2));
        assert_eq!((t.info.header_row, t.rows.len()), (2, 2));
        let t = run(grid, Some("B2:C3"), None);
        assert_eq!(t.info.headers, ["b", "c"]);
        assert_eq!(t.info.first_column, 1);
        assert_eq!(
            t.rows,
            [(3, vec![Value::Text("2".into()), Value::Text("3".into())])]
        );
    }
}

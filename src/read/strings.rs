//! A workbook's shared strings table (xlsx's `sharedStrings.xml`, xls's `SST`), held in
//! one buffer: a table of a million strings costs two allocations, not a million.

#[derive(Debug, Default)]
pub(crate) struct SharedStrings {
    text: String,
    /// Where each string ends in `text`; it starts where the one before ended.
    ends: Vec<usize>,
}

impl SharedStrings {
    /// Room for `bytes` of text in `count` strings.
    pub fn with_capacity(bytes: usize, count: usize) -> Self {
        SharedStrings {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(count),
        }
    }

    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.text[start..end])
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.ends.push(self.text.len());
    }

    /// Adds the string `write` appends to the table's buffer (no copy through a
    /// string of its own); nothing is added when it fails.
    pub fn push_with<T>(&mut self, write: impl FnOnce(&mut String) -> Option<T>) -> Option<T> {
        let start = self.text.len();
        let Some(done) = write(&mut self.text) else {
            self.text.truncate(start);
            return None;
        };
        self.ends.push(self.text.len());
        Some(done)
    }
}

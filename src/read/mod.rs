//! Readers: spreadsheets (calamine), XML (quick-xml) and CSV, pushing rows into a
//! [`crate::table::TableSink`]. (Being written.)

//! The validate stage: Frictionless Table Schema validation of every converted table.
//!
//! - [`TableSchema`] reads, writes and checks schema descriptors (`schemas/table-schema.json`
//!   describes the accepted subset).
//! - [`Validator`] is a [`crate::table::TableSink`], so it checks rows in the same pass
//!   that converts them, and returns a [`Report`] of every violation.
//! - [`Inferrer`] proposes a schema for a table, for a person to review.
//!
//! Contract: pure and synchronous, no files, clocks or network; reports are written to
//! any `Write`. Data that breaks the schema is a result (a [`Violation`] in the report);
//! `Err` means the stage could not run, as with a broken schema.
//!
//! Where the spec leaves a choice, the choice is documented where it is made: lexical
//! forms in `lexical.rs` (leading zeros, `NaN`, zones), cell-to-field matching and
//! memory in `table.rs`, how unique and primary-key values are remembered exactly in
//! `keyset.rs`, inference rules in `infer.rs`, accepted keys in `schema.rs`.

mod compile;
mod infer;
mod keyset;
mod lexical;
mod report;
mod schema;
mod table;
mod typing;

pub use infer::Inferrer;
pub use report::{Report, Violation, ViolationRule};
pub use schema::{Constraints, Field, FieldType, TableSchema};
pub use table::Validator;
pub use typing::{Typed, Typing};

/// Why the validate stage could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ValidateError {
    /// The descriptor is not JSON, or has a key or value ogpipe does not accept.
    #[error("could not read table schema: {source}")]
    Parse {
        #[source]
        source: serde_json::Error,
    },
    /// The descriptor parsed but cannot be used: `detail` lists every problem.
    #[error("table schema is not usable: {detail}")]
    Schema { detail: String },
}

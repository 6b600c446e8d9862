//! ogpipe publishes a department's approved open data to a CKAN open-government portal.
//!
//! The pipeline is staged, and each stage is a module: [`plan`] picks the approved, due
//! resources; [`read`] pushes their rows into sinks; [`screen`] holds back classified,
//! personal or hidden content; [`validate`] checks tables against their schemas;
//! [`convert`] writes CSV and JSON; [`checksum`] hashes every output as it is written;
//! [`package`] assembles a verifiable folder atomically; [`publish`] syncs it to the portal;
//! [`journal`] records every run. [`run`] strings them together; [`portal`] is the
//! CKAN-compatible mock portal that ogpipe ships for tests, rehearsals and newcomers.
//!
//! The stages from read to package are synchronous and pure over `Read`/`Write`; files,
//! the network, clocks and the journal stay at the edges.

pub mod checksum;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod convert;
pub mod journal;
pub mod lock;
pub mod mapped;
pub mod offload;
mod opc;
pub mod package;
pub mod plan;
pub mod portal;
pub mod preflight;
pub mod progress;
pub mod publish;
pub mod read;
pub mod readahead;
pub mod report;
pub mod run;
pub mod schedule;
pub mod screen;
pub mod table;
pub mod telemetry;
pub mod validate;
pub mod vocab;

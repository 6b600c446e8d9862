//! One integration binary: each module drives the real `ogpipe` binary.

mod support;

mod cli;
mod config;
mod golden;
mod hostile;
mod ops;
mod package;
mod plan;
mod publish;
mod run;
mod screen;

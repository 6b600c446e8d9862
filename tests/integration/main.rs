//! One integration binary: each module drives the real `ogpipe` binary.

mod support;

mod cli;
mod config;
mod golden;
mod plan;
mod run;
mod screen;

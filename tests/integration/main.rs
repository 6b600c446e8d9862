//! One integration binary: each module drives the real `ogpipe` binary.

mod support;

mod browser;
mod cli;
mod config;
mod corpus;
mod golden;
mod hostile;
mod ops;
mod package;
mod plan;
mod publish;
mod real_ckan;
mod reports;
mod run;
mod screen;
mod validators;

//! Engine integration tests: one binary, themed modules, a small harness.

mod harness;

mod day2;
mod heal_launch;
mod hooks;
mod import_export;
mod model;
mod operations;
mod properties;
mod recovery;
mod topology;

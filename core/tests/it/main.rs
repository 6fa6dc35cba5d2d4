//! Engine integration tests: one binary, themed modules, a small harness.

mod harness;

mod answers;
mod client_inputs;
mod clone;
mod crash_nodes;
mod day2;
mod heal_launch;
mod hooks;
mod import_export;
mod model;
mod operations;
mod properties;
mod read_forms;
mod reconcile;
mod recovery;
mod self_contained;
mod storage_faults;
mod storage_network;
mod topology;

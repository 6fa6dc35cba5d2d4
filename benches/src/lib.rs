//! Benchmarks: the in-process criterion benchmarks live in `benches/benches/`; the REST
//! load generator `brickyard-load` (`src/bin/brickyard-load.rs`, built on [`load`]) drives
//! a running `brickyard serve` the way Heketi's clients do (`make bench-scale`).

pub mod load;

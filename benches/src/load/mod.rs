//! The REST load generator: Heketi's protocol (JWT with `qsh`, `202` + `/queue/{id}`
//! polling, `303` to the result) from N concurrent clients, each on its own keep-alive
//! connection.
//!
//! - [`client`]: one client connection (hyper's HTTP/1.1 client) and its tokens.
//! - [`ops`]: the operations as Heketi's clients run them (create, delete, node and
//!   device add), counting the queue polls.
//! - [`fake`]: a server that answers the protocol instantly, to prove that the load
//!   generator is not the bottleneck (`brickyard-load fake`).
//! - [`scale`]: the 100k-volume scenario of `make bench-scale` against a real
//!   `brickyard serve` it starts (mock executor, temporary database).
//! - [`procfs`], [`stats`]: server CPU and RSS from `/proc`, latency percentiles.

pub mod client;
pub mod fake;
pub mod ops;
pub mod procfs;
pub mod scale;
pub mod stats;

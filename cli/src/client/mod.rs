//! A blocking client for Heketi's REST API that behaves like Heketi's Go client
//! (`heketi/heketi:client/api/go-client`): a fresh HS256 token per request, the
//! asynchronous 202 → `/queue/{id}` protocol with 400 ms polling, 303 answers
//! followed with a re-signed GET, and bounded retries on 429.
//!
//! [`Client`] is the entry point; every API call heketi-cli makes is a typed method
//! on it (see `calls.rs`), taking and returning [`brickyard::api`] types.

mod calls;
mod error;
mod plan;
mod token;
mod transport;

pub use error::ClientError;
pub use plan::{PlannedBrick, VolumePlan};
pub use token::{Claims, TOKEN_LIFETIME_SECS, qsh, sign};
pub use transport::{Client, ClientConfig, RetryPolicy, TlsOptions};

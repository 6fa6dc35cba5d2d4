//! Test harness for the ssh executor on real machinery.
//!
//! - [`Scratch`]: a root-owned 0700 work directory outside `/tmp` (sshd's `StrictModes`
//!   refuses keys under world-writable parents), removed on drop.
//! - [`Sshd`]: a private OpenSSH server on 127.0.0.1 with its own host key, client keys and
//!   log, stopped by PID on drop.
//! - [`HookTransport`]: runs a test's action (kill a node's sshd, …) right before a chosen
//!   command, to put a fault at a precise point of an operation.
//! - [`Bed`]: the storage-node bed of `tests/realnodes/bed.sh` (User-Mode-Linux guests with
//!   sshd, glusterd and LVM thin on a private bridge), torn down on drop.
//! - [`bed_topology`], [`replica3`]: what the tests and the benchmark provision on it.
//! - [`FuseMount`]: a volume mounted on the host, random files written with checksums.
//! - [`NodeShell::heal_info`], [`NodeShell::wait_healed`], [`NodeShell::pvs`],
//!   [`NodeShell::lvs`]: a node read as an operator would, independent of the executor.
//! - [`TimedTransport`]: records every command's duration ([`replacement_phases`] sums
//!   a brick replacement's by phase).

pub mod bed;
mod fuse;
mod heal;
mod hook;
mod scratch;
mod shell;
mod sshd;
mod timed;
mod workload;

pub use bed::{Bed, NodeShell};
pub use fuse::{Checksums, DATA_DIR, FuseMount, parse_sha256sum};
pub use heal::{BrickHealState, BrickOnNode, heal_complete, parse_heal_info};
pub use hook::{HookHandle, HookTransport};
pub use scratch::Scratch;
pub use shell::{HarnessError, sh};
pub use sshd::Sshd;
pub use timed::{TimedCommand, TimedTransport, TimingHandle, replacement_phases};
pub use workload::{BED_DEVICES, bed_topology, replica3};

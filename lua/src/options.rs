//! Limits and failure policy of the Lua hook host.

use std::time::Duration;

/// How hooks are limited, and what a failing hook does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LuaHookOptions {
    /// Bytes the Lua state may allocate in all (0: no limit). Default 16 MiB.
    pub memory_limit: usize,
    /// VM instructions one handler invocation may run (checked every 1,000).
    /// Default 1,000,000.
    pub instruction_budget: u64,
    /// Wall-clock limit of one engine call into the hooks: every handler it runs, over
    /// every candidate device for placement. Default 2 s.
    pub deadline: Duration,
    /// When true, a handler that errors or runs out of budget is skipped and logged;
    /// when false (the default) it fails the operation.
    pub fail_open: bool,
}

impl Default for LuaHookOptions {
    fn default() -> Self {
        LuaHookOptions {
            memory_limit: 16 * 1024 * 1024,
            instruction_budget: 1_000_000,
            deadline: Duration::from_secs(2),
            fail_open: false,
        }
    }
}

//! [`FaultTransport`]: wraps any transport and makes chosen commands fail.
//!
//! A test keeps a [`FaultHandle`] (cheap to clone) and re-arms it while the engine holds
//! the executor. Injected commands do not reach the inner transport.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;

use super::{CommandOutput, ExecError, ExecErrorKind, Transport};

/// What an injected failure looks like.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The command ran and failed with this exit status and stderr.
    Exit {
        /// Exit status (non-zero).
        status: i32,
        /// Standard error.
        stderr: String,
    },
    /// The command did not finish in time ([`ExecErrorKind::Timeout`]).
    Timeout,
    /// The host could not be reached ([`ExecErrorKind::Unreachable`]).
    Unreachable,
    /// The command never returns: with a test dropping the operation meanwhile, the
    /// process "dies" between the commands before and this one (crash tests).
    Hang,
}

impl Fault {
    /// Exit status 1 with stderr `injected failure`.
    pub fn failed() -> Fault {
        Fault::Exit {
            status: 1,
            stderr: "injected failure".to_string(),
        }
    }

    fn apply(
        &self,
        host: &str,
        command: &str,
        timeout: Duration,
    ) -> Result<CommandOutput, ExecError> {
        match self {
            Fault::Exit { status, stderr } => Ok(CommandOutput::failed(*status, stderr.clone())),
            Fault::Timeout => Err(ExecError::new(
                ExecErrorKind::Timeout,
                host,
                command,
                None,
                format!("no answer after {} s", timeout.as_secs()),
            )),
            Fault::Unreachable => Err(unreachable(host, command)),
            Fault::Hang => unreachable!("a hanging command never answers"),
        }
    }
}

fn unreachable(host: &str, command: &str) -> ExecError {
    ExecError::new(
        ExecErrorKind::Unreachable,
        host,
        command,
        None,
        format!("ssh: connect to host {host} port 22: No route to host"),
    )
}

type Predicate = Arc<dyn Fn(&str, &str) -> bool + Send + Sync>;

enum Trigger {
    /// Fires when the command counter reaches this value.
    At(u64),
    Matching {
        predicate: Predicate,
        once: bool,
    },
}

struct Rule {
    trigger: Trigger,
    fault: Fault,
}

#[derive(Default)]
struct State {
    seen: u64,
    rules: Vec<Rule>,
    unreachable: BTreeSet<String>,
    injected: Vec<(String, String)>,
}

/// Arms and disarms faults of a [`FaultTransport`]. Clones share the same state.
#[derive(Clone, Default)]
pub struct FaultHandle {
    state: Arc<Mutex<State>>,
}

impl FaultHandle {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Fail the `n`-th command (1 = the next one) counted from now, once.
    pub fn fail_nth(&self, n: u64, fault: Fault) {
        let mut s = self.lock();
        let at = s.seen + n.max(1);
        s.rules.push(Rule {
            trigger: Trigger::At(at),
            fault,
        });
    }

    /// Fail commands for which `predicate(host, command)` holds: only the first match when
    /// `once`, else every match until [`clear`](Self::clear).
    pub fn fail_matching(
        &self,
        predicate: impl Fn(&str, &str) -> bool + Send + Sync + 'static,
        fault: Fault,
        once: bool,
    ) {
        self.lock().rules.push(Rule {
            trigger: Trigger::Matching {
                predicate: Arc::new(predicate),
                once,
            },
            fault,
        });
    }

    /// Make `host` unreachable (or reachable again).
    pub fn set_unreachable(&self, host: &str, unreachable: bool) {
        let mut s = self.lock();
        if unreachable {
            s.unreachable.insert(host.to_string());
        } else {
            s.unreachable.remove(host);
        }
    }

    /// Disarm every rule and make every host reachable.
    pub fn clear(&self) {
        let mut s = self.lock();
        s.rules.clear();
        s.unreachable.clear();
    }

    /// Commands seen since the transport was made (injected or passed through).
    pub fn commands_seen(&self) -> u64 {
        self.lock().seen
    }

    /// `(host, command)` of every command that was failed on purpose.
    pub fn injected(&self) -> Vec<(String, String)> {
        self.lock().injected.clone()
    }

    /// The fault for this command, if any; counts it and consumes one-shot rules.
    fn check(&self, host: &str, command: &str) -> Option<Fault> {
        let mut s = self.lock();
        s.seen += 1;
        let seen = s.seen;
        let fault = if s.unreachable.contains(host) {
            Some(Fault::Unreachable)
        } else {
            let hit = s.rules.iter().position(|r| match &r.trigger {
                Trigger::At(at) => *at == seen,
                Trigger::Matching { predicate, .. } => predicate(host, command),
            });
            hit.map(|i| {
                let keep = matches!(s.rules[i].trigger, Trigger::Matching { once: false, .. });
                if keep {
                    s.rules[i].fault.clone()
                } else {
                    s.rules.remove(i).fault
                }
            })
        };
        if fault.is_some() {
            s.injected.push((host.to_string(), command.to_string()));
        }
        fault
    }
}

/// A transport that fails chosen commands and passes the rest to `T`.
#[derive(Clone)]
pub struct FaultTransport<T> {
    inner: T,
    handle: FaultHandle,
}

impl<T: Transport> FaultTransport<T> {
    /// Wrap `inner` with no fault armed.
    pub fn new(inner: T) -> FaultTransport<T> {
        FaultTransport {
            inner,
            handle: FaultHandle::default(),
        }
    }

    /// The handle that arms faults.
    pub fn handle(&self) -> FaultHandle {
        self.handle.clone()
    }

    /// The wrapped transport.
    pub fn inner(&self) -> &T {
        &self.inner
    }
}

#[async_trait]
impl<T: Transport> Transport for FaultTransport<T> {
    async fn run(
        &self,
        host: &str,
        command: &str,
        timeout: Duration,
    ) -> Result<CommandOutput, ExecError> {
        if let Some(f) = self.handle.check(host, command) {
            tracing::debug!(host, command, ?f, "injected fault");
            if f == Fault::Hang {
                return std::future::pending().await;
            }
            return f.apply(host, command, timeout);
        }
        self.inner.run(host, command, timeout).await
    }

    fn note_host(&self, host: &super::Host) {
        self.inner.note_host(host);
    }
}

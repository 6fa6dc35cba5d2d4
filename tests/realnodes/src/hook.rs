//! [`HookTransport`]: runs a test's action right before a chosen command goes to the node,
//! so a fault (an sshd killed, a node cut off) happens at a precise point of an operation.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use brickyard::executor::{CommandOutput, ExecError, Transport};

type Predicate = Box<dyn Fn(&str, &str) -> bool + Send + Sync>;
type Action = Box<dyn FnOnce() + Send>;

struct Rule {
    predicate: Predicate,
    action: Action,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    fired: Vec<(String, String)>,
}

/// Arms the actions of a [`HookTransport`]. Clones share the same state.
#[derive(Clone, Default)]
pub struct HookHandle {
    state: Arc<Mutex<State>>,
}

impl HookHandle {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Before the first command for which `predicate(host, command)` holds, run `action`
    /// (a blocking function: it runs on tokio's blocking pool and the command waits for
    /// it), then send the command as usual. Fires once.
    pub fn before_first(
        &self,
        predicate: impl Fn(&str, &str) -> bool + Send + Sync + 'static,
        action: impl FnOnce() + Send + 'static,
    ) {
        self.lock().rules.push(Rule {
            predicate: Box::new(predicate),
            action: Box::new(action),
        });
    }

    /// `(host, command)` of every command an action ran before.
    pub fn fired(&self) -> Vec<(String, String)> {
        self.lock().fired.clone()
    }

    /// Drops the actions that have not fired.
    pub fn clear(&self) {
        self.lock().rules.clear();
    }

    fn take(&self, host: &str, command: &str) -> Option<Action> {
        let mut s = self.lock();
        let i = s.rules.iter().position(|r| (r.predicate)(host, command))?;
        let rule = s.rules.remove(i);
        s.fired.push((host.to_string(), command.to_string()));
        Some(rule.action)
    }
}

/// A transport that runs armed actions before matching commands and passes every command
/// on to `T`.
pub struct HookTransport<T> {
    inner: T,
    handle: HookHandle,
}

impl<T: Transport> HookTransport<T> {
    /// Wraps `inner` with nothing armed.
    pub fn new(inner: T) -> HookTransport<T> {
        HookTransport {
            inner,
            handle: HookHandle::default(),
        }
    }

    /// The handle that arms actions.
    pub fn handle(&self) -> HookHandle {
        self.handle.clone()
    }

    /// The wrapped transport.
    pub fn inner(&self) -> &T {
        &self.inner
    }
}

#[async_trait::async_trait]
impl<T: Transport> Transport for HookTransport<T> {
    async fn run(
        &self,
        host: &str,
        command: &str,
        timeout: Duration,
    ) -> Result<CommandOutput, ExecError> {
        if let Some(action) = self.handle.take(host, command) {
            eprintln!("hook: before `{command}` on {host}");
            if let Err(e) = tokio::task::spawn_blocking(action).await {
                // The action panicked: let the test see it as a panic, not as a fault.
                std::panic::resume_unwind(e.into_panic());
            }
        }
        self.inner.run(host, command, timeout).await
    }

    fn note_host(&self, host: &brickyard::executor::Host) {
        self.inner.note_host(host);
    }
}

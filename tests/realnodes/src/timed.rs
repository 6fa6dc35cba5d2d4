//! [`TimedTransport`]: records how long every command took, so a test can say where the
//! time of an operation went (which commands bound it).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use brickyard::executor::{CommandOutput, ExecError, Transport};

/// One command as it ran.
#[derive(Clone, Debug)]
pub struct TimedCommand {
    pub host: String,
    pub command: String,
    /// When it was sent.
    pub start: Instant,
    pub took: Duration,
}

/// Reads what a [`TimedTransport`] recorded. Clones share the same record.
#[derive(Clone, Default)]
pub struct TimingHandle {
    log: Arc<Mutex<Vec<TimedCommand>>>,
}

impl TimingHandle {
    fn lock(&self) -> MutexGuard<'_, Vec<TimedCommand>> {
        self.log.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The commands recorded since the last call, in the order they were sent.
    pub fn take(&self) -> Vec<TimedCommand> {
        let mut v = std::mem::take(&mut *self.lock());
        v.sort_by_key(|c| c.start);
        v
    }
}

/// Passes every command on to `T` and records its duration.
pub struct TimedTransport<T> {
    inner: T,
    handle: TimingHandle,
}

impl<T: Transport> TimedTransport<T> {
    pub fn new(inner: T) -> TimedTransport<T> {
        TimedTransport {
            inner,
            handle: TimingHandle::default(),
        }
    }

    /// The handle that reads the record.
    pub fn handle(&self) -> TimingHandle {
        self.handle.clone()
    }

    /// The wrapped transport.
    pub fn inner(&self) -> &T {
        &self.inner
    }
}

#[async_trait::async_trait]
impl<T: Transport> Transport for TimedTransport<T> {
    async fn run(
        &self,
        host: &str,
        command: &str,
        timeout: Duration,
    ) -> Result<CommandOutput, ExecError> {
        let start = Instant::now();
        let out = self.inner.run(host, command, timeout).await;
        self.handle.lock().push(TimedCommand {
            host: host.to_string(),
            command: command.to_string(),
            start,
            took: start.elapsed(),
        });
        out
    }
}

/// Where a brick replacement's time went: seconds per phase (`new brick`, `replace-brick`,
/// `heal info`, `heal launch`, `old brick`, `other`), with command counts. `new` and
/// `old` are the brick ids (their LV names carry them).
pub fn replacement_phases(commands: &[TimedCommand], old: &str, new: &str) -> String {
    let mut phases: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
    for c in commands {
        let phase = if c.command.contains("volume replace-brick") {
            "replace-brick"
        } else if c.command.contains("volume heal") && c.command.contains(" info") {
            "heal info"
        } else if c.command.contains("volume heal") {
            "heal launch"
        } else if c.command.contains(new) {
            "new brick"
        } else if c.command.contains(old) {
            "old brick"
        } else {
            "other"
        };
        let e = phases.entry(phase).or_default();
        e.0 += c.took.as_secs_f64();
        e.1 += 1;
    }
    phases
        .iter()
        .map(|(p, (s, n))| format!("{p} {s:.1} s/{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_are_told_by_command_and_brick_id() {
        let t0 = Instant::now();
        let c = |command: &str, secs: u64| TimedCommand {
            host: "n1".into(),
            command: command.into(),
            start: t0,
            took: Duration::from_secs(secs),
        };
        let cmds = [
            c("lvm lvcreate ... --thin vg_d/tp_NEW --name brick_NEW", 3),
            c(
                "mkfs.xfs -i size=512 -n size=8192 /dev/mapper/vg_d-brick_NEW",
                2,
            ),
            c(
                "gluster --mode=script volume replace-brick v a b commit force",
                8,
            ),
            c("gluster --mode=script volume heal v info --xml", 1),
            c("gluster --mode=script volume heal v info --xml", 1),
            c("gluster --mode=script volume heal v full", 1),
            c("umount /var/lib/heketi/mounts/vg_d/brick_OLD", 2),
            c("pidof glusterd", 1),
        ];
        assert_eq!(
            replacement_phases(&cmds, "OLD", "NEW"),
            "heal info 2.0 s/2, heal launch 1.0 s/1, new brick 5.0 s/2, old brick 2.0 s/1, other 1.0 s/1, replace-brick 8.0 s/1"
        );
    }
}

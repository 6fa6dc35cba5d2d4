//! How a command line is handed to the remote shell.

/// `'…'` with every `'` written as `'"'"'` (Heketi's quoting, so any text survives).
pub fn single_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r#"'"'"'"#))
}

/// The command line sent over ssh: `/bin/bash -c '<command>'` (Heketi's wrapping) under
/// `timeout -s KILL <limit>`, prefixed by `sudo -n` when `sudo` is set (non-interactive:
/// sudo fails instead of prompting).
///
/// The remote `timeout` is the backstop of the client's own timeout: OpenSSH refuses the
/// ssh `signal` request for sessions without privilege separation (every root login), so
/// killing through the channel alone would leave the command running on the node.
/// `limit_secs` is the client timeout rounded up plus one second.
pub fn wrap_command(command: &str, sudo: bool, limit_secs: u64) -> String {
    let inner = format!(
        "timeout -s KILL {limit_secs} /bin/bash -c {}",
        single_quote(command)
    );
    if sudo {
        format!("sudo -n {inner}")
    } else {
        inner
    }
}

/// Does `stderr` show that `sudo -n` refused to run without a password or a tty?
pub fn sudo_refused(stderr: &str) -> bool {
    stderr.contains("sudo: a password is required")
        || stderr.contains("sudo: a terminal is required")
        || stderr.contains("sudo: sorry, you must have a tty")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_single_quotes() {
        assert_eq!(single_quote("a b"), "'a b'");
        assert_eq!(single_quote("it's"), r#"'it'"'"'s'"#);
    }

    #[test]
    fn wraps_like_heketi() {
        assert_eq!(
            wrap_command("echo 'x' >> /etc/fstab", false, 61),
            r#"timeout -s KILL 61 /bin/bash -c 'echo '"'"'x'"'"' >> /etc/fstab'"#
        );
        assert_eq!(
            wrap_command("id", true, 2),
            "sudo -n timeout -s KILL 2 /bin/bash -c 'id'"
        );
    }

    #[test]
    fn recognises_sudo_refusals() {
        assert!(sudo_refused("sudo: a password is required\n"));
        assert!(sudo_refused(
            "sudo: a terminal is required to read the password"
        ));
        assert!(!sudo_refused("lvcreate: not found"));
    }
}

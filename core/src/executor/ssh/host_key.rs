//! Host key verification against a known_hosts file.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use russh::client;
use russh::keys::{HashAlg, PublicKey, PublicKeyOrCertificate};

/// The russh client handler of one connection: it checks the server's host key.
///
/// When it refuses a key it leaves the reason in `rejection`, so the connect error can say
/// which host, which key and what to do, instead of russh's bare "unknown key".
pub(crate) struct HostKeyCheck {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) known_hosts: PathBuf,
    pub(crate) strict: bool,
    pub(crate) rejection: Arc<Mutex<Option<String>>>,
}

/// `ssh-ed25519 SHA256:…`: how OpenSSH shows a key to an operator.
pub(crate) fn describe_key(key: &PublicKey) -> String {
    format!("{} {}", key.algorithm(), key.fingerprint(HashAlg::Sha256))
}

impl HostKeyCheck {
    fn reject(&self, reason: String) -> bool {
        tracing::warn!(host = %self.host, port = self.port, "{reason}");
        if let Ok(mut slot) = self.rejection.lock() {
            *slot = Some(reason);
        }
        false
    }

    fn verdict(&self, key: &PublicKey) -> bool {
        let shown = describe_key(key);
        if !self.strict {
            tracing::info!(host = %self.host, key = %shown, "host key accepted without checking (strict_host_key_checking off)");
            return true;
        }
        let file = self.known_hosts.display();
        match russh::keys::check_known_hosts_path(&self.host, self.port, key, &self.known_hosts) {
            Ok(true) => true,
            Ok(false) => self.reject(format!(
                "host key of {}:{} is unknown: {shown} is not in {file} \
                 (add it, e.g. `ssh-keyscan -p {} {} >> {file}`, after checking the fingerprint)",
                self.host, self.port, self.port, self.host
            )),
            Err(russh::keys::Error::KeyChanged { line }) => self.reject(format!(
                "HOST KEY CHANGED for {}:{}: it now presents {shown}, which differs from the key \
                 recorded in {file} (entry #{line}); someone may be intercepting the connection, \
                 or the node was reinstalled",
                self.host, self.port
            )),
            Err(e) => self.reject(format!(
                "cannot verify the host key of {}:{} ({shown}) against {file}: {e}",
                self.host, self.port
            )),
        }
    }
}

impl client::Handler for HostKeyCheck {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_public_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let key = match server_public_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.clone(),
            PublicKeyOrCertificate::Certificate(cert) => PublicKey::from(cert.public_key().clone()),
        };
        Ok(self.verdict(&key))
    }
}

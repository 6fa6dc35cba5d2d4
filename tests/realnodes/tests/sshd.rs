//! The ssh transport against a real OpenSSH server on 127.0.0.1 (needs root and
//! openssh-server: `make test-ssh`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use brickyard::executor::{
    CommandConfig, ExecErrorKind, Executor, Host, SshConfig, SshExecutor, SshTransport, Transport,
};
use brickyard_realnodes::{Sshd, sh};

const T: Duration = Duration::from_secs(20);

fn config(sshd: &Sshd, key: &str) -> SshConfig {
    let dir = sshd.dir();
    let known = dir.join("known_hosts");
    if let Ok(line) = sshd.known_hosts_line() {
        std::fs::write(&known, line).expect("write known_hosts");
    }
    let mut c = SshConfig::new(dir.join(key));
    c.user = "root".to_string();
    c.known_hosts = Some(known);
    c.connect_timeout = Duration::from_secs(10);
    c
}

fn start() -> Sshd {
    match Sshd::start() {
        Ok(s) => s,
        Err(e) => panic!("cannot start the test sshd: {e}"),
    }
}

#[tokio::test]
async fn exit_status_stdout_and_stderr_come_back_separately() {
    let sshd = start();
    let t = SshTransport::new(config(&sshd, "client_ed25519")).expect("transport");
    let out = t
        .run(&sshd.host(), "id -u; echo hi >&2; exit 3", T)
        .await
        .expect("ran");
    assert_eq!(out.exit_status, 3);
    assert_eq!(out.stdout, "0\n");
    assert_eq!(out.stderr, "hi\n");
    // Quoting survives the /bin/bash -c '…' wrapping.
    let out = t
        .run(&sshd.host(), r#"printf '%s|%s' "it's" '$HOME'"#, T)
        .await
        .expect("ran");
    assert_eq!(out.stdout, "it's|$HOME");
}

#[tokio::test]
async fn rsa_keys_authenticate_too() {
    let sshd = start();
    let t = SshTransport::new(config(&sshd, "client_rsa")).expect("transport");
    let out = t.run(&sshd.host(), "echo rsa", T).await.expect("ran");
    assert_eq!(out.stdout, "rsa\n");
}

#[tokio::test]
async fn a_key_the_node_does_not_accept_is_unreachable_naming_host_and_user() {
    let sshd = start();
    let t = SshTransport::new(config(&sshd, "stranger_ed25519")).expect("transport");
    let err = t.run(&sshd.host(), "true", T).await.expect_err("refused");
    assert_eq!(err.kind, ExecErrorKind::Unreachable);
    let msg = err.to_string();
    assert!(msg.contains(&format!("127.0.0.1:{}", sshd.port())), "{msg}");
    assert!(msg.contains("as root"), "{msg}");
}

#[tokio::test]
async fn unknown_host_key_is_refused_with_its_fingerprint() {
    let sshd = start();
    let mut c = config(&sshd, "client_ed25519");
    let empty = sshd.dir().join("empty_known_hosts");
    std::fs::write(&empty, "").expect("write");
    c.known_hosts = Some(empty);
    let t = SshTransport::new(c.clone()).expect("transport");
    let err = t.run(&sshd.host(), "true", T).await.expect_err("refused");
    assert_eq!(err.kind, ExecErrorKind::Unreachable);
    let msg = err.to_string();
    let fp = sshd.host_fingerprint().expect("fingerprint");
    assert!(msg.contains("unknown"), "{msg}");
    assert!(msg.contains(&fp), "{msg} lacks {fp}");
    assert!(msg.contains("127.0.0.1"), "{msg}");

    // The explicit opt-out accepts it.
    c.strict_host_key_checking = false;
    let t = SshTransport::new(c).expect("transport");
    let out = t.run(&sshd.host(), "echo ok", T).await.expect("ran");
    assert_eq!(out.stdout, "ok\n");
}

#[tokio::test]
async fn changed_host_key_is_refused_loudly() {
    let sshd = start();
    let mut c = config(&sshd, "client_ed25519");
    let other = std::fs::read_to_string(sshd.dir().join("stranger_ed25519.pub")).expect("key");
    let mut f = other.split_whitespace();
    let (kind, b64) = (f.next().expect("kind"), f.next().expect("b64"));
    let wrong = sshd.dir().join("wrong_known_hosts");
    std::fs::write(
        &wrong,
        format!("[127.0.0.1]:{} {kind} {b64}\n", sshd.port()),
    )
    .expect("write");
    c.known_hosts = Some(wrong);
    let t = SshTransport::new(c).expect("transport");
    let err = t.run(&sshd.host(), "true", T).await.expect_err("refused");
    assert_eq!(err.kind, ExecErrorKind::Unreachable);
    let msg = err.to_string();
    assert!(msg.contains("HOST KEY CHANGED"), "{msg}");
    assert!(msg.contains(&sshd.host_fingerprint().expect("fp")), "{msg}");
}

#[tokio::test]
async fn connection_refused_is_unreachable() {
    let sshd = start();
    let t = SshTransport::new(config(&sshd, "client_ed25519")).expect("transport");
    let port = sshd.port();
    drop(sshd);
    let err = t
        .run(&format!("127.0.0.1:{port}"), "true", T)
        .await
        .expect_err("nobody listens");
    assert_eq!(err.kind, ExecErrorKind::Unreachable);
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}

#[tokio::test]
async fn a_command_outliving_its_timeout_is_killed() {
    let sshd = start();
    let t = SshTransport::new(config(&sshd, "client_ed25519")).expect("transport");
    let started = Instant::now();
    let err = t
        .run(&sshd.host(), "sleep 41.37", Duration::from_secs(1))
        .await
        .expect_err("timed out");
    assert_eq!(err.kind, ExecErrorKind::Timeout);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(err.to_string().contains("sleep 41.37"), "{err}");
    // The remote process is gone (SIGKILL through the channel).
    let mut gone = false;
    for _ in 0..40 {
        if sh("pgrep -f 'sleep 41.37'").is_err() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        gone,
        "remote sleep still running; sshd log:\n{}",
        sshd.log()
    );
    // The connection is still usable afterwards.
    let out = t.run(&sshd.host(), "echo after", T).await.expect("ran");
    assert_eq!(out.stdout, "after\n");
    assert_eq!(t.connections_opened(), 1);
}

#[tokio::test]
async fn one_connection_serves_many_sequential_and_concurrent_commands() {
    let sshd = start();
    let t = Arc::new(SshTransport::new(config(&sshd, "client_ed25519")).expect("transport"));
    for i in 0..10 {
        let out = t
            .run(&sshd.host(), &format!("echo {i}"), T)
            .await
            .expect("ran");
        assert_eq!(out.stdout, format!("{i}\n"));
    }
    let mut tasks = Vec::new();
    for i in 0..16 {
        let t = t.clone();
        let host = sshd.host();
        tasks.push(tokio::spawn(async move {
            t.run(&host, &format!("sleep 0.2; echo {i}"), T).await
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        let out = task.await.expect("join").expect("ran");
        assert_eq!(out.stdout, format!("{i}\n"));
    }
    assert_eq!(t.connections_opened(), 1);
    assert_eq!(sshd.accepted(), 1, "sshd log:\n{}", sshd.log());
    assert_eq!(sshd.established().expect("ss"), 1);
}

#[tokio::test]
async fn without_reuse_every_command_dials_anew() {
    let sshd = start();
    let mut c = config(&sshd, "client_ed25519");
    c.reuse_connections = false;
    let t = SshTransport::new(c).expect("transport");
    for _ in 0..4 {
        t.run(&sshd.host(), "true", T).await.expect("ran");
    }
    assert_eq!(t.connections_opened(), 4);
    assert_eq!(sshd.accepted(), 4, "sshd log:\n{}", sshd.log());
}

#[tokio::test]
async fn a_dropped_connection_is_reopened() {
    let sshd = start();
    let t = SshTransport::new(config(&sshd, "client_ed25519")).expect("transport");
    t.run(&sshd.host(), "true", T).await.expect("ran");
    sshd.drop_connections().expect("kill");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let out = t
        .run(&sshd.host(), "echo again", T)
        .await
        .expect("reconnected");
    assert_eq!(out.stdout, "again\n");
    assert_eq!(t.connections_opened(), 2);
    assert_eq!(sshd.accepted(), 2);
}

#[tokio::test]
async fn a_connection_lost_mid_command_is_reported_not_retried() {
    let sshd = start();
    let t = Arc::new(SshTransport::new(config(&sshd, "client_ed25519")).expect("transport"));
    t.run(&sshd.host(), "true", T).await.expect("ran");
    let running = {
        let t = t.clone();
        let host = sshd.host();
        tokio::spawn(async move { t.run(&host, "sleep 5; echo done", T).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    sshd.drop_connections().expect("kill");
    let err = running.await.expect("join").expect_err("lost");
    assert_eq!(err.kind, ExecErrorKind::Unreachable);
    assert!(err.to_string().contains("may or may not"), "{err}");
    let out = t
        .run(&sshd.host(), "echo next", T)
        .await
        .expect("reconnected");
    assert_eq!(out.stdout, "next\n");
}

#[tokio::test]
async fn concurrent_commands_per_node_are_bounded() {
    let sshd = start();
    let mut c = config(&sshd, "client_ed25519");
    c.max_concurrent_commands = 3;
    let t = Arc::new(SshTransport::new(c).expect("transport"));
    let running = sshd.dir().join("running");
    std::fs::create_dir(&running).expect("mkdir");
    let cmd = format!(
        "touch {0}/$$; ls {0} | wc -l; sleep 0.4; rm {0}/$$",
        running.display()
    );
    let mut tasks = Vec::new();
    for _ in 0..9 {
        let t = t.clone();
        let host = sshd.host();
        let cmd = cmd.clone();
        tasks.push(tokio::spawn(async move { t.run(&host, &cmd, T).await }));
    }
    let mut peak = 0;
    for task in tasks {
        let out = task.await.expect("join").expect("ran");
        let n: usize = out.stdout.trim().parse().expect("count");
        peak = peak.max(n);
    }
    assert!(peak <= 3, "{peak} commands ran at once");
    assert!(peak >= 2, "commands did not overlap at all");
}

#[tokio::test]
async fn the_ssh_executor_runs_heketi_commands() {
    let sshd = start();
    let exec: SshExecutor =
        SshExecutor::ssh(config(&sshd, "client_ed25519"), CommandConfig::default()).expect("exec");
    // No glusterd here: the check must fail with the node, the command and its status.
    let host = Host::new(sshd.host(), "127.0.0.1");
    let err = exec.glusterd_check(&host).await.expect_err("no glusterd");
    assert_eq!(err.kind, ExecErrorKind::Failed);
    assert_eq!(err.host, sshd.host());
    assert!(err.exit_status.is_some_and(|s| s != 0), "{err}");
}

use std::collections::HashMap;

use super::*;

fn no_env(_: &str) -> Option<String> {
    None
}

fn parse(text: &str) -> Result<ServerConfig, ConfigError> {
    ServerConfig::from_str(text, "heketi.json", &no_env)
}

fn located(text: &str) -> Located {
    match parse(text) {
        Err(ConfigError::At(l)) => l,
        other => panic!("expected a located error, got {other:?}"),
    }
}

/// The shape of Heketi's sample `etc/heketi.json` (with its missing commas fixed).
const SAMPLE: &str = r#"{
  "_port_comment": "Heketi Server Port Number",
  "port": "8080",

  "_use_auth": "Enable JWT authorization. Please enable for deployment",
  "use_auth": false,

  "_jwt": "Private keys for access",
  "jwt": {
    "_admin": "Admin has access to all APIs",
    "admin": { "key": "My Secret" },
    "_user": "User only has access to /volumes endpoint",
    "user": { "key": "My Secret" }
  },

  "backup_db_to_kube_secret": false,

  "glusterfs": {
    "_executor_comment": [
      "Execute plugin. Possible choices: mock, ssh",
      "mock: This setting is used for testing and development."
    ],
    "executor": "mock",
    "sshexec": {
      "keyfile": "path/to/private_key",
      "user": "sshuser",
      "port": "Optional: ssh port.  Default is 22",
      "fstab": "Optional: Specify fstab file on node.  Default is /etc/fstab"
    },
    "kubeexec": {
      "host" :"https://kubernetes.host:8443",
      "insecure": false,
      "namespace": "OpenShift project or Kubernetes namespace"
    },
    "db": "/var/lib/heketi/heketi.db",
    "_loglevel_comment": ["Set log level. Choices are:", "none, critical, error, warning, info, debug"],
    "loglevel" : "debug",
    "auto_create_block_hosting_volume": true,
    "block_hosting_volume_size": 500,
    "mountopts": "rw,inode64,noatime,nouuid"
  }
}
"#;

#[test]
fn heketi_sample_parses_with_defaults_applied() {
    let c = parse(SAMPLE).expect("sample parses");
    assert_eq!(c.port, 8080);
    assert!(!c.use_auth);
    assert_eq!(c.admin_key, "My Secret");
    assert_eq!(c.user_key, "My Secret");
    assert_eq!(c.default_state, AdminMode::Normal);
    let g = &c.glusterfs;
    assert_eq!(g.executor, ExecutorKind::Mock);
    assert_eq!(g.db, "/var/lib/heketi/heketi.db");
    assert_eq!(g.loglevel, LogLevel::Debug);
    assert!(g.auto_create_block_hosting_volume);
    assert_eq!(g.block_hosting_volume_size, 500);
    assert_eq!(g.block_hosting_volume_options, "group gluster-block");
    assert_eq!(g.max_inflight_operations, 8);
    assert_eq!(g.brick_max_size_gb, 4096);
    assert_eq!(g.brick_min_size_gb, 1);
    assert_eq!(g.max_bricks_per_volume, 32);
    assert_eq!(g.max_volumes_per_cluster, Some(1000));
    assert_eq!(g.zone_checking, ZoneChecking::None);
    assert_eq!(g.sshexec.user, "sshuser");
    assert_eq!(
        g.sshexec.fstab,
        "Optional: Specify fstab file on node.  Default is /etc/fstab"
    );
    assert_eq!(g.sshexec.mountopts, "rw,inode64,noatime,nouuid");
    assert!(g.sshexec.strict_host_key_checking);
    assert_eq!(
        g.kubeexec.as_ref().and_then(|k| k.get("insecure")),
        Some(&serde_json::json!(false))
    );
    assert!(c.warnings.is_empty());
}

#[test]
fn empty_object_gives_the_defaults() {
    // The default executor is ssh, which needs a key file.
    let err = parse("{}").err().map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some(
            "heketi.json: glusterfs.sshexec.keyfile: Missing ssh private key file in configuration"
        )
    );
    let c = parse(r#"{"glusterfs": {"sshexec": {"keyfile": "/k"}}}"#).expect("parses");
    let d = ServerConfig::defaults();
    assert_eq!(c.glusterfs.executor, ExecutorKind::Ssh);
    assert_eq!(c.glusterfs.sshexec.user, "heketi");
    assert_eq!(c.glusterfs.sshexec.port, "22");
    assert_eq!(c.glusterfs.sshexec.gluster_cli_timeout, 600);
    assert_eq!(c.glusterfs.db, "brickyard.db");
    assert_eq!(
        c.glusterfs.refresh_time_background_cleaner,
        Duration::from_secs(3600)
    );
    assert_eq!(c.jwt_iat_leeway, Duration::from_secs(120));
    assert_eq!(d.port, 8080);
    assert_eq!(d.glusterfs.max_inflight_operations, 8);
}

#[test]
fn comments_trailing_commas_nulls_and_unknown_keys_are_accepted() {
    let text = r#"
    # hash comment
    {
      // a line comment
      "port": "9090", /* a block
         comment */
      "unknown_key": {"nested": [1, 2, 3]},
      "_comment": "ignored",
      "use_auth": null,
      "glusterfs": {
        "executor": "mock",
        "max_inflight_operations": 3,
        "max_volumes_per_cluster": -1,
        "zone_checking": "strict",
      },
    }
    "#;
    let c = parse(text).expect("lenient syntax is accepted");
    assert_eq!(c.port, 9090);
    assert!(!c.use_auth);
    assert_eq!(c.glusterfs.max_inflight_operations, 3);
    assert_eq!(c.glusterfs.max_volumes_per_cluster, None);
    assert_eq!(c.glusterfs.zone_checking, ZoneChecking::Strict);
}

#[test]
fn heketi_sample_missing_comma_is_located_with_a_hint() {
    // Heketi's own sample once shipped like this; Go says only "invalid character".
    let text = "{\n  \"glusterfs\": {\n    \"block_hosting_volume_size\": 500\n    \n    \"mountopts\": \"rw\"\n  }\n}\n";
    let l = located(text);
    assert_eq!((l.line, l.column), (5, 5));
    assert_eq!(l.message, "expected `,` or `}`");
    assert!(l.hint.contains("`,` is missing"), "{}", l.hint);
    let shown = ConfigError::At(l).to_string();
    assert!(
        shown.starts_with("heketi.json:5:5: expected `,` or `}`\n  hint: "),
        "{shown}"
    );
}

#[test]
fn wrong_types_name_the_key_and_suggest_the_fix() {
    let text = "{\n  \"glusterfs\": {\n    \"executor\": \"mock\",\n    \"max_inflight_operations\": \"8\"\n  }\n}";
    let l = located(text);
    assert_eq!(l.key.as_deref(), Some("glusterfs.max_inflight_operations"));
    assert_eq!(
        l.message,
        "expected a non-negative integer, found string \"8\""
    );
    assert_eq!(l.hint, "write the number without quotes: 8");
    assert_eq!(l.line, 4);
    assert_eq!(
        ConfigError::At(l).to_string(),
        "heketi.json:4:32: glusterfs.max_inflight_operations: expected a non-negative integer, found string \"8\"\n  hint: write the number without quotes: 8"
    );

    let l = located("{\"port\": 8080}");
    assert_eq!(l.key.as_deref(), Some("port"));
    assert_eq!(l.message, "expected a string, found integer 8080");
    assert_eq!(l.hint, "put the value in double quotes: \"8080\"");

    let l = located("{\"use_auth\": \"true\"}");
    assert_eq!(l.key.as_deref(), Some("use_auth"));
    assert_eq!(l.hint, "write true without quotes");

    let l = located("{\"glusterfs\": {\"sshexec\": {\"gluster_cli_timeout\": -5}}}");
    assert_eq!(
        l.key.as_deref(),
        Some("glusterfs.sshexec.gluster_cli_timeout")
    );
    assert_eq!(l.hint, "use 0 or a positive number");

    let l = located("{\"glusterfs\": \"mock\"}");
    assert_eq!(l.key.as_deref(), Some("glusterfs"));
    assert_eq!(l.message, "expected an object, found string \"mock\"");

    let l = located("{\"port\": \"1\", \"port\": \"2\"}");
    assert_eq!(l.message, "the key \"port\" appears twice in this object");
}

#[test]
fn syntax_errors_have_line_column_and_hints() {
    let cases: &[(&str, (usize, usize), &str)] = &[
        ("{\n  'port': \"8080\"\n}", (2, 3), "double quotes"),
        ("{\"port\": 'x'}", (1, 10), "double quotes"),
        ("{\"port\" \"8080\"}", (1, 9), "`:`"),
        ("{\"port\": \"8080\"", (1, 15), "closing `}`"),
        ("{\"port\": \"80\n80\"}", (1, 13), "close it"),
        ("{\"db\": \"C:\\heketi\"}", (1, 12), "backslash"),
        ("{} {}", (1, 4), "after the closing"),
        ("{\"a\": [1,,2]}", (1, 10), "value is missing"),
        ("\n  [1, 2]", (2, 3), "must be an object"),
        ("{\"a\": 1 /* never closed\n}", (1, 9), "*/"),
    ];
    for (text, (line, column), hint) in cases {
        let l = located(text);
        assert_eq!((l.line, l.column), (*line, *column), "{text:?}: {l}");
        assert!(l.hint.contains(hint), "{text:?}: hint {:?}", l.hint);
    }
}

#[test]
fn invalid_values_are_reported() {
    let err = |t: &str| parse(t).err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        err(r#"{"glusterfs": {"executor": "ansible"}}"#),
        "heketi.json: glusterfs.executor: invalid executor: ansible (use ssh, kubernetes, mock, inject/ssh or inject/mock)"
    );
    assert_eq!(
        err(r#"{"default_state": "paused", "glusterfs": {"executor": "mock"}}"#),
        "heketi.json: default_state: unknown admin state name: paused"
    );
    assert!(err(r#"{"port": "http", "glusterfs": {"executor": "mock"}}"#).contains("port number"));
    assert!(
        err(r#"{"glusterfs": {"executor": "mock", "zone_checking": "loose"}}"#)
            .contains("invalid zone checking: loose")
    );
    assert!(
        err(r#"{"glusterfs": {"executor": "ssh", "sshexec": {"keyfile": "/k", "port": "x"}}}"#)
            .contains("glusterfs.sshexec.port")
    );
    assert!(
        err(r#"{"enable_tls": true, "glusterfs": {"executor": "mock"}}"#).contains("cert_file")
    );
    let c = parse(r#"{"glusterfs": {"executor": "mock", "loglevel": "verbose"}}"#)
        .expect("only a warning");
    assert_eq!(c.glusterfs.loglevel, LogLevel::Info);
    assert_eq!(c.warnings.len(), 1);
}

#[test]
fn environment_overrides_the_file() {
    let vars: HashMap<&str, &str> = [
        ("HEKETI_HTTP_PORT", "18080"),
        ("HEKETI_ADMIN_KEY", "adm"),
        ("HEKETI_USER_KEY", "usr"),
        ("HEKETI_DB_PATH", "/tmp/x.db"),
        ("HEKETI_EXECUTOR", "mock"),
        ("HEKETI_GLUSTERAPP_LOGLEVEL", "warning"),
        ("HEKETI_ZONE_CHECKING", "strict"),
        ("HEKETI_MAX_INFLIGHT_OPERATIONS", "2"),
        ("HEKETI_PRE_REQUEST_VOLUME_OPTIONS", "a on"),
        ("HEKETI_POST_REQUEST_VOLUME_OPTIONS", "b off"),
        ("HEKETI_GLUSTER_MAX_VOLUMES_PER_CLUSTER", "7"),
        ("HEKETI_SSH_KEYFILE", "/key"),
        ("HEKETI_SSH_USER", "root"),
        ("HEKETI_SSH_PORT", "2222"),
        ("HEKETI_FSTAB", "/etc/fstab.x"),
        ("HEKETI_MOUNT_OPTS", "rw"),
        ("HEKETI_GLUSTER_CLI_TIMEOUT", "42"),
        ("HEKETI_LVM_WRAPPER", "/usr/sbin/exec-on-host"),
        ("HEKETI_DEFAULT_STATE", "read-only"),
        ("HEKETI_DISABLE_BACKGROUND_CLEANER", "true"),
        ("HEKETI_JWT_IAT_LEEWAY_SECONDS", "5"),
        ("HEKETI_MOCK_DEVICE_SIZE_GB", "100"),
        ("HEKETI_AUTO_CREATE_BLOCK_HOSTING_VOLUME", "1"),
        ("HEKETI_BLOCK_HOSTING_VOLUME_SIZE", "50"),
        ("HEKETI_GLUSTERAPP_REBALANCE_ON_EXPANSION", "false"),
        ("HEKETI_PROFILING", "yes"),
        ("HEKETI_SNAPSHOT_LIMIT", "9"),
    ]
    .into_iter()
    .collect();
    let env = |k: &str| vars.get(k).map(|v| v.to_string());
    let c = ServerConfig::from_str(SAMPLE, "heketi.json", &env).expect("parses");
    assert_eq!(c.port, 18080);
    assert_eq!((c.admin_key.as_str(), c.user_key.as_str()), ("adm", "usr"));
    assert_eq!(c.default_state, AdminMode::ReadOnly);
    assert_eq!(c.jwt_iat_leeway, Duration::from_secs(5));
    assert!(c.profiling);
    let g = &c.glusterfs;
    assert_eq!(g.db, "/tmp/x.db");
    assert_eq!(g.executor, ExecutorKind::Mock);
    assert_eq!(g.loglevel, LogLevel::Warning);
    assert_eq!(g.zone_checking, ZoneChecking::Strict);
    assert_eq!(g.max_inflight_operations, 2);
    assert_eq!(g.pre_request_volume_options, "a on");
    assert_eq!(g.post_request_volume_options, "b off");
    assert_eq!(g.max_volumes_per_cluster, Some(7));
    assert!(g.disable_background_cleaner);
    assert_eq!(g.mock_device_size_gb, Some(100));
    assert!(g.auto_create_block_hosting_volume);
    assert_eq!(g.block_hosting_volume_size, 50);
    assert!(!g.rebalance_on_expansion);
    let s = &g.sshexec;
    assert_eq!(
        (s.keyfile.as_str(), s.user.as_str(), s.port.as_str()),
        ("/key", "root", "2222")
    );
    assert_eq!(
        (s.fstab.as_str(), s.mountopts.as_str()),
        ("/etc/fstab.x", "rw")
    );
    assert_eq!(s.gluster_cli_timeout, 42);
    assert_eq!(s.lvm_wrapper, "/usr/sbin/exec-on-host");
    assert_eq!(s.snapshot_limit, Some(9));
}

#[test]
fn unusable_environment_values_are_errors_except_the_leeway() {
    let one =
        |k: &'static str, v: &'static str| move |name: &str| (name == k).then(|| v.to_string());
    let run =
        |env: &dyn Fn(&str) -> Option<String>| ServerConfig::from_str(SAMPLE, "heketi.json", env);
    let e = run(&one("HEKETI_MAX_INFLIGHT_OPERATIONS", "many"))
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        e.as_deref(),
        Some(
            "environment variable HEKETI_MAX_INFLIGHT_OPERATIONS: expected a non-negative integer, found \"many\""
        )
    );
    let e = run(&one("HEKETI_EXECUTOR", "chef"))
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        e.as_deref(),
        Some("environment variable HEKETI_EXECUTOR: invalid executor: chef")
    );
    let e = run(&one("HEKETI_DEFAULT_STATE", "off"))
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        e.as_deref(),
        Some("environment variable HEKETI_DEFAULT_STATE: unknown admin state name: off")
    );
    assert!(run(&one("HEKETI_DISABLE_BACKGROUND_CLEANER", "yes")).is_err());
    let c = run(&one("HEKETI_JWT_IAT_LEEWAY_SECONDS", "-3")).expect("only a warning");
    assert_eq!(c.jwt_iat_leeway, Duration::from_secs(120));
    assert_eq!(c.warnings.len(), 1);
    // An empty variable is unset, as in Go.
    let c = run(&one("HEKETI_HTTP_PORT", "")).expect("parses");
    assert_eq!(c.port, 8080);
}

#[test]
fn load_reads_the_file_and_names_it() {
    let dir = std::env::temp_dir().join(format!("brickyard-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("heketi.json");
    std::fs::write(&path, "{\"glusterfs\": {\"executor\": \"mock\",}\n,}").expect("write");
    let c = ServerConfig::load(&path, &no_env).expect("loads");
    assert_eq!(c.origin, path.display().to_string());
    std::fs::write(&path, "{\n\"port\": 1,\n}").expect("write");
    let e = ServerConfig::load(&path, &no_env)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.starts_with(&format!("{}:2:", path.display())), "{e}");
    let missing = ServerConfig::load(&dir.join("nope.json"), &no_env).err();
    assert!(matches!(missing, Some(ConfigError::Read { .. })));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn brickyard_http_section_sets_the_connection_bounds() {
    const MOCK: &str = r#"{"glusterfs": {"executor": "mock"}}"#;
    let c = parse(MOCK).expect("parses");
    assert_eq!(c.http, HttpConfig::default());
    assert_eq!(c.http.header_read_timeout, Duration::from_secs(30));
    assert_eq!(c.http.idle_timeout, Duration::from_secs(120));
    assert_eq!(c.http.max_connections, 1024);
    let c = parse(
        r#"{"glusterfs": {"executor": "mock"}, "brickyard": {"http": {"header_read_timeout": 0.5, "idle_timeout": 2,
            "max_connections": 3}}}"#,
    )
    .expect("parses");
    assert_eq!(c.http.header_read_timeout, Duration::from_millis(500));
    assert_eq!(c.http.idle_timeout, Duration::from_secs(2));
    assert_eq!(c.http.max_connections, 3);
    // 0 and null are the defaults, as elsewhere in heketi.json.
    let c = parse(r#"{"glusterfs": {"executor": "mock"}, "brickyard": {"http": {"idle_timeout": 0, "max_connections": null}}}"#)
        .expect("parses");
    assert_eq!(c.http, HttpConfig::default());
    let e = parse(
        r#"{"glusterfs": {"executor": "mock"}, "brickyard": {"http": {"idle_timeout": -1}}}"#,
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(e.contains("brickyard.http.idle_timeout"), "{e}");
    assert!(e.contains("between 0 and 86400"), "{e}");
    let e = located(
        r#"{"glusterfs": {"executor": "mock"}, "brickyard": {"http": {"max_connections": "many"}}}"#,
    );
    assert_eq!(e.key.as_deref(), Some("brickyard.http.max_connections"));
}

//! `deploy/kubernetes/` parses, and refers only to what the driver has: the
//! plugin name, `brickyard csi`'s flags (checked with its own clap parser), the
//! socket path the sidecars dial, the image the Dockerfile builds and the binary
//! path it installs, service accounts that exist, and StorageClass parameters the
//! controller accepts.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use brickyard_csi::command::CsiArgs;
use brickyard_csi::identity::PLUGIN_NAME;
use brickyard_csi::params::ProvisionParams;
use brickyard_csi::server::{Mode, socket_path};
use clap::Parser;
use serde::Deserialize;
use serde_yaml::Value;

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/kubernetes")
}

/// Every document of every `*.yaml` file, with its file name.
fn documents() -> Vec<(String, Value)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(deploy_dir())
        .expect("deploy/kubernetes")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 6, "{files:?}");
    let mut docs = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        for de in serde_yaml::Deserializer::from_str(&text) {
            let v = Value::deserialize(de).unwrap_or_else(|e| panic!("{name}: {e}"));
            if v.is_null() {
                continue;
            }
            assert!(v["apiVersion"].as_str().is_some(), "{name}: apiVersion");
            assert!(v["kind"].as_str().is_some(), "{name}: kind");
            assert!(
                v["metadata"]["name"].as_str().is_some(),
                "{name}: metadata.name"
            );
            docs.push((name.clone(), v));
        }
    }
    docs
}

fn of_kind<'a>(docs: &'a [(String, Value)], kind: &str) -> Vec<&'a Value> {
    docs.iter()
        .filter(|(_, v)| v["kind"] == kind)
        .map(|(_, v)| v)
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .map(|s| {
            s.iter()
                .map(|x| x.as_str().expect("string").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// `--name=value` or `--name` of a sidecar's args.
fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter().find_map(|a| {
        let rest = a.strip_prefix(&format!("--{name}"))?;
        if rest.is_empty() {
            Some(String::new())
        } else {
            rest.strip_prefix('=').map(String::from)
        }
    })
}

/// The image and installed path the Dockerfile's build line and COPY name.
fn dockerfile() -> (String, String) {
    let text = std::fs::read_to_string(deploy_dir().join("Dockerfile")).expect("Dockerfile");
    let image = text
        .lines()
        .find_map(|l| l.split(" -t ").nth(1))
        .and_then(|r| r.split_whitespace().next())
        .expect("a `docker build … -t IMAGE` line")
        .to_string();
    let copy = text
        .lines()
        .find(|l| l.starts_with("COPY --from=build") && l.contains("/release/brickyard-csi"))
        .expect("COPY of the release brickyard-csi");
    let installed = copy.split_whitespace().last().unwrap().to_string();
    (image, installed)
}

#[test]
fn driver_object_and_storage_class() {
    let docs = documents();
    let drivers = of_kind(&docs, "CSIDriver");
    assert_eq!(drivers.len(), 1);
    assert_eq!(drivers[0]["metadata"]["name"], PLUGIN_NAME);
    assert_eq!(
        drivers[0]["spec"]["attachRequired"], false,
        "no ControllerPublishVolume"
    );

    let classes = of_kind(&docs, "StorageClass");
    assert_eq!(classes.len(), 1);
    let sc = classes[0];
    assert_eq!(sc["provisioner"], PLUGIN_NAME);
    assert_eq!(sc["allowVolumeExpansion"], true);
    let params: HashMap<String, String> =
        serde_yaml::from_value(sc["parameters"].clone()).expect("string parameters");
    // The sidecars strip their own keys and pass the named secret's data.
    let secret_name = &params["csi.storage.k8s.io/provisioner-secret-name"];
    assert_eq!(
        &params["csi.storage.k8s.io/controller-expand-secret-name"],
        secret_name
    );
    let secrets = of_kind(&docs, "Secret");
    let secret = secrets
        .iter()
        .find(|s| s["metadata"]["name"].as_str() == Some(secret_name))
        .expect("the StorageClass's secret is in the example");
    let data: HashMap<String, String> = serde_yaml::from_value(secret["data"].clone()).unwrap();
    let passed: HashMap<String, String> = params
        .iter()
        .filter(|(k, _)| !k.ends_with("-secret-name") && !k.ends_with("-secret-namespace"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let secret_data: HashMap<String, String> = data
        .keys()
        .map(|k| (k.clone(), "from the secret".to_string()))
        .collect();
    let p = ProvisionParams::parse(&passed, &secret_data)
        .expect("the controller accepts the StorageClass");
    assert_eq!(p.backend.key.as_deref(), Some("from the secret"));
    assert_eq!((p.gid_min, p.gid_max), (40000, 50000));

    let claims = of_kind(&docs, "PersistentVolumeClaim");
    assert_eq!(claims.len(), 1);
    assert_eq!(
        claims[0]["spec"]["storageClassName"],
        sc["metadata"]["name"]
    );
    let pods = of_kind(&docs, "Pod");
    assert_eq!(
        pods[0]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"],
        claims[0]["metadata"]["name"]
    );
}

#[test]
fn workloads_run_what_the_driver_has() {
    let docs = documents();
    let (image, installed) = dockerfile();
    assert_eq!(
        image,
        format!("brickyard-csi:{}", env!("CARGO_PKG_VERSION"))
    );
    let accounts: HashSet<String> = of_kind(&docs, "ServiceAccount")
        .iter()
        .map(|a| a["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    let mut modes = Vec::new();
    for kind in ["Deployment", "DaemonSet"] {
        for w in of_kind(&docs, kind) {
            let name = w["metadata"]["name"].as_str().unwrap();
            let spec = &w["spec"]["template"]["spec"];
            let sa = spec["serviceAccountName"]
                .as_str()
                .expect("serviceAccountName");
            assert!(accounts.contains(sa), "{name}: service account {sa}");
            let volumes = spec["volumes"].as_sequence().expect("volumes");
            let containers = spec["containers"].as_sequence().expect("containers");
            let driver = containers
                .iter()
                .find(|c| c["image"] == image.as_str())
                .unwrap_or_else(|| panic!("{name}: no container runs {image}"));
            assert_eq!(
                strings(&driver["command"]),
                vec![installed.clone(), "csi".to_string()]
            );
            let args = strings(&driver["args"]);
            let mut argv = vec!["brickyard csi".to_string()];
            argv.extend(args.iter().cloned());
            let parsed = CsiArgs::try_parse_from(&argv)
                .unwrap_or_else(|e| panic!("{name}: brickyard csi refuses {args:?}: {e}"));
            modes.push(parsed.mode);
            // $(VAR) in args must be defined in the container's env.
            let env: HashSet<String> = driver["env"]
                .as_sequence()
                .map(|e| {
                    e.iter()
                        .map(|x| x["name"].as_str().unwrap().to_string())
                        .collect()
                })
                .unwrap_or_default();
            for a in &args {
                if let Some(var) = a.split("$(").nth(1).and_then(|r| r.split(')').next()) {
                    assert!(env.contains(var), "{name}: {a} uses undefined {var}");
                }
            }
            if parsed.mode.node() {
                assert!(
                    !parsed.node_id.is_empty(),
                    "{name}: node plugin without --node-id"
                );
            }
            // The socket: its directory is a volume mount of the driver, and every
            // sidecar dials that path through the same volume.
            let socket = socket_path(&parsed.endpoint).expect("unix endpoint");
            let socket_dir = socket.parent().unwrap().to_str().unwrap().to_string();
            let mount_of = |c: &Value, path: &str| -> Option<String> {
                c["volumeMounts"].as_sequence()?.iter().find_map(|m| {
                    (m["mountPath"].as_str() == Some(path))
                        .then(|| m["name"].as_str().unwrap().to_string())
                })
            };
            let socket_volume = mount_of(driver, &socket_dir)
                .unwrap_or_else(|| panic!("{name}: driver mounts nothing at {socket_dir}"));
            let mut sidecars = 0;
            for c in containers.iter().filter(|c| c["image"] != image.as_str()) {
                sidecars += 1;
                let cname = c["name"].as_str().unwrap();
                let cargs = strings(&c["args"]);
                let addr =
                    flag(&cargs, "csi-address").unwrap_or_else(|| panic!("{cname}: --csi-address"));
                assert_eq!(Path::new(&addr), socket, "{cname} dials another socket");
                assert_eq!(
                    mount_of(c, &socket_dir).as_deref(),
                    Some(socket_volume.as_str()),
                    "{cname}"
                );
                assert!(
                    c["image"]
                        .as_str()
                        .unwrap()
                        .starts_with("registry.k8s.io/sig-storage/"),
                    "{cname}: {:?}",
                    c["image"]
                );
                if let Some(reg) = flag(&cargs, "kubelet-registration-path") {
                    // The kubelet dials the host side of the socket volume.
                    let host = volumes
                        .iter()
                        .find(|v| v["name"] == socket_volume.as_str())
                        .and_then(|v| v["hostPath"]["path"].as_str())
                        .expect("the node socket volume is a hostPath");
                    assert_eq!(
                        reg,
                        format!("{host}/{}", socket.file_name().unwrap().to_str().unwrap())
                    );
                    assert!(host.ends_with(PLUGIN_NAME), "{host}");
                }
            }
            assert!(sidecars >= 1, "{name}: no sidecar");
            if parsed.mode.node() {
                assert_eq!(
                    driver["securityContext"]["privileged"], true,
                    "{name}: privileged"
                );
                let pods = driver["volumeMounts"]
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .find(|m| m["mountPath"] == "/var/lib/kubelet/pods")
                    .expect("the pods directory");
                assert_eq!(pods["mountPropagation"], "Bidirectional");
                let images: Vec<&str> = containers
                    .iter()
                    .filter_map(|c| c["image"].as_str())
                    .collect();
                assert!(
                    images
                        .iter()
                        .any(|i| i.contains("csi-node-driver-registrar")),
                    "{images:?}"
                );
            } else {
                let images: Vec<&str> = containers
                    .iter()
                    .filter_map(|c| c["image"].as_str())
                    .collect();
                assert!(
                    images.iter().any(|i| i.contains("csi-provisioner")),
                    "{images:?}"
                );
                assert!(
                    images.iter().any(|i| i.contains("csi-resizer")),
                    "{images:?}"
                );
            }
        }
    }
    modes.sort_by_key(|m| format!("{m:?}"));
    assert_eq!(modes, vec![Mode::Controller, Mode::Node]);
}

#[test]
fn role_bindings_name_existing_roles_and_accounts() {
    let docs = documents();
    let accounts: HashSet<&str> = of_kind(&docs, "ServiceAccount")
        .iter()
        .filter_map(|a| a["metadata"]["name"].as_str())
        .collect();
    let roles: HashSet<(&str, &str)> = docs
        .iter()
        .filter(|(_, v)| v["kind"] == "ClusterRole" || v["kind"] == "Role")
        .map(|(_, v)| {
            (
                v["kind"].as_str().unwrap(),
                v["metadata"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    let bindings: Vec<&Value> = docs
        .iter()
        .filter(|(_, v)| v["kind"] == "ClusterRoleBinding" || v["kind"] == "RoleBinding")
        .map(|(_, v)| v)
        .collect();
    assert!(bindings.len() >= 3);
    for b in bindings {
        let r = &b["roleRef"];
        assert!(
            roles.contains(&(r["kind"].as_str().unwrap(), r["name"].as_str().unwrap())),
            "{r:?}"
        );
        for s in b["subjects"].as_sequence().unwrap() {
            assert!(accounts.contains(s["name"].as_str().unwrap()), "{s:?}");
        }
    }
}

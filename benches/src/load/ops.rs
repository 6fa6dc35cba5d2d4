//! Heketi's operations as its clients run them: the request, `202`, polls of
//! `/queue/{id}` until the answer is no longer `X-Pending`, then the `303` target.

use std::time::Duration;

use anyhow::{Result, bail};
use hyper::StatusCode;
use serde_json::json;

use super::client::{Answer, Client};

/// How a client polls the queue and retries a `429`.
#[derive(Clone, Copy, Debug)]
pub struct Polling {
    /// Pause between two polls of a pending operation (the first poll is at once,
    /// as Heketi's clients do; they then pause a second).
    pub interval: Duration,
    /// Pause before retrying a `429 Server busy`.
    pub busy_retry: Duration,
}

impl Default for Polling {
    fn default() -> Polling {
        Polling {
            interval: Duration::from_millis(2),
            busy_retry: Duration::from_millis(5),
        }
    }
}

/// What running one operation cost in requests.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cost {
    /// `GET /queue/{id}` requests.
    pub polls: u64,
    /// `429` answers retried.
    pub busy: u64,
}

impl Cost {
    pub fn add(&mut self, other: Cost) {
        self.polls += other.polls;
        self.busy += other.busy;
    }
}

/// Sends `method path body` until it is not `429`, then follows the async protocol:
/// the final answer (the `303` target fetched, or the `204`).
pub async fn run_async(
    client: &mut Client,
    polling: Polling,
    method: &str,
    path: &str,
    body: Option<&[u8]>,
    cost: &mut Cost,
) -> Result<Answer> {
    let accepted = loop {
        let answer = client.call(method, path, body).await?;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            cost.busy += 1;
            tokio::time::sleep(polling.busy_retry).await;
            continue;
        }
        break answer;
    };
    if accepted.status != StatusCode::ACCEPTED {
        bail!(
            "{method} {path}: expected 202, got {}: {}",
            accepted.status,
            accepted.text()
        );
    }
    let Some(queue) = accepted.location else {
        bail!("{method} {path}: 202 without Location");
    };
    loop {
        let answer = client.call("GET", &queue, None).await?;
        cost.polls += 1;
        if answer.pending && answer.status == StatusCode::OK {
            tokio::time::sleep(polling.interval).await;
            continue;
        }
        return match answer.status {
            StatusCode::SEE_OTHER => {
                let Some(target) = answer.location else {
                    bail!("{queue}: 303 without Location");
                };
                let result = client.call("GET", &target, None).await?;
                if result.status != StatusCode::OK {
                    bail!("GET {target}: {} {}", result.status, result.text());
                }
                Ok(result)
            }
            StatusCode::NO_CONTENT => Ok(answer),
            status => bail!(
                "{method} {path}: operation ended {status}: {}",
                answer.text()
            ),
        };
    }
}

/// The id field of a JSON answer.
pub fn id_of(answer: &Answer) -> Result<String> {
    match answer.json()?.get("id").and_then(|v| v.as_str()) {
        Some(id) => Ok(id.to_string()),
        None => bail!("answer without id: {}", answer.text()),
    }
}

/// `POST /clusters` → the new cluster's id.
pub async fn cluster_create(client: &mut Client) -> Result<String> {
    let answer = client
        .call("POST", "/clusters", Some(br#"{"file":true,"block":false}"#))
        .await?;
    if answer.status != StatusCode::CREATED {
        bail!("POST /clusters: {} {}", answer.status, answer.text());
    }
    id_of(&answer)
}

/// `POST /nodes` (`node-<n>`, storage address `10.<n>`, zone `n % 4 + 1`) → its id.
pub async fn node_add(
    client: &mut Client,
    polling: Polling,
    cluster: &str,
    n: usize,
    cost: &mut Cost,
) -> Result<String> {
    let body = json!({
        "zone": n % 4 + 1,
        "hostnames": {
            "manage": [format!("node-{n:04}")],
            "storage": [format!("10.{}.{}.{}", 1 + n / 65536, (n / 256) % 256, n % 256)],
        },
        "cluster": cluster,
    });
    let answer = run_async(
        client,
        polling,
        "POST",
        "/nodes",
        Some(body.to_string().as_bytes()),
        cost,
    )
    .await?;
    id_of(&answer)
}

/// `POST /devices` for `/dev/<name>` on `node`.
pub async fn device_add(
    client: &mut Client,
    polling: Polling,
    node: &str,
    name: &str,
    cost: &mut Cost,
) -> Result<()> {
    let body = json!({"node": node, "name": format!("/dev/{name}")});
    run_async(
        client,
        polling,
        "POST",
        "/devices",
        Some(body.to_string().as_bytes()),
        cost,
    )
    .await?;
    Ok(())
}

/// The create body: `size` GiB, replica 3.
pub fn volume_body(size_gib: u64) -> Vec<u8> {
    json!({"size": size_gib, "durability": {"type": "replicate", "replicate": {"replica": 3}}})
        .to_string()
        .into_bytes()
}

/// `POST /volumes` → the new volume's id.
pub async fn volume_create(
    client: &mut Client,
    polling: Polling,
    body: &[u8],
    cost: &mut Cost,
) -> Result<String> {
    let answer = run_async(client, polling, "POST", "/volumes", Some(body), cost).await?;
    id_of(&answer)
}

/// `DELETE /volumes/{id}`.
pub async fn volume_delete(
    client: &mut Client,
    polling: Polling,
    id: &str,
    cost: &mut Cost,
) -> Result<()> {
    run_async(
        client,
        polling,
        "DELETE",
        &format!("/volumes/{id}"),
        None,
        cost,
    )
    .await?;
    Ok(())
}

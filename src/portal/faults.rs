//! Fault injection: rules that make chosen actions fail, stall or hang up, so clients'
//! retry, timeout and re-plan paths can be tested and drilled.
//!
//! Rules are checked in order on every action request (downloads count as the action
//! `download`); the first rule whose `action` matches and whose `times` is not used up
//! fires and uses one of its `times`. Requests to `/_mock/...` are never faulted.
//!
//! Dropping a connection needs help from the socket: [`KillableListener`] hands out
//! streams that a handler can switch to failing every read and write, so hyper gives up
//! on the connection and closes it without having written a byte of the response.

use std::{
    io,
    pin::Pin,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    task::{Context, Poll},
};

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use serde::{Deserialize, Serialize};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
};

/// One fault rule. In JSON (config or `POST /_mock/faults`) it is flat, e.g.
/// `{"action": "package_create", "kind": "status", "status": 503, "retry_after_secs": 2, "times": 2}`;
/// unknown keys are rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawFaultRule", into = "RawFaultRule")]
pub struct FaultRule {
    /// The action to hit (`package_create`, `download`, ...); `None` hits any action.
    pub action: Option<String>,
    pub kind: FaultKind,
    /// How many matching requests to hit, then the rule stops. Default: 1.
    pub times: u32,
}

/// What a fault does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultKind {
    /// Answer with this status (e.g. 500, 503, 429) and an error envelope, without
    /// running the action; with `Retry-After` when `retry_after_secs` is set.
    Status {
        status: u16,
        retry_after_secs: Option<u64>,
    },
    /// Wait this long, then run the action and answer normally. The request is read
    /// first and the action runs even when the client has given up waiting, as on a
    /// CKAN behind a proxy: a create that timed out lands late.
    Delay { ms: u64 },
    /// Close the connection without answering and without running the action: the body
    /// (an upload, say) is not read, nothing is written.
    DropConnection,
    /// Run the action (a write is applied and saved), then close the connection without
    /// answering: the client cannot tell whether its write happened.
    DropAfterApply,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RawKind {
    Status,
    Delay,
    DropConnection,
    DropAfterApply,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFaultRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    action: Option<String>,
    kind: RawKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_after_secs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ms: Option<u64>,
    #[serde(default = "one")]
    times: u32,
}

fn one() -> u32 {
    1
}

impl TryFrom<RawFaultRule> for FaultRule {
    type Error = String;

    fn try_from(raw: RawFaultRule) -> Result<Self, String> {
        let extra = |what: &str| format!("`{what}` does not apply to this fault kind");
        let kind = match raw.kind {
            RawKind::Status => {
                let status = raw
                    .status
                    .ok_or("a `status` fault needs `status` (e.g. 503)")?;
                if !(400..=599).contains(&status) {
                    return Err(format!("fault status must be 400 to 599, found {status}"));
                }
                if raw.ms.is_some() {
                    return Err(extra("ms"));
                }
                FaultKind::Status {
                    status,
                    retry_after_secs: raw.retry_after_secs,
                }
            }
            RawKind::Delay => {
                if raw.status.is_some() || raw.retry_after_secs.is_some() {
                    return Err(extra("status"));
                }
                FaultKind::Delay {
                    ms: raw.ms.ok_or("a `delay` fault needs `ms`")?,
                }
            }
            RawKind::DropConnection | RawKind::DropAfterApply => {
                if raw.status.is_some() || raw.retry_after_secs.is_some() || raw.ms.is_some() {
                    return Err(extra("status/ms"));
                }
                if matches!(raw.kind, RawKind::DropConnection) {
                    FaultKind::DropConnection
                } else {
                    FaultKind::DropAfterApply
                }
            }
        };
        Ok(FaultRule {
            action: raw.action,
            kind,
            times: raw.times,
        })
    }
}

impl From<FaultRule> for RawFaultRule {
    fn from(rule: FaultRule) -> Self {
        let mut raw = RawFaultRule {
            action: rule.action,
            kind: RawKind::Status,
            status: None,
            retry_after_secs: None,
            ms: None,
            times: rule.times,
        };
        match rule.kind {
            FaultKind::Status {
                status,
                retry_after_secs,
            } => {
                raw.status = Some(status);
                raw.retry_after_secs = retry_after_secs;
            }
            FaultKind::Delay { ms } => {
                raw.kind = RawKind::Delay;
                raw.ms = Some(ms);
            }
            FaultKind::DropConnection => raw.kind = RawKind::DropConnection,
            FaultKind::DropAfterApply => raw.kind = RawKind::DropAfterApply,
        }
        raw
    }
}

/// Fires the first live rule matching `action`, using up one of its `times`.
pub(crate) fn take(rules: &mut Vec<FaultRule>, action: &str) -> Option<FaultKind> {
    let i = rules
        .iter()
        .position(|r| r.times > 0 && r.action.as_deref().is_none_or(|a| a == action))?;
    rules[i].times -= 1;
    let kind = rules[i].kind;
    if rules[i].times == 0 {
        rules.remove(i);
    }
    Some(kind)
}

/// A TCP listener whose connections can be hung up by a handler.
pub(crate) struct KillableListener(pub TcpListener);

/// A connection that fails all IO once killed.
pub(crate) struct KillableStream {
    inner: TcpStream,
    killed: Arc<AtomicBool>,
}

/// The handler's grip on its connection (via `ConnectInfo`).
#[derive(Clone)]
pub(crate) struct ConnHandle(Arc<AtomicBool>);

impl ConnHandle {
    pub(crate) fn kill(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl Connected<IncomingStream<'_, KillableListener>> for ConnHandle {
    fn connect_info(stream: IncomingStream<'_, KillableListener>) -> Self {
        ConnHandle(stream.io().killed.clone())
    }
}

impl axum::serve::Listener for KillableListener {
    type Io = KillableStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((inner, addr)) => {
                    return (
                        KillableStream {
                            inner,
                            killed: Arc::default(),
                        },
                        addr,
                    );
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(error) => {
                    tracing::warn!(error = %error, "Mock portal could not accept a connection.");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

fn killed_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection dropped by fault rule",
    )
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(killed_error()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(killed_error()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(killed_error()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rules_parse_flat_and_reject_unknown_keys() {
        let rules: Vec<FaultRule> = serde_json::from_value(json!([
            {"action": "package_show", "kind": "status", "status": 503, "retry_after_secs": 1, "times": 2},
            {"kind": "delay", "ms": 50},
            {"kind": "drop_connection", "action": "resource_create"},
        ]))
        .unwrap();
        assert_eq!(
            rules[0].kind,
            FaultKind::Status {
                status: 503,
                retry_after_secs: Some(1)
            }
        );
        assert_eq!(
            rules[1],
            FaultRule {
                action: None,
                kind: FaultKind::Delay { ms: 50 },
                times: 1
            }
        );
        assert_eq!(rules[2].kind, FaultKind::DropConnection);
        let back: Vec<FaultRule> =
            serde_json::from_value(serde_json::to_value(&rules).unwrap()).unwrap();
        assert_eq!(back, rules);
        for bad in [
            json!({"kind": "status", "status": 503, "colour": "red"}),
            json!({"kind": "status"}),
            json!({"kind": "delay", "status": 500, "ms": 1}),
            json!({"kind": "explode"}),
        ] {
            assert!(
                serde_json::from_value::<FaultRule>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn take_uses_up_times_and_matches_action() {
        let mut rules = vec![FaultRule {
            action: Some("a".into()),
            kind: FaultKind::DropConnection,
            times: 2,
        }];
        assert_eq!(take(&mut rules, "b"), None);
        assert_eq!(take(&mut rules, "a"), Some(FaultKind::DropConnection));
        assert_eq!(take(&mut rules, "a"), Some(FaultKind::DropConnection));
        assert_eq!(take(&mut rules, "a"), None);
        assert!(rules.is_empty());
    }
}

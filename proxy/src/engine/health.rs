//! Health checks: one sans-IO exchange per checked server, run every `inter`.
//!
//! A TCP check passes when the connection is accepted. An HTTP check (`option httpchk`) sends
//! the configured request and reads the status line: it passes on the `http-check expect
//! status` code, or on any 2xx/3xx without one (manual 4.2 "option httpchk"). The connect is
//! bounded by `timeout connect` and the rest by `timeout check`; when either is unset, `inter`
//! bounds it (manual 4.2 "timeout check").
//!
//! Results feed [`ServerRt::record_check`](super::server::ServerRt::record_check); the engine
//! logs the transitions in HAProxy's words.

use alloc::vec::Vec;
use core::fmt::Write as _;
use core::time::Duration;

use super::server::{CheckOutcome, LastCheck};
use super::time::Instant;
use super::transport::{ConnState, Transport};
use crate::config::{Backend, Server};

/// Longest status line read from a checked server.
const MAX_STATUS_LINE: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase<C> {
    /// Next check at this instant (`None`: at the first poll).
    Wait(Option<Instant>),
    /// Connecting.
    Connect {
        conn: C,
        started: Instant,
        until: Instant,
    },
    /// HTTP: sending the request (`sent` bytes so far) and reading the status line.
    Http {
        conn: C,
        started: Instant,
        until: Instant,
        sent: usize,
    },
}

/// The check of one server.
#[derive(Debug)]
pub(crate) struct Check<C> {
    phase: Phase<C>,
    /// The HTTP check request, built once.
    request: Vec<u8>,
    /// Bytes of the status line read so far.
    response: Vec<u8>,
}

impl<C: Copy + Eq + core::fmt::Debug> Check<C> {
    pub(crate) fn new(backend: &Backend, server: &Server) -> Check<C> {
        let mut request = alloc::string::String::new();
        if let Some(http) = &backend.http_check {
            let _ = write!(request, "{} {} {}\r\n", http.method, http.uri, http.version);
            if http.version.eq_ignore_ascii_case("HTTP/1.1") {
                let _ = write!(request, "Host: {}\r\n", server.addr);
            }
            request.push_str("Connection: close\r\n\r\n");
        }
        Check {
            phase: Phase::Wait(None),
            request: request.into_bytes(),
            response: Vec::with_capacity(MAX_STATUS_LINE),
        }
    }

    /// When this check next needs the engine.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::Wait(at) => Some(at.unwrap_or(Instant::ZERO)),
            Phase::Connect { until, .. } | Phase::Http { until, .. } => Some(until),
        }
    }

    /// Advances the check; returns the outcome when one check has finished.
    pub(crate) fn step<T: Transport<Conn = C>>(
        &mut self,
        t: &mut T,
        backend: &Backend,
        server: &Server,
        now: Instant,
    ) -> Option<LastCheck> {
        let inter = server.inter.max(Duration::from_millis(100));
        match self.phase {
            Phase::Wait(at) => {
                if at.is_some_and(|at| now < at) {
                    return None;
                }
                let until = now + backend.timeouts.connect.unwrap_or(inter);
                match t.connect(server.addr) {
                    Ok(conn) => {
                        self.phase = Phase::Connect {
                            conn,
                            started: now,
                            until,
                        };
                        None
                    }
                    Err(_) => {
                        self.finish(now, now, inter, CheckOutcome::Layer4Conn("No free socket"))
                    }
                }
            }
            Phase::Connect {
                conn,
                started,
                until,
            } => match t.state(conn) {
                ConnState::Open | ConnState::PeerClosed => {
                    if backend.http_check.is_none() {
                        t.close(conn);
                        return self.finish(now, started, inter, CheckOutcome::Layer4Ok);
                    }
                    self.response.clear();
                    self.phase = Phase::Http {
                        conn,
                        started,
                        until: now + backend.timeouts.check.unwrap_or(inter),
                        sent: 0,
                    };
                    self.step(t, backend, server, now)
                }
                ConnState::Failed | ConnState::Closed => {
                    t.abort(conn);
                    self.finish(
                        now,
                        started,
                        inter,
                        CheckOutcome::Layer4Conn("Connection refused"),
                    )
                }
                ConnState::Connecting if now >= until => {
                    t.abort(conn);
                    self.finish(now, started, inter, CheckOutcome::Layer4Timeout)
                }
                ConnState::Connecting => None,
            },
            Phase::Http {
                conn,
                started,
                until,
                sent,
            } => self.http_step(t, backend, now, inter, conn, started, until, sent),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn http_step<T: Transport<Conn = C>>(
        &mut self,
        t: &mut T,
        backend: &Backend,
        now: Instant,
        inter: Duration,
        conn: C,
        started: Instant,
        until: Instant,
        mut sent: usize,
    ) -> Option<LastCheck> {
        if sent < self.request.len() && t.state(conn).can_send() {
            sent += t.send(conn, &self.request[sent..]);
        }
        let mut chunk = [0u8; 64];
        while self.response.len() < MAX_STATUS_LINE {
            let room = (MAX_STATUS_LINE - self.response.len()).min(chunk.len());
            let n = t.recv(conn, &mut chunk[..room]);
            if n == 0 {
                break;
            }
            self.response.extend_from_slice(&chunk[..n]);
        }
        if let Some(end) = self.response.iter().position(|&b| b == b'\n') {
            let outcome = judge_status_line(&self.response[..end], backend);
            t.close(conn);
            return self.finish(now, started, inter, outcome);
        }
        let state = t.state(conn);
        if self.response.len() >= MAX_STATUS_LINE
            || matches!(state, ConnState::Failed | ConnState::Closed)
            || (state == ConnState::PeerClosed && t.recv_available(conn) == 0)
        {
            t.abort(conn);
            return self.finish(now, started, inter, CheckOutcome::Layer7Invalid);
        }
        if now >= until {
            t.abort(conn);
            return self.finish(now, started, inter, CheckOutcome::Layer7Timeout);
        }
        self.phase = Phase::Http {
            conn,
            started,
            until,
            sent,
        };
        None
    }

    fn finish(
        &mut self,
        now: Instant,
        started: Instant,
        inter: Duration,
        outcome: CheckOutcome,
    ) -> Option<LastCheck> {
        self.phase = Phase::Wait(Some(now + inter));
        Some(LastCheck {
            outcome,
            duration: now.since(started),
        })
    }

    /// Abandons a running check (the engine is shutting down).
    pub(crate) fn cancel<T: Transport<Conn = C>>(&mut self, t: &mut T) {
        if let Phase::Connect { conn, .. } | Phase::Http { conn, .. } = self.phase {
            t.abort(conn);
        }
        self.phase = Phase::Wait(None);
    }
}

/// Judges `HTTP/1.x NNN reason` against the backend's expectation.
fn judge_status_line(line: &[u8], backend: &Backend) -> CheckOutcome {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Ok(text) = core::str::from_utf8(line) else {
        return CheckOutcome::Layer7Invalid;
    };
    let mut parts = text.splitn(3, ' ');
    let (Some(version), Some(code)) = (parts.next(), parts.next()) else {
        return CheckOutcome::Layer7Invalid;
    };
    let reason = parts.next().unwrap_or("");
    let Ok(code) = code.parse::<u16>() else {
        return CheckOutcome::Layer7Invalid;
    };
    if !version.starts_with("HTTP/") || !(100..=999).contains(&code) {
        return CheckOutcome::Layer7Invalid;
    }
    let expected = backend.http_check.as_ref().and_then(|h| h.expect_status);
    let ok = match expected {
        Some(e) => code == e,
        None => (200..400).contains(&code),
    };
    if ok {
        CheckOutcome::Layer7Ok(code)
    } else {
        CheckOutcome::Layer7Status(code, alloc::string::String::from(reason))
    }
}

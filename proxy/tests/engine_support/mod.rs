//! Shared harness of the engine tests: a parsed configuration, an engine, the in-memory
//! network and a simulated clock, stepped together in bounded loops.
#![allow(dead_code)]

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use proxy::config;
use proxy::engine::testing::{HttpServer, ServerBehavior, SimConn, SimNet};
use proxy::engine::{Engine, Instant, ResourceLimits};

/// Simulated time per step.
pub const TICK: Duration = Duration::from_millis(1);

pub struct Harness {
    pub engine: Engine<SimConn>,
    pub net: SimNet,
    pub now: Instant,
}

pub fn addr(s: &str) -> SocketAddr {
    s.parse().expect("test address")
}

impl Harness {
    pub fn new(cfg: &str) -> Harness {
        Harness::with_limits(cfg, ResourceLimits::new(8192, 256, 64))
    }

    pub fn with_limits(cfg: &str, limits: ResourceLimits) -> Harness {
        let parsed = config::parse("test.cfg", cfg).expect("test configuration parses");
        let engine = Engine::new(&parsed.config, limits);
        let mut net = SimNet::new();
        for a in engine.listeners() {
            net.listen(a);
        }
        Harness {
            engine,
            net,
            now: Instant::from_millis(1_000),
        }
    }

    pub fn http_server(&mut self, a: &str, name: &str) {
        self.net
            .set_server(addr(a), ServerBehavior::Http(HttpServer::named(name)));
    }

    /// One network step and one poll.
    pub fn step(&mut self) {
        self.now = self.now + TICK;
        self.net.advance(self.now);
        self.engine.poll(&mut self.net, self.now);
    }

    /// Runs `d` of simulated time in 1 ms steps.
    pub fn run_for(&mut self, d: Duration) {
        let steps = d.as_millis();
        for _ in 0..steps {
            self.step();
        }
    }

    /// Runs until `done` holds, at most `limit` of simulated time; returns whether it held.
    pub fn run_until(
        &mut self,
        limit: Duration,
        mut done: impl FnMut(&mut Harness) -> bool,
    ) -> bool {
        for _ in 0..limit.as_millis() {
            if done(self) {
                return true;
            }
            self.step();
        }
        done(self)
    }

    /// Opens a client from `ip`, sends `request`, and collects what comes back until the
    /// proxy closes the connection or 200 ms of simulated time pass.
    pub fn exchange_from(&mut self, listener: &str, ip: IpAddr, request: &str) -> String {
        let id = self.net.connect_client(addr(listener), ip);
        self.net.remote_send(id, request.as_bytes());
        let mut got = String::new();
        for _ in 0..200 {
            self.step();
            got.push_str(&self.net.remote_recv_text(id));
            if self.net.remote_sees_eof(id) || self.net.remote_sees_reset(id) {
                break;
            }
        }
        self.net.remote_shutdown(id);
        self.run_for(Duration::from_millis(2));
        got
    }

    pub fn exchange(&mut self, listener: &str, request: &str) -> String {
        self.exchange_from(listener, "192.0.2.1".parse().expect("ip"), request)
    }

    /// A GET with `Connection: close`, returning the response text.
    pub fn get(&mut self, listener: &str, path: &str) -> String {
        self.exchange(
            listener,
            &format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"),
        )
    }
}

/// The status code of a response text.
pub fn status(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// The body of the last response in `response`.
pub fn body(response: &str) -> &str {
    response.rsplit("\r\n\r\n").next().unwrap_or("")
}

/// The value of a header in a response text.
pub fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    response.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

//! A small HTTP/1.1 server on 127.0.0.1 standing in for the web servers behind the proxy: the
//! demo backends of `cargo xtask run` and the servers of the end-to-end tests.
//!
//! It answers every request with `hello from <name>` (or `ok` on `/health`), honours keep-alive
//! and `Content-Length` request bodies, records each request head so a test can check what the
//! proxy changed, and can be told to answer slowly. Every connection is handled on its own
//! thread with a read timeout; `stop` (or drop) ends the accept loop and joins it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use anyhow::{Context, Result};

/// Longest request head accepted; longer ones close the connection.
const MAX_HEAD: usize = 16 * 1024;
/// Largest request body read.
const MAX_BODY: usize = 16 * 1024 * 1024;
/// A connection idle this long is closed.
const IDLE: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    requests: AtomicU64,
    delay_ms: AtomicU64,
    heads: Mutex<Vec<String>>,
}

/// A running demo backend.
pub struct DemoBackend {
    name: String,
    port: u16,
    shared: Arc<Shared>,
    accept_loop: Option<JoinHandle<()>>,
}

impl DemoBackend {
    /// Listens on 127.0.0.1:`port` (0 picks a free port).
    pub fn start(name: &str, port: u16) -> Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .with_context(|| format!("binding 127.0.0.1:{port}"))?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared::default());
        let (loop_shared, loop_name) = (Arc::clone(&shared), name.to_owned());
        let accept_loop = thread::spawn(move || {
            while !loop_shared.stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (shared, name) = (Arc::clone(&loop_shared), loop_name.clone());
                        thread::spawn(move || serve(stream, &name, &shared));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Ok(Self {
            name: name.to_owned(),
            port,
            shared,
            accept_loop: Some(accept_loop),
        })
    }

    /// The name in its responses.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Requests answered so far (health checks included).
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }

    /// The heads of the requests received so far, oldest first.
    pub fn request_heads(&self) -> Vec<String> {
        self.shared
            .heads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits this long before answering each request other than `/health` (to exercise
    /// `timeout server` and queueing).
    pub fn set_delay(&self, delay: Duration) {
        self.shared
            .delay_ms
            .store(delay.as_millis() as u64, Ordering::Relaxed);
    }

    /// Stops accepting connections and waits for the accept loop to end.
    pub fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.accept_loop.take() {
            let _ = handle.join();
        }
    }
}

impl Drop for DemoBackend {
    fn drop(&mut self) {
        self.stop();
    }
}

fn serve(stream: TcpStream, name: &str, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(IDLE));
    let Ok(writer) = stream.try_clone() else {
        return;
    };
    let mut writer = writer;
    let mut reader = BufReader::new(stream);
    loop {
        if shared.stop.load(Ordering::Relaxed) {
            return;
        }
        let Some(head) = read_head(&mut reader) else {
            return;
        };
        let mut lines = head.lines();
        let request_line = lines.next().unwrap_or_default().to_owned();
        let header = |wanted: &str| {
            head.lines().skip(1).find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.trim()
                    .eq_ignore_ascii_case(wanted)
                    .then(|| value.trim().to_owned())
            })
        };
        let body_len: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
            .min(MAX_BODY);
        let mut body = vec![0u8; body_len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let close = header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"))
            || request_line.ends_with("HTTP/1.0");
        shared
            .heads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(head.clone());
        shared.requests.fetch_add(1, Ordering::Relaxed);
        let path = request_line.split_whitespace().nth(1).unwrap_or("/");
        // Health checks are answered at once, so a slow server still passes its checks.
        let delay = shared.delay_ms.load(Ordering::Relaxed);
        if delay > 0 && path != "/health" {
            thread::sleep(Duration::from_millis(delay));
        }
        let text = if path == "/health" {
            "ok\n".to_owned()
        } else {
            format!("hello from {name}\n")
        };
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nX-Backend: {name}\r\n{}\r\n{text}",
            text.len(),
            if close { "Connection: close\r\n" } else { "" },
        );
        if writer.write_all(response.as_bytes()).is_err() || close {
            return;
        }
    }
}

/// Reads one request head (up to the blank line); `None` at EOF, on timeout or if too long.
fn read_head(reader: &mut BufReader<TcpStream>) -> Option<String> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        let read = reader.read_line(&mut line).ok()?;
        if read == 0 || head.len() + line.len() > MAX_HEAD {
            return None;
        }
        if line == "\r\n" || line == "\n" {
            return (!head.is_empty()).then_some(head);
        }
        head.push_str(&line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_keep_alive_requests_and_records_heads() {
        let backend = DemoBackend::start("b1", 0).unwrap();
        let mut stream = TcpStream::connect(("127.0.0.1", backend.port())).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        for path in ["/", "/health"] {
            write!(
                stream,
                "GET {path} HTTP/1.1\r\nHost: x\r\nX-Test: 1\r\n\r\n"
            )
            .unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut status = String::new();
            reader.read_line(&mut status).unwrap();
            assert_eq!(status, "HTTP/1.1 200 OK\r\n");
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if let Some(v) = line.strip_prefix("Content-Length: ") {
                    length = v.trim().parse().unwrap();
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let expected = if path == "/" {
                "hello from b1\n"
            } else {
                "ok\n"
            };
            assert_eq!(String::from_utf8(body).unwrap(), expected);
        }
        assert_eq!(backend.requests(), 2);
        assert!(backend.request_heads()[0].contains("X-Test: 1"));
    }
}

//! Traffic counters kept per frontend, backend and server (the columns of HAProxy's stats
//! CSV, manual 9.1, that bareproxy fills).

/// One proxy's or server's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// `qcur`: requests queued now.
    pub qcur: u32,
    /// `qmax`: most requests queued at once.
    pub qmax: u32,
    /// `scur`: current sessions.
    pub scur: u32,
    /// `smax`: most sessions at once.
    pub smax: u32,
    /// `stot`: sessions since start.
    pub stot: u64,
    /// `bin`: bytes received from clients (frontend) or sent to servers (backend, server).
    pub bytes_in: u64,
    /// `bout`: bytes sent to clients (frontend) or received from servers (backend, server).
    pub bytes_out: u64,
    /// `dreq`: requests denied by rules.
    pub denied_requests: u64,
    /// `ereq`: request errors (bad requests, client timeouts).
    pub request_errors: u64,
    /// `econ`: failed connections to servers.
    pub connect_errors: u64,
    /// `eresp`: response errors (bad or truncated responses, server timeouts).
    pub response_errors: u64,
    /// `wretr`: connection retries.
    pub retries: u64,
    /// `wredis`: redispatches.
    pub redispatches: u64,
    /// `hrsp_1xx` .. `hrsp_5xx`, `hrsp_other`.
    pub http_responses: [u64; 6],
    /// `req_tot`: HTTP requests.
    pub requests: u64,
    /// `cli_abrt`: transfers aborted by the client.
    pub client_aborts: u64,
    /// `srv_abrt`: transfers aborted by the server.
    pub server_aborts: u64,
    /// `lbtot`: times the server (or backend) was selected.
    pub lbtot: u64,
}

impl Counters {
    /// Counts a new session.
    pub fn session_started(&mut self) {
        self.scur += 1;
        self.smax = self.smax.max(self.scur);
        self.stot += 1;
    }

    /// Counts a session that ended.
    pub fn session_ended(&mut self) {
        self.scur = self.scur.saturating_sub(1);
    }

    /// Counts an HTTP response by status class.
    pub fn count_status(&mut self, status: u16) {
        let class = match status {
            100..=199 => 0,
            200..=299 => 1,
            300..=399 => 2,
            400..=499 => 3,
            500..=599 => 4,
            _ => 5,
        };
        self.http_responses[class] += 1;
    }
}

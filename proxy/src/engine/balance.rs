//! Choosing a server: HAProxy's `balance` algorithms, backup servers and `maxconn` slots.
//!
//! The balancer sees the configured servers and their run-time state and answers with a
//! [`Pick`]. Which servers take part follows HAProxy (manual 4.2 "balance", 5.2 "backup"):
//! every primary server that is up and has a non-zero weight; only if there is none, the
//! first backup server that is up (HAProxy's default without `option allbackups`).
//!
//! * `roundrobin`, `static-rr`: smooth weighted round robin. Each pick adds every candidate's
//!   weight to its running credit and takes the candidate with the most credit, which then
//!   pays the total back. A server of weight 3 next to one of weight 1 gets picks 3:1,
//!   interleaved (a a b a), as HAProxy's weighted round robin spreads them. Weights are
//!   static in bareproxy, so the two algorithms behave the same.
//! * `leastconn`: fewest active transactions relative to weight; ties go round robin.
//! * `source`, `uri`: a hash of the client address or of the path (up to `?`) mapped onto the
//!   weighted list of candidates (HAProxy's default `hash-type map-based`), so a given key
//!   sticks to one server while the set of servers up stays the same. The hash is sdbm,
//!   HAProxy's default hash function.
//!
//! A server whose `maxconn` is reached is skipped by the dynamic algorithms; if every
//! candidate is full the request queues in the backend. The hash algorithms never skip: a key
//! that maps to a full server waits for that server.

use alloc::vec::Vec;
use core::net::IpAddr;

use super::server::ServerRt;
use crate::config::{Balance, Server};

/// The balancer's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// Use this server (index in the backend) now.
    Server(usize),
    /// Servers are up but full: wait in the queue, for this server if one is named.
    Queue(Option<usize>),
    /// No server is up (or every one has weight 0): answer 503.
    Unavailable,
}

/// What the hash algorithms hash.
#[derive(Debug, Clone, Copy)]
pub enum LbKey<'a> {
    /// The client address (`balance source`).
    Source(IpAddr),
    /// The request target (`balance uri`); the query string is ignored.
    Uri(&'a str),
}

impl<'a> LbKey<'a> {
    /// The key `balance` hashes for a request from `client` for `target` (`None` in TCP
    /// mode), or `None` for the algorithms that do not hash. Every choice of a server for
    /// one request, the first and each redispatch, uses this, so a redispatch hashes the
    /// same key over the servers left, as HAProxy's `assign_server()` (src/backend.c) does
    /// when it runs again after `option redispatch`.
    pub fn of(balance: Balance, client: IpAddr, target: Option<&'a str>) -> Option<LbKey<'a>> {
        match balance {
            Balance::Source => Some(LbKey::Source(client)),
            Balance::Uri => target.map(LbKey::Uri),
            Balance::RoundRobin | Balance::StaticRr | Balance::LeastConn => None,
        }
    }
}

/// Per-backend balancer state.
#[derive(Debug, Clone)]
pub struct Balancer {
    algorithm: Balance,
    /// Smooth round-robin credit per server.
    credit: Vec<i64>,
    /// Where the next leastconn tie-break starts.
    next_start: usize,
    /// Scratch list of candidates, kept to avoid an allocation per pick.
    candidates: Vec<usize>,
}

/// sdbm, HAProxy's default hash function (`hash_sdbm` in HAProxy's src/hash.c).
pub fn sdbm(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0u32, |hash, &b| {
        u32::from(b)
            .wrapping_add(hash << 6)
            .wrapping_add(hash << 16)
            .wrapping_sub(hash)
    })
}

fn has_room(server: &Server, rt: &ServerRt) -> bool {
    server.maxconn.is_none_or(|max| rt.active < max)
}

/// True when the balancer may send new traffic to this server.
pub fn usable(server: &Server, rt: &ServerRt) -> bool {
    rt.is_up() && server.weight > 0
}

impl Balancer {
    /// A balancer for `servers` using `algorithm`.
    pub fn new(algorithm: Balance, servers: usize) -> Balancer {
        Balancer {
            algorithm,
            credit: alloc::vec![0; servers],
            next_start: 0,
            candidates: Vec::with_capacity(servers),
        }
    }

    /// Fills `candidates` with the servers taking part now (see the module docs).
    fn collect_candidates(&mut self, servers: &[Server], rt: &[ServerRt]) {
        self.candidates.clear();
        let primaries = servers
            .iter()
            .zip(rt)
            .enumerate()
            .filter(|(_, (s, r))| !s.backup && usable(s, r))
            .map(|(i, _)| i);
        self.candidates.extend(primaries);
        if self.candidates.is_empty()
            && let Some(first_backup) = servers
                .iter()
                .zip(rt)
                .position(|(s, r)| s.backup && usable(s, r))
        {
            self.candidates.push(first_backup);
        }
    }

    /// Picks a server for a new request. `key` is needed by `source` and `uri`; without one
    /// those fall back to round robin (HAProxy does the same when the key is missing).
    /// `avoid` is left out when another candidate exists: a redispatch after failed attempts
    /// goes elsewhere (HAProxy passes the previous server as the one to avoid).
    pub fn pick(
        &mut self,
        servers: &[Server],
        rt: &[ServerRt],
        key: Option<LbKey<'_>>,
        avoid: Option<usize>,
    ) -> Pick {
        self.collect_candidates(servers, rt);
        if let Some(avoid) = avoid
            && self.candidates.len() > 1
        {
            self.candidates.retain(|&i| i != avoid);
        }
        if self.candidates.is_empty() {
            return Pick::Unavailable;
        }
        match (self.algorithm, key) {
            (Balance::Source, Some(key @ LbKey::Source(_)))
            | (Balance::Uri, Some(key @ LbKey::Uri(_))) => self.pick_hash(servers, rt, key),
            (Balance::LeastConn, _) => self.pick_leastconn(servers, rt),
            _ => self.pick_round_robin(servers, rt),
        }
    }

    /// Whether a specific server (from a persistence cookie) can take the request.
    pub fn pick_pinned(servers: &[Server], rt: &[ServerRt], index: usize) -> Option<Pick> {
        let (server, state) = (servers.get(index)?, rt.get(index)?);
        if !state.is_up() {
            return None;
        }
        Some(if has_room(server, state) {
            Pick::Server(index)
        } else {
            Pick::Queue(Some(index))
        })
    }

    fn pick_round_robin(&mut self, servers: &[Server], rt: &[ServerRt]) -> Pick {
        let mut total = 0i64;
        let mut best: Option<usize> = None;
        for &i in &self.candidates {
            if !has_room(&servers[i], &rt[i]) {
                continue;
            }
            let weight = i64::from(servers[i].weight);
            self.credit[i] += weight;
            total += weight;
            if best.is_none_or(|b| self.credit[i] > self.credit[b]) {
                best = Some(i);
            }
        }
        match best {
            Some(b) => {
                self.credit[b] -= total;
                Pick::Server(b)
            }
            None => Pick::Queue(None),
        }
    }

    fn pick_leastconn(&mut self, servers: &[Server], rt: &[ServerRt]) -> Pick {
        let n = self.candidates.len();
        let mut best: Option<usize> = None;
        for k in 0..n {
            let i = self.candidates[(self.next_start + k) % n];
            if !has_room(&servers[i], &rt[i]) {
                continue;
            }
            // Compare active/weight without division: a/wa < b/wb  <=>  a*wb < b*wa.
            let better = best.is_none_or(|b| {
                u64::from(rt[i].active) * u64::from(servers[b].weight)
                    < u64::from(rt[b].active) * u64::from(servers[i].weight)
            });
            if better {
                best = Some(i);
            }
        }
        match best {
            Some(b) => {
                self.next_start = self.next_start.wrapping_add(1) % n.max(1);
                Pick::Server(b)
            }
            None => Pick::Queue(None),
        }
    }

    fn pick_hash(&mut self, servers: &[Server], rt: &[ServerRt], key: LbKey<'_>) -> Pick {
        let hash = match key {
            LbKey::Source(IpAddr::V4(a)) => sdbm(&a.octets()),
            LbKey::Source(IpAddr::V6(a)) => sdbm(&a.octets()),
            LbKey::Uri(target) => {
                let path = target.split('?').next().unwrap_or(target);
                sdbm(path.as_bytes())
            }
        };
        let total: u64 = self
            .candidates
            .iter()
            .map(|&i| u64::from(servers[i].weight))
            .sum();
        if total == 0 {
            return Pick::Unavailable;
        }
        let mut slot = u64::from(hash) % total;
        let mut chosen = self.candidates[0];
        for &i in &self.candidates {
            let w = u64::from(servers[i].weight);
            if slot < w {
                chosen = i;
                break;
            }
            slot -= w;
        }
        if has_room(&servers[chosen], &rt[chosen]) {
            Pick::Server(chosen)
        } else {
            Pick::Queue(Some(chosen))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::time::Instant;

    fn backend(servers: &str, balance: &str) -> crate::config::Backend {
        let text = alloc::format!(
            "defaults\n mode http\n timeout client 1s\n timeout server 1s\nbackend b\n balance {balance}\n{servers}\n"
        );
        let parsed = crate::config::parse("t.cfg", &text).expect("config");
        parsed.config.backends[0].clone()
    }

    #[test]
    fn sdbm_matches_the_reference_recurrence() {
        // h = c + (h << 6) + (h << 16) - h over "abc", computed independently.
        assert_eq!(sdbm(b"abc"), 807_794_786);
        assert_eq!(sdbm(b""), 0);
    }

    #[test]
    fn leastconn_fills_servers_in_proportion_to_weight() {
        let be = backend(
            " server a 10.0.0.1:80 weight 1\n server b 10.0.0.2:80 weight 2",
            "leastconn",
        );
        let mut rt: Vec<ServerRt> = be
            .servers
            .iter()
            .map(|_| ServerRt::new(Instant::ZERO))
            .collect();
        let mut lb = Balancer::new(be.balance, be.servers.len());
        for _ in 0..30 {
            match lb.pick(&be.servers, &rt, None, None) {
                Pick::Server(i) => rt[i].active += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!((rt[0].active, rt[1].active), (10, 20));
    }

    #[test]
    fn full_servers_queue_and_hash_keys_wait_for_their_server() {
        let be = backend(
            " server a 10.0.0.1:80 maxconn 1\n server b 10.0.0.2:80 maxconn 1",
            "roundrobin",
        );
        let mut rt: Vec<ServerRt> = be
            .servers
            .iter()
            .map(|_| ServerRt::new(Instant::ZERO))
            .collect();
        let mut lb = Balancer::new(be.balance, 2);
        for _ in 0..2 {
            if let Pick::Server(i) = lb.pick(&be.servers, &rt, None, None) {
                rt[i].active += 1;
            }
        }
        assert_eq!(lb.pick(&be.servers, &rt, None, None), Pick::Queue(None));
        let be = backend(
            " server a 10.0.0.1:80 maxconn 1\n server b 10.0.0.2:80",
            "uri",
        );
        let mut rt: Vec<ServerRt> = be
            .servers
            .iter()
            .map(|_| ServerRt::new(Instant::ZERO))
            .collect();
        let mut lb = Balancer::new(be.balance, 2);
        // A path that hashes to `a` (the bounded search always finds one with two servers).
        let path = (0..64)
            .map(|i| alloc::format!("/p{i}"))
            .find(|p| lb.pick(&be.servers, &rt, Some(LbKey::Uri(p)), None) == Pick::Server(0))
            .expect("some path maps to a");
        rt[0].active = 1;
        // The key does not move to `b`: it waits for `a`.
        assert_eq!(
            lb.pick(&be.servers, &rt, Some(LbKey::Uri(&path)), None),
            Pick::Queue(Some(0))
        );
    }
}

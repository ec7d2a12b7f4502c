//! Resource limits the parser enforces. The firmware runs on boxes with as little as 32 MiB of
//! RAM, so every count the configuration controls is bounded; exceeding one is a clear error
//! (`ErrorKind::Limit`) rather than an allocation failure at run time.

/// Largest configuration file accepted.
pub const MAX_CONFIG_BYTES: usize = 256 * 1024;
/// Longest line accepted, in bytes (HAProxy's default `LINESIZE` is also 2048).
pub const MAX_LINE_BYTES: usize = 2048;
/// Most words on one line (HAProxy's `MAX_LINE_ARGS` is also 64).
pub const MAX_WORDS_PER_LINE: usize = 64;
/// Most frontends, and separately most backends, after `listen` expansion.
pub const MAX_PROXIES: usize = 64;
/// Most servers in one backend.
pub const MAX_SERVERS_PER_BACKEND: usize = 128;
/// Most addresses one frontend listens on.
pub const MAX_BINDS_PER_FRONTEND: usize = 16;
/// Most `acl` lines in one proxy.
pub const MAX_ACL_LINES_PER_PROXY: usize = 256;
/// Most rules (`http-request`, `http-response`, `use_backend`) in one proxy.
pub const MAX_RULES_PER_PROXY: usize = 256;
/// Most syslog targets in `global`, and in one proxy.
pub const MAX_LOG_TARGETS: usize = 4;
/// Most `stats auth` users in one proxy.
pub const MAX_STATS_USERS: usize = 16;
/// Longest proxy, server or ACL name.
pub const MAX_NAME_LEN: usize = 64;
/// Largest `maxconn` anywhere: the connection table of a small box never gets near it.
pub const MAX_MAXCONN: u32 = 65_535;
/// Largest `retries`.
pub const MAX_RETRIES: u32 = 100;
/// Largest `rise`/`fall`.
pub const MAX_RISE_FALL: u32 = 1000;
/// Largest duration in milliseconds: HAProxy rejects timers that do not fit a signed 32-bit
/// millisecond count ("timer overflow").
pub const MAX_DURATION_MS: u64 = i32::MAX as u64;

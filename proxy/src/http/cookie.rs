//! Cookie-based server persistence, as HAProxy's `cookie` keyword defines it.
//!
//! * `insert`: the proxy adds `Set-Cookie: NAME=<server cookie>; path=/` to responses from a
//!   server the client was not already stuck to, and removes any `NAME` cookie the server set
//!   itself (unless `preserve`). With `indirect`, the `NAME` cookie is also stripped from
//!   requests, so the application never sees it.
//! * `rewrite`: the server sets `NAME` itself; the proxy replaces its value with the server's
//!   cookie value in responses.
//! * `prefix`: the server sets `NAME` itself; the proxy prefixes its value with
//!   `<server cookie>~` in responses and strips that prefix from requests, so the server finds
//!   its own value.
//! * `nocache`: when a cookie was inserted or modified, `Cache-Control: private` is added
//!   unless the response already forbids shared caching, so a cache does not hand one client's
//!   persistence cookie to others (HAProxy adds it only to cacheable responses).
//!
//! Choosing the server from the cookie value is the balancer's job: [`server_cookie`] gives it
//! the value, and the caller tells [`ResponseCookie`] whether that value matched the server
//! that answered.

use super::head::Head;
use super::token::{eq_ignore_case, list_items, trim_ows};

/// The three ways of carrying the persistence cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieMode {
    /// The proxy inserts its own cookie.
    Insert,
    /// The proxy rewrites the value of a cookie the server sets.
    Rewrite,
    /// The proxy prefixes the value of a cookie the server sets with the server's cookie.
    Prefix,
}

/// A backend's `cookie NAME <mode> [indirect] [nocache] [preserve] [httponly] [secure]
/// [domain D]` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookiePolicy<'a> {
    /// The cookie name (case-sensitive, as cookie names are).
    pub name: &'a str,
    /// How the cookie is carried.
    pub mode: CookieMode,
    /// Hide the cookie from the server (insert mode) and do not re-send it to a client that
    /// already has it.
    pub indirect: bool,
    /// Mark responses carrying an inserted or modified cookie `Cache-Control: private`.
    pub nocache: bool,
    /// Leave a `NAME` cookie the server set untouched, and insert none then.
    pub preserve: bool,
    /// Add `HttpOnly` to inserted cookies.
    pub httponly: bool,
    /// Add `Secure` to inserted cookies.
    pub secure: bool,
    /// Add `; domain=<domain>` to inserted cookies.
    pub domain: Option<&'a str>,
}

/// Splits `NAME=VALUE` into trimmed name and value (`None` without `=`).
fn split_pair(pair: &[u8]) -> Option<(&[u8], &[u8])> {
    let eq = pair.iter().position(|&b| b == b'=')?;
    Some((trim_ows(&pair[..eq]), trim_ows(&pair[eq + 1..])))
}

/// The `(name, value)` pairs of one `Cookie` field value (RFC 6265 §4.2.1: `; `-separated).
fn cookie_pairs(value: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    value
        .split(|&b| b == b';')
        .map(trim_ows)
        .filter_map(split_pair)
}

/// The persistence value the client sent in `request`, which names a server: the whole value
/// in insert and rewrite modes, the part before `~` in prefix mode. `None` if the cookie is
/// absent (or, in prefix mode, has no `~`).
pub fn server_cookie<'h>(policy: &CookiePolicy<'_>, request: &'h Head) -> Option<&'h [u8]> {
    let value = request
        .headers_named("cookie")
        .flat_map(cookie_pairs)
        .find(|(name, _)| *name == policy.name.as_bytes())
        .map(|(_, value)| value)?;
    match policy.mode {
        CookieMode::Prefix => {
            let tilde = value.iter().position(|&b| b == b'~')?;
            Some(&value[..tilde])
        }
        CookieMode::Insert | CookieMode::Rewrite => Some(value),
    }
}

/// What happens to one `Cookie` request field on its way to the server.
pub(super) fn edit_request_cookie(
    policy: &CookiePolicy<'_>,
    value: &[u8],
    mut emit: impl FnMut(&[u8]),
) {
    let strip = policy.mode == CookieMode::Insert && policy.indirect;
    let unprefix = policy.mode == CookieMode::Prefix;
    let mut first = true;
    for raw in value.split(|&b| b == b';') {
        let pair = trim_ows(raw);
        if pair.is_empty() {
            continue;
        }
        let mut out_value: Option<&[u8]> = None;
        if let Some((name, val)) = split_pair(pair)
            && name == policy.name.as_bytes()
        {
            if strip {
                continue;
            }
            if unprefix && let Some(tilde) = val.iter().position(|&b| b == b'~') {
                out_value = Some(&val[tilde + 1..]);
            }
        }
        if !first {
            emit(b"; ");
        }
        first = false;
        match out_value {
            Some(v) => {
                emit(policy.name.as_bytes());
                emit(b"=");
                emit(v);
            }
            None => emit(pair),
        }
    }
}

/// Response-side persistence for one transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseCookie<'a> {
    /// The backend's cookie settings.
    pub policy: &'a CookiePolicy<'a>,
    /// The `cookie` value of the server that answered.
    pub server_value: &'a [u8],
    /// True when the request already carried a valid cookie for that server (HAProxy's
    /// "direct" access): no cookie is inserted then.
    pub direct: bool,
}

/// What to do with one `Set-Cookie` field from the server.
pub(super) enum SetCookieAction {
    /// Forward it unchanged.
    Keep,
    /// Drop it.
    Drop,
    /// Forward it with the value of the persistence cookie replaced.
    Replace,
}

impl ResponseCookie<'_> {
    /// True when `value` (a `Set-Cookie` field value) sets the persistence cookie.
    fn sets_our_cookie(&self, value: &[u8]) -> bool {
        let pair = value.split(|&b| b == b';').next().unwrap_or(&[]);
        matches!(split_pair(pair), Some((name, _)) if name == self.policy.name.as_bytes())
    }

    /// True when the server set the persistence cookie in `response`.
    pub fn server_set_cookie(&self, response: &Head) -> bool {
        response
            .headers_named("set-cookie")
            .any(|v| self.sets_our_cookie(v))
    }

    pub(super) fn action(&self, value: &[u8]) -> SetCookieAction {
        if !self.sets_our_cookie(value) || self.policy.preserve {
            return SetCookieAction::Keep;
        }
        match self.policy.mode {
            CookieMode::Insert => SetCookieAction::Drop,
            CookieMode::Rewrite | CookieMode::Prefix => SetCookieAction::Replace,
        }
    }

    /// Writes the modified `Set-Cookie` value for [`SetCookieAction::Replace`].
    pub(super) fn replace(&self, value: &[u8], mut emit: impl FnMut(&[u8])) {
        let split = value.iter().position(|&b| b == b';').unwrap_or(value.len());
        let (pair, attributes) = value.split_at(split);
        let original = split_pair(pair).map(|(_, v)| v).unwrap_or(&[]);
        emit(self.policy.name.as_bytes());
        emit(b"=");
        emit(self.server_value);
        if self.policy.mode == CookieMode::Prefix {
            emit(b"~");
            emit(original);
        }
        emit(attributes);
    }

    /// True when the proxy adds its own `Set-Cookie` to `response`.
    pub fn inserts(&self, response: &Head) -> bool {
        self.policy.mode == CookieMode::Insert
            && !self.direct
            && !(self.policy.preserve && self.server_set_cookie(response))
    }

    /// True when the persistence cookie is inserted or modified in `response`.
    pub fn touches(&self, response: &Head) -> bool {
        self.inserts(response)
            || (!self.policy.preserve
                && self.policy.mode != CookieMode::Insert
                && self.server_set_cookie(response))
    }

    /// Writes the value of the inserted `Set-Cookie` field.
    pub(super) fn inserted_value(&self, mut emit: impl FnMut(&[u8])) {
        emit(self.policy.name.as_bytes());
        emit(b"=");
        emit(self.server_value);
        emit(b"; path=/");
        if let Some(domain) = self.policy.domain {
            emit(b"; domain=");
            emit(domain.as_bytes());
        }
        if self.policy.httponly {
            emit(b"; HttpOnly");
        }
        if self.policy.secure {
            emit(b"; Secure");
        }
    }

    /// True when `Cache-Control: private` must be added to `response`.
    pub fn adds_cache_private(&self, response: &Head) -> bool {
        self.policy.nocache && self.touches(response) && !forbids_shared_cache(response)
    }
}

/// True when `response` already has `Cache-Control: private`, `no-cache` or `no-store`.
fn forbids_shared_cache(response: &Head) -> bool {
    response
        .headers_named("cache-control")
        .flat_map(list_items)
        .any(|d| {
            let name = d.split(|&b| b == b'=').next().unwrap_or(d);
            let name = trim_ows(name);
            eq_ignore_case(name, b"private")
                || eq_ignore_case(name, b"no-cache")
                || eq_ignore_case(name, b"no-store")
        })
}

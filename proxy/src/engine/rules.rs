//! ACL evaluation and `http-request`/`http-response` rule execution against one request.
//!
//! ACLs are evaluated against the request as the client sent it: header edits made by earlier
//! rules are collected as [`HeaderOp`]s for the codec's rewrite and are not visible to later
//! ACLs (HAProxy applies them in place; with the literal values the parser accepts, the only
//! difference is a rule testing a header an earlier rule of the same request set).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::net::IpAddr;

use crate::config::{
    Acl, AclRef, AclTest, BuiltinAcl, Condition, Fetch, HttpRequestAction, HttpRequestRule,
    HttpResponseAction, HttpResponseRule, Redirect, RedirectKind,
};
use crate::http::{Head, HeaderOp};

/// What ACLs can look at.
#[derive(Debug, Clone, Copy)]
pub struct RequestView<'a> {
    /// The request head, if the proxy is in HTTP mode.
    pub head: Option<&'a Head>,
    /// The client's address.
    pub src: IpAddr,
}

/// The path of a request target: origin-form up to `?`, or the path of an absolute-form
/// target (`http://host/path?q` gives `/path`).
pub fn path_of(target: &str) -> &str {
    let without_query = target.split(['?', '#']).next().unwrap_or(target);
    if without_query.starts_with('/') {
        return without_query;
    }
    match without_query.find("://") {
        Some(scheme_end) => {
            let rest = &without_query[scheme_end + 3..];
            match rest.find('/') {
                Some(slash) => &rest[slash..],
                None => "/",
            }
        }
        None => without_query,
    }
}

/// Whether one ACL test matches.
pub fn test_matches(test: &AclTest, req: &RequestView<'_>) -> bool {
    match &test.fetch {
        Fetch::Src => test.matcher.matches_ip(req.src),
        Fetch::Path => {
            let path = req.head.and_then(Head::target).map(path_of);
            test.matcher.matches_str(path)
        }
        Fetch::Method => test.matcher.matches_str(req.head.and_then(Head::method)),
        Fetch::Header(name) => {
            let Some(head) = req.head else {
                return false;
            };
            // hdr() sees each comma-separated value of each field on its own (manual 7.3.6),
            // as bytes: a value that is not UTF-8 is matched, not skipped.
            head.headers_named(name)
                .flat_map(|v| v.split(|&b| b == b','))
                .any(|v| test.matcher.matches_bytes(Some(v.trim_ascii())))
        }
    }
}

fn builtin_matches(acl: BuiltinAcl, req: &RequestView<'_>) -> bool {
    match acl {
        BuiltinAcl::True => true,
        BuiltinAcl::False => false,
        BuiltinAcl::Localhost => match req.src {
            IpAddr::V4(a) => a.is_loopback(),
            IpAddr::V6(a) => {
                a.is_loopback() || a.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
            }
        },
        other => req
            .head
            .and_then(Head::method)
            .is_some_and(|m| other.methods().contains(&m)),
    }
}

/// Whether an ACL reference matches.
pub fn acl_matches(acls: &[Acl], acl: &AclRef, req: &RequestView<'_>) -> bool {
    match acl {
        AclRef::Named(i) => acls
            .get(*i)
            .is_some_and(|a| a.tests.iter().any(|t| test_matches(t, req))),
        AclRef::Builtin(b) => builtin_matches(*b, req),
        AclRef::Anonymous(test) => test_matches(test, req),
    }
}

/// Whether a rule's condition holds (`None`: always).
pub fn condition_holds(acls: &[Acl], cond: Option<&Condition>, req: &RequestView<'_>) -> bool {
    cond.is_none_or(|c| c.evaluate(|r| acl_matches(acls, r, req)))
}

/// What the `http-request` rules decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestVerdict<'c> {
    /// Forward the request (with the collected header operations).
    Forward,
    /// Answer with this status (`deny`).
    Deny(u16),
    /// Answer with a redirect.
    Redirect(&'c Redirect),
}

/// Runs `http-request` rules in order, appending header operations to `ops`. Stops at the
/// first `allow`, `deny` or `redirect` (manual 4.2 "http-request": these are final).
pub fn run_request_rules<'c>(
    rules: &'c [HttpRequestRule],
    acls: &[Acl],
    req: &RequestView<'_>,
    ops: &mut Vec<HeaderOp<'c>>,
) -> RequestVerdict<'c> {
    for rule in rules {
        if !condition_holds(acls, rule.condition.as_ref(), req) {
            continue;
        }
        match &rule.action {
            HttpRequestAction::Allow => return RequestVerdict::Forward,
            HttpRequestAction::Deny { status } => return RequestVerdict::Deny(*status),
            HttpRequestAction::Redirect(r) => return RequestVerdict::Redirect(r),
            HttpRequestAction::AddHeader { name, value } => ops.push(HeaderOp::Add {
                name,
                value: value.as_bytes(),
            }),
            HttpRequestAction::SetHeader { name, value } => ops.push(HeaderOp::Set {
                name,
                value: value.as_bytes(),
            }),
            HttpRequestAction::DelHeader { name } => ops.push(HeaderOp::Del { name }),
        }
    }
    RequestVerdict::Forward
}

/// Runs `http-response` rules (conditions evaluated against the request), appending header
/// operations to `ops`.
pub fn run_response_rules<'c>(
    rules: &'c [HttpResponseRule],
    acls: &[Acl],
    req: &RequestView<'_>,
    ops: &mut Vec<HeaderOp<'c>>,
) {
    for rule in rules {
        if !condition_holds(acls, rule.condition.as_ref(), req) {
            continue;
        }
        ops.push(match &rule.action {
            HttpResponseAction::AddHeader { name, value } => HeaderOp::Add {
                name,
                value: value.as_bytes(),
            },
            HttpResponseAction::SetHeader { name, value } => HeaderOp::Set {
                name,
                value: value.as_bytes(),
            },
            HttpResponseAction::DelHeader { name } => HeaderOp::Del { name },
        });
    }
}

/// The `Location` of a redirect for `head` (manual 4.2 "redirect").
pub fn redirect_location(redirect: &Redirect, head: &Head) -> String {
    if redirect.kind == RedirectKind::Location {
        return redirect.target.clone();
    }
    let target = head.target().unwrap_or("/");
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    let mut uri = String::from(path);
    if redirect.append_slash && !uri.ends_with('/') {
        uri.push('/');
    }
    if let (Some(q), false) = (query, redirect.drop_query) {
        uri.push('?');
        uri.push_str(q);
    }
    match redirect.kind {
        RedirectKind::Prefix if redirect.target == "/" => uri,
        RedirectKind::Prefix => format!("{}{}", redirect.target.trim_end_matches('/'), uri),
        _ => {
            let host = head
                .header("host")
                .and_then(|h| core::str::from_utf8(h).ok())
                .unwrap_or("");
            format!("{}://{}{}", redirect.target, host, uri)
        }
    }
}

/// The reason phrase HAProxy uses for a redirect code.
fn redirect_reason(code: u16) -> &'static str {
    match code {
        301 => "Moved Permanently",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        _ => "Found",
    }
}

/// The complete redirect response.
pub fn redirect_response(code: u16, location: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {code} {}\r\nContent-length: 0\r\nLocation: {location}\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
        redirect_reason(code)
    )
    .into_bytes()
}

/// The `monitor-uri` answer (HAProxy answers 200 with a short HTML page).
pub const MONITOR_OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-length: 58\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n";

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn paths() {
        assert_eq!(path_of("/a/b?c=d"), "/a/b");
        assert_eq!(path_of("http://h:80/x?y"), "/x");
        assert_eq!(path_of("http://h"), "/");
        assert_eq!(path_of("*"), "*");
    }

    /// Parses `acl` lines in a frontend and evaluates each named ACL against a request.
    fn acl_results(acl_lines: &str, request: &[u8], src: &str) -> Vec<(String, bool)> {
        let text = format!(
            "defaults\n mode http\n timeout client 1s\n timeout server 1s\nfrontend f\n bind :80\n{acl_lines}\n default_backend b\nbackend b\n server s 10.0.0.1:80\n"
        );
        let parsed = crate::config::parse("t.cfg", &text).expect("config");
        let fe = &parsed.config.frontends[0];
        let mut client = crate::http::ClientSide::new(crate::http::Limits::default());
        let step = client.read(request).expect("request");
        assert_eq!(step.event, crate::http::Event::Head);
        let view = RequestView {
            head: Some(client.request()),
            src: src.parse().expect("ip"),
        };
        fe.acls
            .iter()
            .enumerate()
            .map(|(i, a)| {
                (
                    a.name.clone(),
                    acl_matches(&fe.acls, &AclRef::Named(i), &view),
                )
            })
            .collect()
    }

    #[test]
    fn acl_criteria_match_the_request() {
        let got = acl_results(
            " acl css path_end .css\n acl api path_beg /api/\n acl exact path /api/v1/x.css\n acl mobile hdr_beg(user-agent) -i mozilla/5.0\n acl json hdr(accept) application/json\n acl post method POST\n acl lan src 10.0.0.0/8 192.168.0.0/16\n acl nohost hdr(x-none) -m found",
            b"POST /api/v1/x.css?q=1 HTTP/1.1\r\nHost: a\r\nUser-Agent: MOZILLA/5.0 (phone)\r\nAccept: text/html, application/json\r\nContent-Length: 0\r\n\r\n",
            "192.168.1.20",
        );
        let expect = [
            ("css", true),
            ("api", true),
            ("exact", true),
            ("mobile", true),
            ("json", true),
            ("post", true),
            ("lan", true),
            ("nohost", false),
        ];
        for ((name, result), (want_name, want)) in got.iter().zip(expect) {
            assert_eq!((name.as_str(), *result), (want_name, want));
        }
        let got = acl_results(
            " acl lan src 10.0.0.0/8\n acl get method GET",
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
            "203.0.113.9",
        );
        assert_eq!(got, [("lan".to_string(), false), ("get".to_string(), true)]);
    }

    #[test]
    fn header_acls_match_bytes_that_are_not_utf8() {
        // A value is matched as the bytes it is: an attacker's `\xff` must not hide a match.
        let got = acl_results(
            " acl scanner hdr_sub(user-agent) -i sqlmap\n acl odd hdr_beg(x-odd) ab",
            b"GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: sqlmap\xff/1.0\r\nX-Odd: ab\xfe\r\n\r\n",
            "192.0.2.1",
        );
        assert_eq!(got[0], ("scanner".to_string(), true));
        assert_eq!(got[1], ("odd".to_string(), true));
    }

    #[test]
    fn monitor_page_length_matches() {
        let text = core::str::from_utf8(MONITOR_OK).unwrap_or("");
        let (_, body) = text.split_once("\r\n\r\n").unwrap_or(("", ""));
        assert_eq!(body.len(), 58);
    }
}

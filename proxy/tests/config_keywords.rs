//! What the keyword tables put into error texts, pinned whole: the "supported" lists read from
//! the tables, and how errors name a line's keyword (`timeout client`, `no option httplog`).
//! A new keyword changes these lists on purpose; nothing else may.

use proxy::config::{self, ConfigError};

fn err(text: &str) -> ConfigError {
    match config::parse("t.cfg", text) {
        Ok(parsed) => panic!("expected an error, got {:#?}", parsed.config),
        Err(e) => e,
    }
}

/// The rendered error and the keyword it names.
fn shown(text: &str) -> (String, Option<String>) {
    let e = err(text);
    (e.to_string(), e.keyword)
}

#[test]
fn unknown_names_list_what_the_tables_hold() {
    assert_eq!(
        shown("global\n    spread-checks 5\n").0,
        "t.cfg:2:5: unknown keyword 'spread-checks' in global section (not supported by bareproxy; \
         supported: log, maxconn, tune.bufsize, tune.http.maxhdr, tune.maxrewrite)"
    );
    assert_eq!(
        shown("backend b\n    bind :80\n").0,
        "t.cfg:2:5: 'bind' is not allowed in a backend section"
    );
    assert_eq!(
        shown("backend b\n    tcp-request content accept\n").0,
        "t.cfg:2:5: unknown keyword 'tcp-request' in backend section 'b' (not supported by \
         bareproxy; supported: acl, balance, cookie, http-check, http-request, http-response, \
         log, mode, no, option, retries, server, stats, timeout)"
    );
    assert_eq!(
        shown("defaults\n    tcp-request content accept\n").0,
        "t.cfg:2:5: unknown keyword 'tcp-request' in defaults section (not supported by \
         bareproxy; supported: balance, cookie, default_backend, http-check, log, maxconn, mode, \
         monitor-uri, no, option, retries, stats, timeout)"
    );
    assert_eq!(
        shown("defaults\n    option abortonclose\n"),
        (
            "t.cfg:2:12: unknown option 'abortonclose' in defaults section '' (not supported by \
             bareproxy; supported options: dontlognull, forwardfor, http-keep-alive, \
             http-server-close, httpchk, httpclose, httplog, redispatch, tcplog)"
                .to_string(),
            Some("option abortonclose".to_string())
        )
    );
    assert_eq!(
        shown("defaults\n    timeout tarpit 1s\n"),
        (
            "t.cfg:2:13: unknown keyword 'timeout tarpit' (not supported by bareproxy; \
             supported timeouts: check, client, connect, http-keep-alive, http-request, queue, server, tunnel)"
                .to_string(),
            Some("timeout tarpit".to_string())
        )
    );
    assert_eq!(
        shown("defaults\n    stats hide-version\n"),
        (
            "t.cfg:2:11: unknown keyword 'stats hide-version' (not supported by bareproxy; \
             supported: stats enable, stats uri, stats auth, stats refresh)"
                .to_string(),
            Some("stats hide-version".to_string())
        )
    );
    assert_eq!(
        shown("defaults\n    stats\n").0,
        "t.cfg:2:11: 'stats' needs one of enable, uri, auth, refresh"
    );
}

#[test]
fn errors_name_the_keyword_as_its_entry_says() {
    let named = |text: &str| shown(text).1;
    assert_eq!(
        named("defaults\n    no option httplog x\n").as_deref(),
        Some("no option httplog")
    );
    assert_eq!(named("defaults\n    no nothing\n").as_deref(), Some("no"));
    assert_eq!(
        named("defaults\n    option redispatch 5\n").as_deref(),
        Some("option redispatch")
    );
    assert_eq!(named("defaults\n    option\n").as_deref(), Some("option"));
    assert_eq!(
        named("defaults\n    http-check send\n").as_deref(),
        Some("http-check send")
    );
    assert_eq!(
        named("frontend f\n    bind :80\n    http-request tarpit\n").as_deref(),
        Some("http-request tarpit")
    );
    assert_eq!(named("defaults\n    mode ftp\n").as_deref(), Some("mode"));
    // `global` keywords are named by their first word, and an unknown one the way a proxy
    // keyword of that name would be.
    assert_eq!(named("global\n    maxconn 0\n").as_deref(), Some("maxconn"));
    assert_eq!(
        named("global\n    option httplog\n").as_deref(),
        Some("option httplog")
    );
}

#[test]
fn stats_sub_keyword_errors_name_the_sub_keyword() {
    // `stats auth` without a password fails; the message names the sub-keyword.
    assert_eq!(
        shown("defaults\n    stats auth admin\n").0,
        "t.cfg:2:16: 'stats auth' needs <user>:<password>"
    );
    assert_eq!(
        shown("defaults\n    stats enable now\n").0,
        "t.cfg:2:18: unexpected 'now' after 'stats enable'"
    );
}

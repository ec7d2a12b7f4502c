//! `Display` renders a configuration that parses back to an equal model, and rendering is a
//! fixed point: parse -> render -> parse -> render gives the same text.

use proxy::config::{self, Config};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/data/config/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

#[track_caller]
fn assert_round_trip(name: &str, text: &str) -> Config {
    let first = config::parse(name, text)
        .unwrap_or_else(|e| panic!("{e}"))
        .config;
    let rendered = first.to_string();
    let second = config::parse("rendered.cfg", &rendered)
        .unwrap_or_else(|e| panic!("rendered {name} does not parse: {e}\n{rendered}"))
        .config;
    assert_eq!(
        first, second,
        "{name} changed through rendering:\n{rendered}"
    );
    assert_eq!(
        rendered,
        second.to_string(),
        "{name}: rendering is not a fixed point"
    );
    first
}

#[test]
fn fixtures_and_demo_round_trip() {
    for name in [
        "manual-simple.cfg",
        "manual-listen.cfg",
        "full.cfg",
        "ipv6.cfg",
    ] {
        assert_round_trip(name, &fixture(name));
    }
    assert_round_trip("demo.cfg", config::DEMO_CONFIG);
}

#[test]
fn awkward_values_round_trip() {
    let text = r#"
frontend "odd"
    mode http
    bind :80
    timeout client 1500us
    acl a path -i -- -dash "with space" 'quote"s' back\\slash hash\#
    acl b hdr_sub(X-Y) '$dollar' 100%
    acl c method -m beg PO
    acl d src 10.1.2.3/255.255.0.0 ::ffff:0:0/96
    http-request set-header X-Q "say \"hi\" 100%% # \$HOME"
    http-request redirect scheme https code 308 drop-query append-slash unless a b or !c
    http-request deny deny_status 451 if ! { path_end .php } d
    http-response add-header Set-Thing 'a=b; c'
    stats enable
    stats auth "us er:pa ss"
    default_backend odd

backend odd
    mode http
    timeout connect 1d
    timeout server 90s
    cookie C rewrite
    option httpchk OPTIONS "/a%20b?c=#1" HTTP/1.1
    option forwardfor header X-Real-IP if-none except 2001:db8::/32
    server s 10.0.0.1:80 cookie x\#y
"#;
    let c = assert_round_trip("awkward.cfg", text);
    let fe = &c.frontends[0];
    let config::Matcher::Str { patterns, .. } = &fe.acls[0].tests[0].matcher else {
        panic!()
    };
    assert_eq!(
        patterns,
        &["-dash", "with space", "quote\"s", "back\\slash", "hash#"]
    );
    assert_eq!(c.backends[0].servers[0].cookie.as_deref(), Some("x#y"));
    assert_eq!(
        c.backends[0].http_check.as_ref().unwrap().uri,
        "/a%20b?c=#1"
    );
}

//! Invalid configurations: each error is checked for its kind and exact line (and column where
//! it matters), and its message for the words a user needs.

use proxy::config::{self, ConfigError, ErrorKind, limits};

fn err(text: &str) -> ConfigError {
    match config::parse("t.cfg", text) {
        Ok(parsed) => panic!("expected an error, got {:#?}", parsed.config),
        Err(e) => e,
    }
}

/// Asserts kind, line and message fragments of the error `text` produces.
#[track_caller]
fn check(text: &str, line: u32, kind: ErrorKind, fragments: &[&str]) {
    let e = err(text);
    assert_eq!((e.line, e.kind), (line, kind), "{e}\n--- in ---\n{text}");
    let shown = e.to_string();
    assert!(shown.starts_with(&format!("t.cfg:{line}:")), "{shown}");
    for f in fragments {
        assert!(shown.contains(f), "{shown:?} lacks {f:?}");
    }
}

const BACKEND: &str = "backend b\n timeout connect 1s\n timeout server 1s\n server s 10.0.0.1:80\n";

#[test]
fn unknown_keyword_message_names_file_line_column_keyword_and_alternatives() {
    let e = err("frontend web\n    bind :80\n    tcp-request content accept\n");
    assert_eq!(e.kind, ErrorKind::UnknownKeyword);
    assert_eq!((e.line, e.column), (3, Some(5)));
    assert_eq!(e.keyword.as_deref(), Some("tcp-request"));
    assert_eq!(
        e.to_string(),
        "t.cfg:3:5: unknown keyword 'tcp-request' in frontend section 'web' (not supported by \
         bareproxy; supported: acl, bind, default_backend, http-request, http-response, log, \
         maxconn, mode, monitor-uri, no, option, stats, timeout, use_backend)"
    );
}

#[test]
fn unknown_keywords_options_and_sections() {
    check(
        "global\n    spread-checks 5\n",
        2,
        ErrorKind::UnknownKeyword,
        &[
            "'spread-checks'",
            "global section",
            "supported: log, maxconn",
        ],
    );
    check(
        "defaults\n option abortonclose\n",
        2,
        ErrorKind::UnknownKeyword,
        &["option 'abortonclose'", "supported options: dontlognull"],
    );
    check(
        "defaults\n timeout tarpit 1h\n",
        2,
        ErrorKind::UnknownKeyword,
        &["timeout tarpit", "supported timeouts"],
    );
    check(
        "backend b\n stats admin if TRUE\n",
        2,
        ErrorKind::UnknownKeyword,
        &["stats admin"],
    );
    check(
        "backend b\n default-server inter 1s\n",
        2,
        ErrorKind::UnknownKeyword,
        &["'default-server'", "backend section 'b'"],
    );
    check(
        "global\n maxconn 10\n\npeers mypeers\n",
        4,
        ErrorKind::UnknownSection,
        &["section 'peers'"],
    );
    check(
        "userlist admins\n",
        1,
        ErrorKind::UnknownSection,
        &["section 'userlist'"],
    );
    check(
        "# comment\nbind :80\n",
        2,
        ErrorKind::UnknownSection,
        &["outside of any section"],
    );
    check(".if defined(X)\n", 1, ErrorKind::Unsupported, &["'.if'"]);
    check(
        "frontend f\n bind :80\n no http-reuse\n",
        3,
        ErrorKind::Unsupported,
        &["'no http-reuse'"],
    );
}

#[test]
fn keywords_are_case_sensitive() {
    check(
        "Frontend f\n",
        1,
        ErrorKind::UnknownSection,
        &["'Frontend'"],
    );
    check(
        "frontend f\n Bind :80\n",
        2,
        ErrorKind::UnknownKeyword,
        &["'Bind'"],
    );
    check(
        "frontend f\n bind :80\n mode HTTP\n",
        3,
        ErrorKind::InvalidValue,
        &["unknown mode 'HTTP'"],
    );
}

#[test]
fn keywords_in_the_wrong_section() {
    check(
        "backend b\n bind :80\n",
        2,
        ErrorKind::NotAllowedHere,
        &["'bind' is not allowed in a backend section"],
    );
    check(
        "frontend f\n bind :80\n server s 10.0.0.1:80\n",
        3,
        ErrorKind::NotAllowedHere,
        &["'server'"],
    );
    check(
        "defaults\n acl a path /\n",
        2,
        ErrorKind::NotAllowedHere,
        &["'acl'"],
    );
    check(
        "defaults\n use_backend b\n",
        2,
        ErrorKind::NotAllowedHere,
        &["'use_backend'"],
    );
    check(
        "frontend f\n bind :80\n option httpchk\n",
        3,
        ErrorKind::NotAllowedHere,
        &["'option httpchk'", "frontend"],
    );
    check(
        "backend b\n option httplog\n",
        2,
        ErrorKind::NotAllowedHere,
        &["'option httplog'"],
    );
    check(
        "frontend f\n bind :1\n timeout server 1s\n",
        3,
        ErrorKind::NotAllowedHere,
        &["'timeout server'"],
    );
    check(
        "backend b\n maxconn 10\n",
        2,
        ErrorKind::NotAllowedHere,
        &["'maxconn'"],
    );
    check(
        "frontend f\n bind :1\n balance roundrobin\n",
        3,
        ErrorKind::NotAllowedHere,
        &["'balance'"],
    );
}

#[test]
fn section_headers() {
    check(
        "frontend\n",
        1,
        ErrorKind::MissingArgument,
        &["needs a name"],
    );
    check(
        "listen web 0.0.0.0:80\n",
        1,
        ErrorKind::Unsupported,
        &["'bind' line"],
    );
    check(
        "backend b from defs\n",
        1,
        ErrorKind::Unsupported,
        &["'from <defaults>'"],
    );
    check("backend bad/name\n", 1, ErrorKind::InvalidValue, &["'/'"]);
    check(
        "global extra\n",
        1,
        ErrorKind::InvalidValue,
        &["unexpected 'extra'"],
    );
}

#[test]
fn backend_references() {
    check(
        "frontend f\n bind :80\n use_backend nope if TRUE\n",
        3,
        ErrorKind::UnknownBackend,
        &["unknown backend 'nope'"],
    );
    check(
        "frontend f\n bind :80\n default_backend nope\n",
        3,
        ErrorKind::UnknownBackend,
        &["'nope'"],
    );
    check(
        "frontend f\n bind :80\n default_backend g\nfrontend g\n bind :81\n",
        3,
        ErrorKind::UnknownBackend,
        &["a frontend has that name"],
    );
    // Inherited default_backend is reported at the defaults line.
    check(
        "defaults\n default_backend gone\nfrontend f\n bind :80\n",
        2,
        ErrorKind::UnknownBackend,
        &["'gone'"],
    );
    check(
        "frontend f\n bind :80\n use_backend %[req.hdr(host)]\n",
        3,
        ErrorKind::Unsupported,
        &["dynamic backend names"],
    );
}

#[test]
fn errors_name_the_keyword_of_the_line() {
    let e = err("frontend f\n bind :80\n use_backend nope\n");
    assert_eq!(e.keyword.as_deref(), Some("use_backend"));
    let e = err("frontend f\n bind :80\n default_backend nope\n");
    assert_eq!(e.keyword.as_deref(), Some("default_backend"));
    let e = err("backend b\n option httpchk GET health\n");
    assert_eq!(
        (e.keyword.as_deref(), e.column),
        (Some("option httpchk"), Some(21))
    );
    let e = err("defaults\n timeout client 5x\n");
    assert_eq!(
        (e.keyword.as_deref(), e.column),
        (Some("timeout client"), Some(17))
    );
}

#[test]
fn duplicates() {
    check(
        "backend a\nbackend a\n",
        2,
        ErrorKind::Duplicate,
        &["backend 'a' has the same name as the backend declared at line 1"],
    );
    check(
        "listen x\n bind :1\nfrontend x\n bind :2\n",
        3,
        ErrorKind::Duplicate,
        &["listen declared at line 1"],
    );
    check(
        "backend x\nlisten x\n bind :2\n",
        2,
        ErrorKind::Duplicate,
        &["'x'"],
    );
    check(
        "backend b\n server s 10.0.0.1:1\n server t 10.0.0.2:1\n server s 10.0.0.3:1\n",
        4,
        ErrorKind::Duplicate,
        &["duplicate server name 's'", "line 2"],
    );
    check(
        &format!(
            "frontend a\n bind :80\n default_backend b\nfrontend c\n bind *:80\n default_backend b\n{BACKEND}"
        ),
        5,
        ErrorKind::Duplicate,
        &["0.0.0.0:80 is already bound by frontend 'a'"],
    );
    check(
        "frontend a\n bind :::80 v4v6\n bind :80\n",
        3,
        ErrorKind::Duplicate,
        &["0.0.0.0:80"],
    );
    // A frontend and a backend may share a name, as in HAProxy.
    config::parse(
        "t.cfg",
        "frontend web\n bind :80\n default_backend web\nbackend web\n server s 10.0.0.1:1\n",
    )
    .unwrap();
}

#[test]
fn http_only_keywords_in_tcp_mode() {
    let cases: &[(&str, u32, &str)] = &[
        (
            "frontend f\n mode tcp\n bind :80\n http-request deny\n",
            4,
            "'http-request'",
        ),
        (
            "frontend f\n bind :80\n http-response del-header Server\n",
            3,
            "'http-response'",
        ),
        // The mode is known only at the end of the section; the error still points at the use.
        (
            "frontend f\n bind :80\n acl api path_beg /api\n mode tcp\n",
            3,
            "acl 'api' (path_beg)",
        ),
        (
            "frontend f\n bind :80\n monitor-uri /ok\n",
            3,
            "'monitor-uri'",
        ),
        (
            "frontend f\n bind :80\n option httplog\n",
            3,
            "'option httplog'",
        ),
        (
            "frontend f\n bind :80\n option forwardfor\n",
            3,
            "'option forwardfor'",
        ),
        (
            "frontend f\n bind :80\n timeout http-request 5s\n",
            3,
            "'timeout http-request'",
        ),
        ("backend b\n cookie SRV insert\n", 2, "'cookie'"),
        ("backend b\n stats enable\n", 2, "'stats enable'"),
        ("backend b\n stats uri /s\n", 2, "'stats uri'"),
        ("backend b\n balance uri\n", 2, "'balance uri'"),
        (
            "frontend f\n bind :80\n use_backend b if { hdr(host) x }\n",
            3,
            "anonymous ACL",
        ),
        (
            "frontend f\n bind :80\n use_backend b if METH_POST\n",
            3,
            "'METH_POST'",
        ),
    ];
    for (text, line, what) in cases {
        check(
            text,
            *line,
            ErrorKind::HttpOnlyInTcpMode,
            &[what, "needs 'mode http'", "mode tcp"],
        );
    }
    // `src` works in TCP mode.
    config::parse(
        "t.cfg",
        &format!(
            "frontend f\n bind :80\n acl lan src 10.0.0.0/8\n use_backend b if lan\n{BACKEND}"
        ),
    )
    .unwrap();
}

#[test]
fn mode_mismatch() {
    check(
        "frontend f\n mode http\n bind :80\n default_backend b\nbackend b\n server s 10.0.0.1:1\n",
        4,
        ErrorKind::ModeMismatch,
        &["frontend 'f' (mode http) cannot use backend 'b' (mode tcp)"],
    );
    check(
        "frontend f\n bind :80\n use_backend b if TRUE\nbackend b\n mode http\n server s 10.0.0.1:1\n",
        3,
        ErrorKind::ModeMismatch,
        &["(mode tcp)", "(mode http)"],
    );
}

#[test]
fn addresses_and_ports() {
    check(
        "frontend f\n bind :0\n",
        2,
        ErrorKind::InvalidValue,
        &["port '0'"],
    );
    check(
        "frontend f\n bind :65536\n",
        2,
        ErrorKind::InvalidValue,
        &["65536"],
    );
    check(
        "frontend f\n bind *\n",
        2,
        ErrorKind::InvalidValue,
        &["has no port"],
    );
    check(
        "frontend f\n bind :8000-8010\n",
        2,
        ErrorKind::InvalidValue,
        &["port ranges"],
    );
    check(
        "frontend f\n bind /run/web.sock\n",
        2,
        ErrorKind::InvalidValue,
        &["UNIX socket"],
    );
    check(
        "frontend f\n bind :443 ssl crt /x.pem\n",
        2,
        ErrorKind::Unsupported,
        &["bind option 'ssl'"],
    );
    check(
        "frontend f\n bind :80,web.lan:81\n",
        2,
        ErrorKind::InvalidValue,
        &["no DNS resolver"],
    );
    check(
        "backend b\n server s web1.example.com:80\n",
        2,
        ErrorKind::InvalidValue,
        &["'web1.example.com' is a hostname", "no DNS resolver"],
    );
    check(
        "backend b\n server s 10.0.0.1:70000\n",
        2,
        ErrorKind::InvalidValue,
        &["70000"],
    );
    check(
        "backend b\n server s 10.0.0.1\n",
        2,
        ErrorKind::InvalidValue,
        &["has no port"],
    );
    check(
        "backend b\n server s 2001:db8::1\n",
        2,
        ErrorKind::InvalidValue,
        &["[ADDRESS]:PORT"],
    );
    check(
        "backend b\n server s 10.0.0.1:80 ssl\n",
        2,
        ErrorKind::Unsupported,
        &["server option 'ssl'", "supported: weight"],
    );
    // In a proxy section a UNIX socket is still an error (in `global` it is a warning).
    check(
        "frontend f\n log /dev/log local0\n",
        2,
        ErrorKind::InvalidValue,
        &["UNIX socket"],
    );
    check(
        "global\n log 127.0.0.1 local9\n",
        2,
        ErrorKind::InvalidValue,
        &["unknown syslog facility 'local9'"],
    );
    check(
        "global\n log 127.0.0.1 local0 loud\n",
        2,
        ErrorKind::InvalidValue,
        &["unknown syslog level 'loud'"],
    );
    check(
        "global\n log 127.0.0.1 len 20 local0\n",
        2,
        ErrorKind::InvalidValue,
        &["80..=65535"],
    );
    check(
        "global\n log 127.0.0.1\n",
        2,
        ErrorKind::MissingArgument,
        &["facility"],
    );
}

#[test]
fn numbers_weights_and_limits() {
    check(
        "backend b\n server s 10.0.0.1:80 weight 257\n",
        2,
        ErrorKind::InvalidValue,
        &["0..=256"],
    );
    check(
        "backend b\n server s 10.0.0.1:80 weight -1\n",
        2,
        ErrorKind::InvalidValue,
        &["'-1'"],
    );
    check(
        "backend b\n server s 10.0.0.1:80 weight\n",
        2,
        ErrorKind::MissingArgument,
        &["weight"],
    );
    check(
        "backend b\n server s 10.0.0.1:80 rise 0\n",
        2,
        ErrorKind::InvalidValue,
        &["1..=1000"],
    );
    check(
        "backend b\n server s 10.0.0.1:80 inter 0\n",
        2,
        ErrorKind::InvalidValue,
        &["greater than zero"],
    );
    check(
        "backend b\n server s 10.0.0.1:80 maxconn 70000\n",
        2,
        ErrorKind::InvalidValue,
        &["70000"],
    );
    check(
        "global\n maxconn 0\n",
        2,
        ErrorKind::InvalidValue,
        &["1..=65535"],
    );
    check(
        "backend b\n retries 1000\n",
        2,
        ErrorKind::InvalidValue,
        &["0..=100"],
    );
    check(
        "defaults\n timeout client 25d\n",
        2,
        ErrorKind::InvalidValue,
        &["timer overflow"],
    );
    check(
        "defaults\n timeout client 5x\n",
        2,
        ErrorKind::InvalidValue,
        &["unknown time unit 'x'"],
    );
    check(
        "defaults\n timeout client\n",
        2,
        ErrorKind::MissingArgument,
        &["duration"],
    );
    check(
        "backend b\n http-check expect status 600\n",
        2,
        ErrorKind::InvalidValue,
        &["100..=599"],
    );

    let mut servers = String::from("backend b\n");
    for i in 0..=limits::MAX_SERVERS_PER_BACKEND {
        servers.push_str(&format!(" server s{i} 10.0.0.1:{}\n", i + 1));
    }
    check(
        &servers,
        limits::MAX_SERVERS_PER_BACKEND as u32 + 2,
        ErrorKind::Limit,
        &["too many servers"],
    );

    let mut proxies = String::new();
    for i in 0..=limits::MAX_PROXIES {
        proxies.push_str(&format!("backend b{i}\n"));
    }
    check(
        &proxies,
        limits::MAX_PROXIES as u32 + 1,
        ErrorKind::Limit,
        &["too many backends"],
    );

    let long = format!("global\n log {}\n", "x".repeat(limits::MAX_LINE_BYTES));
    check(&long, 2, ErrorKind::Limit, &["bytes long"]);
    let many = format!(
        "backend b\n server s 10.0.0.1:80{}\n",
        " check".repeat(limits::MAX_WORDS_PER_LINE)
    );
    check(&many, 2, ErrorKind::Limit, &["too many words"]);
    let huge = "#".repeat(limits::MAX_CONFIG_BYTES + 1);
    let e = err(&huge);
    assert_eq!((e.kind, e.line), (ErrorKind::Limit, 0));
    assert!(e.to_string().starts_with("t.cfg: configuration is"), "{e}");
}

#[test]
fn lexical_errors_point_at_the_column() {
    let e = err("global\n  log \"127.0.0.1 local0\n");
    assert_eq!((e.kind, e.line, e.column), (ErrorKind::Syntax, 2, Some(7)));
    assert!(
        e.to_string().starts_with("t.cfg:2:7: unterminated quote"),
        "{e}"
    );
    check(
        "backend b\n server s 10.0.0.1:80 \\\n   check\n",
        2,
        ErrorKind::Syntax,
        &["not a line continuation"],
    );
    check(
        "global\n log \"${SYSLOG}\" local0\n",
        2,
        ErrorKind::Syntax,
        &["environment variables are not supported"],
    );
    check(
        "global\n log \"$SYSLOG\" local0\n",
        2,
        ErrorKind::Syntax,
        &["environment variables"],
    );
    check(
        "global\n maxconn 1\x07\n",
        2,
        ErrorKind::Syntax,
        &["control character"],
    );
    let e = config::parse_bytes("blob", b"global\n maxconn \xff\n").unwrap_err();
    assert_eq!((e.kind, e.line), (ErrorKind::Syntax, 2));
    assert!(e.to_string().contains("invalid UTF-8"), "{e}");
}

#[test]
fn acls_and_conditions() {
    check(
        "frontend f\n mode http\n bind :80\n use_backend b if is_api\n",
        4,
        ErrorKind::UnknownAcl,
        &["unknown ACL 'is_api'"],
    );
    // Declared after use: HAProxy requires ACLs to be declared first.
    check(
        "frontend f\n mode http\n bind :80\n http-request deny if bad\n acl bad path /x\n",
        4,
        ErrorKind::UnknownAcl,
        &["'bad'"],
    );
    check(
        "frontend f\n mode http\n bind :80\n acl x path_reg ^/a\n",
        4,
        ErrorKind::Unsupported,
        &["regular expressions"],
    );
    check(
        "frontend f\n mode http\n bind :80\n acl x url_param(id) 1\n",
        4,
        ErrorKind::Unsupported,
        &["'url_param(id)'", "supported: path"],
    );
    check(
        "frontend f\n mode http\n bind :80\n acl x path_beg\n",
        4,
        ErrorKind::MissingArgument,
        &["at least one pattern"],
    );
    check(
        "frontend f\n mode http\n bind :80\n acl x\n",
        4,
        ErrorKind::MissingArgument,
        &["criterion"],
    );
    check(
        "frontend f\n mode http\n bind :80\n acl x src 300.0.0.1\n",
        4,
        ErrorKind::InvalidValue,
        &["'300.0.0.1'"],
    );
    check(
        "frontend f\n mode http\n bind :80\n acl x src 10.0.0.0/40\n",
        4,
        ErrorKind::InvalidValue,
        &["0..=32"],
    );
    check(
        "frontend f\n mode http\n bind :80\n http-request deny if\n",
        4,
        ErrorKind::MissingArgument,
        &["at least one ACL"],
    );
    check(
        "frontend f\n mode http\n bind :80\n http-request deny if TRUE or\n",
        4,
        ErrorKind::MissingArgument,
        &["'or'"],
    );
    check(
        "frontend f\n mode http\n bind :80\n http-request deny when TRUE\n",
        4,
        ErrorKind::InvalidValue,
        &["expected 'if' or 'unless'"],
    );
    check(
        "frontend f\n mode http\n bind :80\n http-request deny if {path /x}\n",
        4,
        ErrorKind::Syntax,
        &["separate words"],
    );
    check(
        "frontend f\n mode http\n bind :80\n http-request deny if { path /x\n",
        4,
        ErrorKind::Syntax,
        &["no matching '}'"],
    );
}

#[test]
fn http_rules_and_options() {
    let fe = "frontend f\n mode http\n bind :80\n";
    check(
        &format!("{fe} http-request auth realm x\n"),
        4,
        ErrorKind::Unsupported,
        &["http-request action 'auth'", "supported: allow, deny"],
    );
    check(
        &format!("{fe} http-response deny\n"),
        4,
        ErrorKind::Unsupported,
        &["http-response action 'deny'"],
    );
    check(
        &format!("{fe} http-request set-header X-Src %[src]\n"),
        4,
        ErrorKind::InvalidValue,
        &["log-format expressions"],
    );
    check(
        &format!("{fe} http-request add-header X-Bad \"a\\r\\nInjected: 1\"\n"),
        4,
        ErrorKind::InvalidValue,
        &["control characters"],
    );
    check(
        &format!("{fe} http-request set-header Bad:Name x\n"),
        4,
        ErrorKind::InvalidValue,
        &["'Bad:Name' is not a valid HTTP header name"],
    );
    check(
        &format!("{fe} http-request add-header X-Only-Name\n"),
        4,
        ErrorKind::MissingArgument,
        &["header value"],
    );
    check(
        &format!("{fe} http-request redirect location /x code 304\n"),
        4,
        ErrorKind::InvalidValue,
        &["301, 302, 303, 307, 308"],
    );
    check(
        &format!("{fe} http-request redirect to /x\n"),
        4,
        ErrorKind::InvalidValue,
        &["unknown redirect type 'to'"],
    );
    check(
        &format!("{fe} http-request deny deny_status 99\n"),
        4,
        ErrorKind::InvalidValue,
        &["200..=599"],
    );
    check(
        &format!("{fe} monitor-uri healthz\n"),
        4,
        ErrorKind::InvalidValue,
        &["must start with '/'"],
    );
    check(
        &format!("{fe} option forwardfor header\n"),
        4,
        ErrorKind::MissingArgument,
        &["header name"],
    );
    check(
        &format!("{fe} option httplog clf\n"),
        4,
        ErrorKind::Unsupported,
        &["'option httplog clf'"],
    );
    check(
        &format!("{fe} stats auth nobody\n"),
        4,
        ErrorKind::InvalidValue,
        &["<user>:<password>"],
    );
    let be = "backend b\n mode http\n";
    check(
        &format!("{be} cookie SRV\n"),
        3,
        ErrorKind::MissingArgument,
        &["insert, rewrite or prefix"],
    );
    check(
        &format!("{be} cookie SRV insert rewrite\n"),
        3,
        ErrorKind::InvalidValue,
        &["only one of"],
    );
    check(
        &format!("{be} cookie SRV insert httponly\n"),
        3,
        ErrorKind::Unsupported,
        &["cookie option 'httponly'"],
    );
    check(
        &format!("{be} option httpchk GET /health HTTP/1.1\\r\\nHost:\\ www\n"),
        3,
        ErrorKind::Unsupported,
        &["HTTP version"],
    );
    check(
        &format!("{be} option httpchk GET /health HTTP/1.1 extra\n"),
        3,
        ErrorKind::InvalidValue,
        &["unexpected 'extra'"],
    );
    check(
        &format!("{be} http-check send meth GET\n"),
        3,
        ErrorKind::Unsupported,
        &["'http-check send'"],
    );
    check(
        &format!("{be} http-check expect string OK\n"),
        3,
        ErrorKind::Unsupported,
        &["'http-check expect string'"],
    );
    check(
        &format!("{be} balance first\n"),
        3,
        ErrorKind::Unsupported,
        &["balance algorithm 'first'"],
    );
    check(
        &format!("{be} balance uri whole\n"),
        3,
        ErrorKind::Unsupported,
        &["'whole'"],
    );
    check(
        &format!("{be} option redispatch 3\n"),
        3,
        ErrorKind::Unsupported,
        &["redispatch <interval>"],
    );
    check(
        &format!("{be} no option redispatch now\n"),
        3,
        ErrorKind::InvalidValue,
        &["unexpected 'now'"],
    );
}

#[test]
fn frontend_without_bind() {
    check(
        &format!("frontend lonely\n default_backend b\n{BACKEND}"),
        1,
        ErrorKind::MissingBind,
        &["frontend 'lonely' has no 'bind' line"],
    );
}

#[test]
fn tune_values_the_box_cannot_honour_are_refused() {
    check(
        "global\n tune.http.maxhdr 500\n",
        2,
        ErrorKind::Unsupported,
        &["tune.http.maxhdr", "128"],
    );
    check(
        "global\n tune.bufsize 512\n",
        2,
        ErrorKind::InvalidValue,
        &["'512'", "out of range (1024"],
    );
}

#[test]
fn what_a_box_cannot_do_is_refused_saying_so() {
    check(
        "global\n ssl-default-bind-ciphers ECDHE-RSA-AES128-GCM-SHA256\n",
        2,
        ErrorKind::Unsupported,
        &["ssl-default-bind-ciphers", "no TLS"],
    );
    check(
        "global\n lua-load /etc/haproxy/x.lua\n",
        2,
        ErrorKind::Unsupported,
        &["lua-load", "no Lua"],
    );
    check(
        "frontend f\n bind :443 ssl crt /etc/x.pem\n",
        2,
        ErrorKind::Unsupported,
        &["'ssl'", "no TLS"],
    );
    check(
        "frontend f\n bind :80\n compression algo gzip\n",
        3,
        ErrorKind::Unsupported,
        &["compression", "does not compress"],
    );
}

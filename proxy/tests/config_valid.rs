//! Valid configurations: HAProxy-manual examples, every supported keyword, defaults inheritance,
//! `listen` expansion, ACL conditions, time units and address forms.

use core::net::{IpAddr, SocketAddr};
use core::time::Duration;
use proxy::config::{
    self, AclRef, AclTerm, AclTest, Balance, BuiltinAcl, Config, CookieMode, Facility, Fetch,
    HttpRequestAction, HttpResponseAction, Level, LogFormat, Matcher, Mode, Parsed, RedirectKind,
    StrMatch, SyslogFormat,
};

fn parse(text: &str) -> Parsed {
    config::parse("test.cfg", text).unwrap_or_else(|e| panic!("unexpected error: {e}"))
}

fn fixture(name: &str) -> Parsed {
    let path = format!("{}/tests/data/config/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    config::parse(name, &text).unwrap_or_else(|e| panic!("unexpected error: {e}"))
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn ms(n: u64) -> Option<Duration> {
    Some(Duration::from_millis(n))
}

#[test]
fn manual_simple_example() {
    let Parsed { config, warnings } = fixture("manual-simple.cfg");
    assert_eq!(warnings, []);
    assert_eq!(config.global.maxconn, 256);
    let [fe] = &config.frontends[..] else {
        panic!()
    };
    assert_eq!(fe.name, "http-in");
    assert_eq!(fe.mode, Mode::Http);
    assert_eq!(fe.binds, [addr("0.0.0.0:80")]);
    assert_eq!(
        fe.maxconn, 256,
        "frontend maxconn defaults to the global one"
    );
    assert_eq!(fe.timeouts.client, ms(50_000));
    assert_eq!(fe.default_backend, Some(0));
    let [be] = &config.backends[..] else { panic!() };
    assert_eq!(be.name, "servers");
    assert_eq!(be.mode, Mode::Http);
    assert_eq!(be.timeouts.connect, ms(5000));
    assert_eq!(be.timeouts.server, ms(50_000));
    assert_eq!(
        be.timeouts.queue,
        ms(5000),
        "queue timeout defaults to connect"
    );
    let [s] = &be.servers[..] else { panic!() };
    assert_eq!(
        (s.name.as_str(), s.addr, s.maxconn),
        ("server1", addr("127.0.0.1:8000"), Some(32))
    );
    // Manual 5.2 defaults.
    assert_eq!(
        (s.weight, s.inter, s.rise, s.fall),
        (1, Duration::from_secs(2), 2, 3)
    );
    assert!(!s.check && !s.backup && s.cookie.is_none());
    // Manual 4.2 defaults.
    assert_eq!(be.balance, Balance::RoundRobin);
    assert_eq!(be.retries, 3);
    assert!(!be.redispatch);
}

#[test]
fn listen_expands_to_the_same_frontend_and_backend_pair() {
    let simple = fixture("manual-simple.cfg").config;
    let listen = fixture("manual-listen.cfg").config;
    assert_eq!(listen.frontends.len(), 1);
    assert_eq!(listen.backends.len(), 1);
    assert_eq!(listen.frontends[0].name, "http-in");
    assert_eq!(listen.backends[0].name, "http-in");
    assert_eq!(listen.frontends[0].default_backend, Some(0));
    assert_eq!(listen.backends[0].servers, simple.backends[0].servers);
    assert_eq!(listen.frontends[0].binds, simple.frontends[0].binds);
    assert_eq!(listen.backends[0].timeouts, simple.backends[0].timeouts);
}

#[test]
fn listen_without_bind_is_a_backend_only() {
    let c = parse(
        "defaults\n mode http\n timeout client 1s\n timeout connect 1s\n timeout server 1s\n\
         frontend f\n bind :80\n default_backend pool\n\
         listen pool\n server a 10.0.0.1:80\n",
    )
    .config;
    assert_eq!(c.frontends.len(), 1);
    assert_eq!(c.backends[0].name, "pool");
    assert_eq!(c.frontends[0].default_backend, Some(0));
}

#[test]
fn listen_uses_its_own_backend_unless_told_otherwise() {
    let c = parse(
        "defaults\n default_backend other\n timeout client 1s\n timeout connect 1s\n timeout server 1s\n\
         backend other\n server o 10.0.0.9:1\n\
         listen a\n bind :1\n server s 10.0.0.1:1\n\
         listen b\n bind :2\n default_backend other\n server s 10.0.0.2:1\n\
         frontend c\n bind :3\n",
    )
    .config;
    let by_name = |n: &str| {
        c.frontend_by_name(n)
            .unwrap()
            .default_backend
            .map(|i| c.backends[i].name.as_str())
    };
    assert_eq!(
        by_name("a"),
        Some("a"),
        "inherited default_backend does not override listen's own"
    );
    assert_eq!(
        by_name("b"),
        Some("other"),
        "explicit default_backend in listen wins"
    );
    assert_eq!(
        by_name("c"),
        Some("other"),
        "frontends inherit default_backend"
    );
}

#[test]
fn full_configuration() {
    let Parsed {
        config: c,
        warnings,
    } = fixture("full.cfg");

    // global
    assert_eq!(c.global.maxconn, 4096);
    let [l0, l1] = &c.global.log[..] else {
        panic!()
    };
    assert_eq!(l0.addr, addr("192.0.2.10:514"));
    assert_eq!(
        (l0.facility, l0.max_level, l0.min_level, l0.max_len),
        (Facility::Local0, Level::Debug, Level::Emerg, 1024)
    );
    assert_eq!(l0.format, SyslogFormat::Rfc3164);
    assert_eq!(l1.addr, addr("[2001:db8::10]:5140"));
    assert_eq!(
        (l1.facility, l1.max_level, l1.min_level, l1.max_len),
        (Facility::Local1, Level::Notice, Level::Err, 2048)
    );
    assert_eq!(l1.format, SyslogFormat::Rfc5424);

    // frontend public
    let fe = c.frontend_by_name("public").unwrap();
    assert_eq!(
        fe.binds,
        [
            addr("192.0.2.1:80"),
            addr("[2001:db8::1]:80"),
            addr("0.0.0.0:8080")
        ]
    );
    assert_eq!(fe.maxconn, 1000);
    assert_eq!(fe.timeouts.client, ms(60_000));
    assert_eq!(fe.timeouts.http_request, ms(10_000));
    assert_eq!(fe.monitor_uri.as_deref(), Some("/haproxy-health"));
    assert_eq!(
        fe.log.targets, c.global.log,
        "log global expands to the global targets"
    );
    assert_eq!(fe.log.format, LogFormat::Http);
    assert!(fe.log.dontlognull);
    let ff = fe.forwardfor.as_ref().unwrap();
    assert_eq!(ff.header, "X-Forwarded-For");
    assert_eq!(ff.except.unwrap().prefix_len, 8);

    let names: Vec<&str> = fe.acls.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "is_api",
            "is_static",
            "host_admin",
            "host_www",
            "writes",
            "internal",
            "has_debug"
        ]
    );
    let is_static = &fe.acls[1];
    assert_eq!(
        is_static.tests.len(),
        2,
        "acl lines with one name are OR-ed into one ACL"
    );
    assert_eq!(
        is_static.tests[1].matcher,
        Matcher::Str {
            kind: StrMatch::Prefix,
            ignore_case: true,
            patterns: vec!["/static".into()]
        }
    );
    assert_eq!(fe.acls[2].tests[0].fetch, Fetch::Header("host".into()));
    assert_eq!(fe.acls[3].tests[0].fetch, Fetch::Header("host".into()));
    assert!(matches!(
        fe.acls[3].tests[0].matcher,
        Matcher::Str {
            kind: StrMatch::Prefix,
            ignore_case: true,
            ..
        }
    ));
    assert_eq!(fe.acls[4].tests[0].fetch, Fetch::Method);
    let Matcher::Ip(nets) = &fe.acls[5].tests[0].matcher else {
        panic!()
    };
    assert_eq!(nets.len(), 3);
    assert!(nets[2].contains("2001:db8:1:ffff::1".parse().unwrap()));
    assert_eq!(fe.acls[6].tests[0].matcher, Matcher::Found);

    let rules = &fe.http_request;
    assert_eq!(rules.len(), 7);
    assert_eq!(rules[0].action, HttpRequestAction::Deny { status: 429 });
    let cond = rules[0].condition.as_ref().unwrap();
    assert!(!cond.negate);
    assert_eq!(
        cond.any_of,
        [vec![
            AclTerm {
                negated: false,
                acl: AclRef::Named(4)
            },
            AclTerm {
                negated: true,
                acl: AclRef::Named(5)
            },
            AclTerm {
                negated: false,
                acl: AclRef::Named(2)
            },
        ]]
    );
    assert_eq!(rules[1].action, HttpRequestAction::Allow);
    let HttpRequestAction::Redirect(r) = &rules[2].action else {
        panic!()
    };
    assert_eq!(
        (r.kind, r.target.as_str(), r.code),
        (RedirectKind::Prefix, "https://www.example.com", 301)
    );
    let HttpRequestAction::Redirect(r) = &rules[3].action else {
        panic!()
    };
    assert_eq!((r.kind, r.code), (RedirectKind::Location, 302));
    let cond = rules[3].condition.as_ref().unwrap();
    assert_eq!(cond.any_of.len(), 2);
    assert!(matches!(
        &cond.any_of[1][0].acl,
        AclRef::Anonymous(AclTest {
            fetch: Fetch::Path,
            matcher: Matcher::Str {
                kind: StrMatch::Substring,
                ..
            }
        })
    ));
    assert_eq!(
        rules[4].action,
        HttpRequestAction::AddHeader {
            name: "X-Via".into(),
            value: "bareproxy 1.0".into()
        }
    );
    assert_eq!(
        rules[5].action,
        HttpRequestAction::SetHeader {
            name: "X-Discount".into(),
            value: "100% off".into()
        }
    );
    assert_eq!(
        rules[6].action,
        HttpRequestAction::DelHeader {
            name: "X-Debug".into()
        }
    );
    assert!(rules[6].condition.as_ref().unwrap().negate);
    assert_eq!(fe.http_response.len(), 3);
    assert_eq!(
        fe.http_response[2].action,
        HttpResponseAction::DelHeader {
            name: "Server".into()
        }
    );

    let backend_name = |i: usize| c.backends[i].name.as_str();
    let targets: Vec<&str> = fe
        .use_backend
        .iter()
        .map(|u| backend_name(u.backend))
        .collect();
    assert_eq!(targets, ["api", "static", "admin"]);
    assert_eq!(
        fe.use_backend[0].condition.as_ref().unwrap().any_of.len(),
        2
    );
    assert_eq!(
        fe.use_backend[1].condition.as_ref().unwrap().any_of[0][1].acl,
        AclRef::Builtin(BuiltinAcl::MethGet)
    );
    assert_eq!(fe.default_backend.map(backend_name), Some("web"));

    // backends
    let (_, web) = c.backend_by_name("web").unwrap();
    assert_eq!(web.balance, Balance::RoundRobin);
    let cookie = web.cookie.as_ref().unwrap();
    assert_eq!(
        (
            cookie.name.as_str(),
            cookie.mode,
            cookie.indirect,
            cookie.nocache
        ),
        ("SRV", CookieMode::Insert, true, true)
    );
    let chk = web.http_check.as_ref().unwrap();
    assert_eq!(
        (
            chk.method.as_str(),
            chk.uri.as_str(),
            chk.version.as_str(),
            chk.expect_status
        ),
        ("HEAD", "/check", "HTTP/1.1", Some(204))
    );
    assert_eq!(web.retries, 2);
    assert!(web.redispatch);
    assert_eq!(web.timeouts.queue, ms(30_000));
    assert_eq!(web.timeouts.check, ms(3000));
    let w1 = &web.servers[0];
    assert_eq!(
        (w1.weight, w1.maxconn, w1.check, w1.inter, w1.rise, w1.fall),
        (10, Some(100), true, Duration::from_secs(1), 3, 2)
    );
    assert_eq!(w1.cookie.as_deref(), Some("a"));
    assert_eq!(web.servers[2].addr, addr("[2001:db8:2::3]:8080"));
    assert_eq!(web.servers[2].weight, 0);
    assert!(web.servers[3].backup);
    assert_eq!(web.log, c.global.log);

    let (_, api) = c.backend_by_name("api").unwrap();
    assert_eq!(api.balance, Balance::Uri);
    let chk = api.http_check.as_ref().unwrap();
    assert_eq!(
        (
            chk.method.as_str(),
            chk.uri.as_str(),
            chk.version.as_str(),
            chk.expect_status
        ),
        ("OPTIONS", "/status", "HTTP/1.0", None)
    );
    assert_eq!(api.servers[0].maxconn, None, "maxconn 0 means unlimited");
    assert_eq!(api.acls[0].name, "from_lan");
    assert_eq!(api.http_request.len(), 1);

    let (_, st) = c.backend_by_name("static").unwrap();
    assert_eq!(st.balance, Balance::StaticRr);
    assert_eq!(st.cookie.as_ref().unwrap().mode, CookieMode::Prefix);
    assert!(st.http_check.is_none());

    let (_, admin) = c.backend_by_name("admin").unwrap();
    assert_eq!(admin.balance, Balance::Source);
    assert_eq!(admin.http_check.as_ref().unwrap().uri, "/");
    let stats = admin.stats.as_ref().unwrap();
    assert_eq!(stats.uri, "/admin?stats");
    let users: Vec<(&str, &str)> = stats
        .auth
        .iter()
        .map(|u| (u.user.as_str(), u.password.as_str()))
        .collect();
    assert_eq!(users, [("admin", "s3cr3t"), ("ops", "pa:ss")]);
    assert_eq!(stats.refresh, ms(5000));

    // listen mysql: TCP, inherits timeouts, overrides some, drops HTTP-only defaults.
    let my_fe = c.frontend_by_name("mysql").unwrap();
    assert_eq!(my_fe.mode, Mode::Tcp);
    assert_eq!(my_fe.log.format, LogFormat::Tcp);
    assert_eq!(my_fe.forwardfor, None);
    assert_eq!(my_fe.timeouts.client, ms(8 * 3_600_000));
    assert_eq!(my_fe.timeouts.http_request, None);
    let (my_id, my_be) = c.backend_by_name("mysql").unwrap();
    assert_eq!(my_fe.default_backend, Some(my_id));
    assert_eq!(my_be.balance, Balance::LeastConn);
    assert_eq!(my_be.timeouts.connect, ms(5000));
    assert_eq!(my_be.servers[0].inter, Duration::from_secs(5));
    assert!(my_be.servers[1].backup);

    // The inherited `option forwardfor` in the TCP listen is HAProxy's warning case.
    let messages: Vec<String> = warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert!(
        messages[0]
            .starts_with("full.cfg:85: warning: 'option forwardfor' inherited from defaults"),
        "{messages:#?}"
    );
}

#[test]
fn ipv6_and_address_forms() {
    let Parsed {
        config: c,
        warnings,
    } = fixture("ipv6.cfg");
    assert_eq!(warnings, []);
    let v6 = c.frontend_by_name("v6").unwrap();
    let binds: Vec<String> = v6.binds.iter().map(|a| a.to_string()).collect();
    assert_eq!(
        binds,
        [
            "[::]:7001",
            "[::]:7002",
            "[::]:7003",
            "[2001:db8::1]:7004",
            "[2001:db8::1]:7005",
            "[::]:7006",
            "0.0.0.0:7006",
            "[::1]:7007",
        ]
    );
    let v4 = c.frontend_by_name("v4").unwrap();
    let binds: Vec<String> = v4.binds.iter().map(|a| a.to_string()).collect();
    assert_eq!(
        binds,
        [
            "0.0.0.0:7101",
            "0.0.0.0:7102",
            "0.0.0.0:7103",
            "192.0.2.1:7104",
            "0.0.0.0:7105"
        ]
    );
    let servers: Vec<String> = c.backends[0]
        .servers
        .iter()
        .map(|s| s.addr.to_string())
        .collect();
    assert_eq!(
        servers,
        [
            "[2001:db8::10]:80",
            "[2001:db8::11]:80",
            "[2001:db8::12]:80",
            "192.0.2.20:80",
            "192.0.2.21:80"
        ]
    );
}

#[test]
fn defaults_apply_to_following_sections_and_reset() {
    let c = parse(
        "defaults\n\
         mode http\n timeout client 7s\n timeout connect 1s\n timeout server 2s\n retries 5\n balance source\n\
         backend one\n server s 10.0.0.1:80\n\
         backend two\n retries 1\n no option redispatch\n server s 10.0.0.1:80\n\
         defaults\n timeout connect 3s\n timeout server 4s\n timeout client 5s\n\
         backend three\n server s 10.0.0.1:80\n",
    )
    .config;
    let [one, two, three] = &c.backends[..] else {
        panic!()
    };
    assert_eq!(
        (one.mode, one.retries, one.balance),
        (Mode::Http, 5, Balance::Source)
    );
    assert_eq!(one.timeouts.connect, ms(1000));
    assert_eq!(
        (two.mode, two.retries, two.balance),
        (Mode::Http, 1, Balance::Source)
    );
    // The second defaults section starts from HAProxy's built-in defaults, not from the first.
    assert_eq!(
        (three.mode, three.retries, three.balance),
        (Mode::Tcp, 3, Balance::RoundRobin)
    );
    assert_eq!(three.timeouts.connect, ms(3000));
}

#[test]
fn no_option_cancels_an_inherited_option() {
    let c = parse(
        "defaults\n mode http\n option forwardfor\n option httplog\n option dontlognull\n option redispatch\n\
         timeout client 1s\n timeout connect 1s\n timeout server 1s\n\
         frontend f\n bind :80\n no option forwardfor\n no option httplog\n no option dontlognull\n default_backend b\n\
         backend b\n no option redispatch\n option httpchk\n no option httpchk\n server s 10.0.0.1:80\n",
    )
    .config;
    let f = &c.frontends[0];
    assert_eq!(f.forwardfor, None);
    assert_eq!(f.log.format, LogFormat::Default);
    assert!(!f.log.dontlognull);
    assert!(!c.backends[0].redispatch);
    assert!(c.backends[0].http_check.is_none());
}

#[test]
fn log_lines_and_no_log() {
    let c = parse(
        "global\n log 127.0.0.1 daemon\n\
         defaults\n log global\n log 10.9.9.9:600 local7 info\n timeout client 1s\n timeout connect 1s\n timeout server 1s\n\
         frontend a\n bind :1\n default_backend b\n\
         frontend quiet\n bind :2\n no log\n default_backend b\n\
         backend b\n server s 10.0.0.1:80\n",
    )
    .config;
    let a: Vec<String> = c.frontends[0]
        .log
        .targets
        .iter()
        .map(|t| t.addr.to_string())
        .collect();
    assert_eq!(a, ["127.0.0.1:514", "10.9.9.9:600"]);
    assert_eq!(c.frontends[0].log.targets[1].max_level, Level::Info);
    assert!(c.frontends[1].log.targets.is_empty());
}

#[test]
fn time_units() {
    let cases = [
        ("100", 100),
        ("100ms", 100),
        ("1500us", 2),
        ("3s", 3000),
        ("2m", 120_000),
        ("1h", 3_600_000),
        ("1d", 86_400_000),
    ];
    for (text, expected) in cases {
        let c = parse(&format!(
            "defaults\n timeout client {text}\n timeout connect 1s\n timeout server 1s\n\
             listen l\n bind :80\n server s 10.0.0.1:80\n"
        ))
        .config;
        assert_eq!(c.frontends[0].timeouts.client, ms(expected), "{text}");
    }
    // Zero means no timeout, as in HAProxy.
    let c = parse("listen l\n bind :80\n timeout client 0\n server s 10.0.0.1:80\n").config;
    assert_eq!(c.frontends[0].timeouts.client, None);
}

#[test]
fn anonymous_and_builtin_acls_and_negations() {
    let c = parse(
        "frontend f\n mode http\n bind :80\n timeout client 1s\n\
         acl a path /a\n acl b path /b\n\
         http-request deny if ! { src 10.0.0.0/8 } a or !b TRUE\n\
         http-request allow unless FALSE || LOCALHOST\n\
         default_backend b\n\
         backend b\n mode http\n timeout connect 1s\n timeout server 1s\n server s 10.0.0.1:80\n",
    )
    .config;
    let f = &c.frontends[0];
    let cond = f.http_request[0].condition.as_ref().unwrap();
    assert_eq!(cond.any_of.len(), 2);
    let first = &cond.any_of[0];
    assert!(first[0].negated);
    let AclRef::Anonymous(AclTest {
        fetch: Fetch::Src,
        matcher: Matcher::Ip(nets),
    }) = &first[0].acl
    else {
        panic!()
    };
    assert_eq!(nets[0].addr, "10.0.0.0".parse::<IpAddr>().unwrap());
    assert_eq!(
        first[1],
        AclTerm {
            negated: false,
            acl: AclRef::Named(0)
        }
    );
    assert_eq!(
        cond.any_of[1],
        [
            AclTerm {
                negated: true,
                acl: AclRef::Named(1)
            },
            AclTerm {
                negated: false,
                acl: AclRef::Builtin(BuiltinAcl::True)
            }
        ]
    );
    let cond = f.http_request[1].condition.as_ref().unwrap();
    assert!(cond.negate);
    assert_eq!(
        cond.any_of[1][0].acl,
        AclRef::Builtin(BuiltinAcl::Localhost)
    );
}

#[test]
fn quoting_and_comments() {
    let c = parse(
        "frontend f # trailing comment\n\
         \tmode http\n bind :80\n timeout client 1s\n\
         http-request set-header X-A 'single # not a comment'\n\
         http-request set-header X-B \"double \\\"quoted\\\"\"\n\
         http-request set-header X-C escaped\\ space\\#hash\n\
         default_backend b\n\
         backend b\n mode http\n timeout connect 1s\n timeout server 1s\n server s 10.0.0.1:80\n",
    )
    .config;
    let values: Vec<&str> = c.frontends[0]
        .http_request
        .iter()
        .map(|r| match &r.action {
            HttpRequestAction::SetHeader { value, .. } => value.as_str(),
            _ => panic!(),
        })
        .collect();
    assert_eq!(
        values,
        [
            "single # not a comment",
            "double \"quoted\"",
            "escaped space#hash"
        ]
    );
}

#[test]
fn crlf_line_endings_and_nul_padded_blobs() {
    let text = "listen l\r\n bind :80\r\n timeout client 1s\r\n timeout connect 1s\r\n timeout server 1s\r\n server s 10.0.0.1:80\r\n";
    let mut blob = text.as_bytes().to_vec();
    blob.resize(blob.len() + 64, 0);
    let parsed = config::parse_bytes("blob", &blob).unwrap();
    assert_eq!(parsed.warnings, []);
    assert_eq!(parsed.config, config::parse("text", text).unwrap().config);
    // Erased flash reads as 0xFF.
    let mut erased = text.as_bytes().to_vec();
    erased.resize(erased.len() + 64, 0xff);
    assert_eq!(
        config::parse_bytes("flash", &erased).unwrap().config,
        parsed.config
    );
}

#[test]
fn warnings_haproxy_would_also_give() {
    let parsed = parse(
        "frontend f\n mode http\n bind :80\n default_backend b\n\
         backend b\n mode http\n server s 10.0.0.1:80 cookie x\n http-check expect status 200\n\
         backend empty\n timeout connect 1s\n timeout server 1s\n\
         frontend lost\n bind :81\n timeout client 1s\n\
         frontend g\n bind :82\n timeout client 1s\n log global\n default_backend empty\n\
         backend h\n mode http\n timeout connect 1s\n timeout server 1s\n timeout http-request 1s\n server s 10.0.0.1:80\n",
    );
    let messages: Vec<String> = parsed.warnings.iter().map(|w| w.to_string()).collect();
    let expect = [
        "test.cfg:1: warning: frontend 'f' has no 'timeout client'",
        "test.cfg:7: warning: server 's' has a 'cookie' value but backend 'b' has no 'cookie' directive",
        "test.cfg:8: warning: 'http-check expect' has no effect without 'option httpchk'",
        "test.cfg:5: warning: backend 'b' has no 'timeout connect' and 'timeout server'",
        "test.cfg:9: warning: backend 'empty' has no server",
        "test.cfg:12: warning: frontend 'lost' has no 'default_backend' nor 'use_backend'",
        "test.cfg:18: warning: 'log global' but the global section has no 'log' line",
        "test.cfg:24: warning: 'timeout http-request' has no effect in backend 'h'",
    ];
    assert_eq!(messages.len(), expect.len(), "{messages:#?}");
    for e in expect {
        assert!(
            messages.iter().any(|m| m.starts_with(e)),
            "missing {e:?} in {messages:#?}"
        );
    }
}

#[test]
fn empty_configuration_is_valid_and_empty() {
    let c: Config = parse("# nothing but comments\n\n   \n").config;
    assert!(c.frontends.is_empty() && c.backends.is_empty());
    assert_eq!(c.global.maxconn, config::DEFAULT_GLOBAL_MAXCONN);
}

#[test]
fn condition_evaluation_follows_haproxy_semantics() {
    let c = parse(
        "frontend f\n mode http\n bind :80\n timeout client 1s\n\
         acl a path /a\n acl b path /b\n acl c path /c\n\
         http-request deny if a !b or c\n\
         http-request deny unless a\n",
    )
    .config;
    let rules = &c.frontends[0].http_request;
    let (if_rule, unless_rule) = (
        rules[0].condition.as_ref().unwrap(),
        rules[1].condition.as_ref().unwrap(),
    );
    // Truth table of `a !b or c` over the three named ACLs.
    for bits in 0..8u8 {
        let (a, b, cc) = (bits & 1 != 0, bits & 2 != 0, bits & 4 != 0);
        let value = |r: &AclRef| match r {
            AclRef::Named(0) => a,
            AclRef::Named(1) => b,
            AclRef::Named(2) => cc,
            _ => panic!("unexpected {r:?}"),
        };
        assert_eq!(
            if_rule.evaluate(value),
            (a && !b) || cc,
            "a={a} b={b} c={cc}"
        );
        assert_eq!(unless_rule.evaluate(value), !a, "a={a}");
    }
}

#[test]
fn matchers() {
    let c = parse(
        "frontend f\n mode http\n bind :80\n timeout client 1s\n\
         acl beg path_beg /api\n acl end hdr_end(host) -i .Example.COM\n acl sub path_sub -i /V2/\n\
         acl exact method GET HEAD\n acl found hdr(x-debug) -m found\n acl lan src 10.0.0.0/8 2001:db8::/32\n",
    )
    .config;
    let m = |i: usize| &c.frontends[0].acls[i].tests[0].matcher;
    assert!(m(0).matches_str(Some("/api/users")));
    assert!(!m(0).matches_str(Some("/ap")));
    assert!(!m(0).matches_str(Some("/API")), "case-sensitive without -i");
    assert!(m(1).matches_str(Some("www.example.com")));
    assert!(!m(1).matches_str(Some("example.com.evil")));
    assert!(m(2).matches_str(Some("/x/v2/y")));
    assert!(m(3).matches_str(Some("HEAD")));
    assert!(!m(3).matches_str(Some("head")));
    assert!(!m(3).matches_str(None));
    assert!(m(4).matches_str(Some("")));
    assert!(!m(4).matches_str(None));
    assert!(m(5).matches_ip("10.200.1.1".parse().unwrap()));
    assert!(m(5).matches_ip("::ffff:10.1.1.1".parse().unwrap()));
    assert!(m(5).matches_ip("2001:db8:5::1".parse().unwrap()));
    assert!(!m(5).matches_ip("192.168.1.1".parse().unwrap()));
}

#[test]
fn listen_without_bind_keeps_its_rules() {
    let c = parse(
        "listen pool\n mode http\n timeout connect 1s\n timeout server 1s\n\
         acl lan src 10.0.0.0/8\n http-request deny unless lan\n option forwardfor\n\
         server a 10.0.0.1:80\n",
    )
    .config;
    assert!(c.frontends.is_empty());
    let b = &c.backends[0];
    assert_eq!(b.acls.len(), 1);
    assert_eq!(b.http_request.len(), 1);
    assert!(b.forwardfor.is_some());
}

#[test]
fn keep_alive_and_tunnel_timeouts_are_read_and_inherited() {
    // Manual 4.2: `timeout http-keep-alive` (defaults, frontend, listen, backend) and
    // `timeout tunnel` (defaults, listen, backend).
    let p = parse(
        "
defaults
    mode http
    timeout client 30s
    timeout server 30s
    timeout connect 5s
    timeout http-keep-alive 2s
    timeout tunnel 1h
frontend web
    bind :80
    default_backend app
frontend short
    bind :81
    timeout http-keep-alive 500
    default_backend ws
backend app
    server s 10.0.0.1:80
backend ws
    timeout tunnel 10m
    server s 10.0.0.2:80
",
    );
    let c = &p.config;
    assert_eq!(
        c.frontend_by_name("web").unwrap().timeouts.http_keep_alive,
        ms(2000)
    );
    assert_eq!(
        c.frontend_by_name("short")
            .unwrap()
            .timeouts
            .http_keep_alive,
        ms(500)
    );
    assert_eq!(
        c.backend_by_name("app").unwrap().1.timeouts.tunnel,
        ms(3_600_000)
    );
    assert_eq!(
        c.backend_by_name("ws").unwrap().1.timeouts.tunnel,
        ms(600_000)
    );
}

#[test]
fn tune_keywords_set_the_buffer_and_head_limits() {
    // Manual 3.2: tune.bufsize, tune.maxrewrite, tune.http.maxhdr.
    let p = parse(
        "
global
    tune.bufsize 32768
    tune.maxrewrite 4096
    tune.http.maxhdr 64
defaults
    mode http
    timeout client 1s
    timeout server 1s
    timeout connect 1s
frontend f
    bind :80
    default_backend b
backend b
    server s 10.0.0.1:80
",
    );
    let tune = &p.config.global.tune;
    assert_eq!(tune.bufsize, Some(32768));
    assert_eq!(tune.maxrewrite, Some(4096));
    assert_eq!(tune.http_maxhdr, Some(64));
    let limits = proxy::engine::ResourceLimits::new(8192, 8, 2).tuned(tune);
    assert_eq!(limits.buffer_size, 32768);
    let http = limits.http_limits();
    assert_eq!(http.max_head_bytes, 32768 - 4096);
    assert_eq!(http.max_headers, 64);
    // A reserve of half the buffer or more is cut to half, as HAProxy does.
    let mut big = tune.clone();
    big.maxrewrite = Some(40_000);
    let limits = proxy::engine::ResourceLimits::new(8192, 8, 2).tuned(&big);
    assert_eq!(limits.http_limits().max_head_bytes, 16384);
    // Unset, the limits are bareproxy's own: three quarters of the buffer, 101 fields.
    let limits = proxy::engine::ResourceLimits::new(8192, 8, 2).tuned(&Default::default());
    assert_eq!(limits.http_limits().max_head_bytes, 6144);
    assert_eq!(limits.http_limits().max_headers, 101);
}

#[test]
fn http_connection_modes_are_read_last_one_winning() {
    // Manual 4.2 "option http-keep-alive", "option http-server-close", "option httpclose".
    let p = parse(
        "
defaults
    mode http
    timeout client 1s
    timeout server 1s
    timeout connect 1s
    option http-server-close
frontend inherits
    bind :80
    default_backend closes
frontend overrides
    bind :81
    option httpclose
    option http-keep-alive
    default_backend undone
backend closes
    option httpclose
    server s 10.0.0.1:80
backend undone
    no option http-server-close
    server s 10.0.0.2:80
",
    );
    let c = &p.config;
    use proxy::http::HttpMode;
    assert_eq!(
        c.frontend_by_name("inherits").unwrap().http_mode,
        HttpMode::ServerClose
    );
    assert_eq!(
        c.frontend_by_name("overrides").unwrap().http_mode,
        HttpMode::KeepAlive
    );
    assert_eq!(
        c.backend_by_name("closes").unwrap().1.http_mode,
        HttpMode::Close
    );
    assert_eq!(
        c.backend_by_name("undone").unwrap().1.http_mode,
        HttpMode::KeepAlive
    );
}

#[test]
fn global_keywords_without_meaning_on_a_box_are_accepted_with_a_warning_each() {
    // Debian's default global section, TLS lines aside (manual 3.1): each line that means
    // nothing on a box gets one warning naming its line and what happens instead.
    let p = parse(
        "global
    log /dev/log local0
    log /dev/log local1 notice
    chroot /var/lib/haproxy
    stats socket /run/haproxy/admin.sock mode 660 level admin expose-fd listeners
    stats timeout 30s
    user haproxy
    group haproxy
    daemon
    ca-base /etc/ssl/certs
    crt-base /etc/ssl/private
    nbthread 4
    pidfile /run/haproxy.pid
defaults
    mode http
    timeout client 1s
    timeout server 1s
    timeout connect 1s
frontend f
    bind :80
    default_backend b
backend b
    server s 10.0.0.1:80
",
    );
    let lines: Vec<u32> = p.warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, (2..=13).collect::<Vec<u32>>(), "{:?}", p.warnings);
    let text = |line: u32| {
        p.warnings
            .iter()
            .find(|w| w.line == line)
            .map(|w| w.message.clone())
            .unwrap_or_default()
    };
    assert!(
        text(2).contains("/dev/log") && text(2).contains("syslog server"),
        "{}",
        text(2)
    );
    assert!(
        text(4).contains("chroot") && text(4).contains("ignored"),
        "{}",
        text(4)
    );
    assert!(text(5).contains("stats socket"), "{}", text(5));
    assert!(text(9).contains("daemon"), "{}", text(9));
    assert!(
        p.config.global.log.is_empty(),
        "no target kept for /dev/log"
    );
}

//! The kernel command line: space-separated `key=value` words, as Linux uses them.
//!
//! bareproxy understands:
//!
//! | word | meaning |
//! |---|---|
//! | `selftest=timer` | measure the tick against the clock and the board's reference counter |
//! | `selftest=fault` | take a deliberate data abort (checks the exception path) |
//! | `selftest=panic` | panic deliberately (checks the panic path and the reset) |
//! | `selftest=shutdown` | power off once the other self-tests have run |
//!
//! and for the network (until the configuration blob carries interface settings):
//!
//! | word | meaning |
//! |---|---|
//! | `ip=dhcp` | IPv4 by DHCP (the default) |
//! | `ip=off` | no IPv4 |
//! | `ip=10.0.2.15/24,10.0.2.2` | static IPv4 address/prefix, optional gateway |
//! | `ip6=fec0::15/64,fec0::2` | a static IPv6 address/prefix, optional gateway |
//! | `diag=on` | echo (7), discard (9) and chargen (19) TCP services, for tests and benchmarks |
//!
//! Several self-tests may be given, comma-separated, e.g. `selftest=timer,shutdown`; they run in
//! the order of the table. Unknown words are ignored, so a Linux-style command line left in a
//! bootloader environment does no harm.

use core::net::{Ipv4Addr, Ipv6Addr};

/// Self-tests requested on the command line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SelfTests {
    /// `timer`
    pub timer: bool,
    /// `fault`
    pub fault: bool,
    /// `panic`
    pub panic: bool,
    /// `shutdown`
    pub shutdown: bool,
}

/// The value of the first `key=value` word with this key.
pub fn value<'a>(cmdline: &'a str, key: &str) -> Option<&'a str> {
    cmdline
        .split_ascii_whitespace()
        .filter_map(|word| word.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// The self-tests the command line asks for.
pub fn self_tests(cmdline: &str) -> SelfTests {
    let mut tests = SelfTests::default();
    for name in value(cmdline, "selftest").unwrap_or("").split(',') {
        match name {
            "timer" => tests.timer = true,
            "fault" => tests.fault = true,
            "panic" => tests.panic = true,
            "shutdown" => tests.shutdown = true,
            _ => {}
        }
    }
    tests
}

/// How IPv4 is configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ipv4Setting {
    /// By DHCP.
    Dhcp,
    /// Not at all.
    Off,
    /// Statically.
    Static {
        /// Interface address.
        address: Ipv4Addr,
        /// Prefix length.
        prefix: u8,
        /// Default gateway.
        gateway: Option<Ipv4Addr>,
    },
}

/// A static IPv6 address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6Setting {
    /// Interface address.
    pub address: Ipv6Addr,
    /// Prefix length.
    pub prefix: u8,
    /// Default gateway.
    pub gateway: Option<Ipv6Addr>,
}

/// Network settings from the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetworkSettings {
    /// `ip=`.
    pub ipv4: Ipv4Setting,
    /// `ip6=`.
    pub ipv6: Option<Ipv6Setting>,
    /// `diag=on`.
    pub diagnostics: bool,
}

/// A malformed network word, quoted for the boot log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadNetworkWord<'a>(pub &'a str);

/// `address/prefix[,gateway]` with the prefix at most `max_prefix`.
fn address_prefix_gateway<A: core::str::FromStr>(
    value: &str,
    max_prefix: u8,
) -> Option<(A, u8, Option<A>)> {
    let (cidr, gateway) = match value.split_once(',') {
        Some((cidr, gateway)) => (cidr, Some(gateway.parse().ok()?)),
        None => (value, None),
    };
    let (address, prefix) = cidr.split_once('/')?;
    let prefix: u8 = prefix.parse().ok().filter(|&p| p <= max_prefix)?;
    Some((address.parse().ok()?, prefix, gateway))
}

/// The network settings the command line asks for; defaults are DHCP, no IPv6, no diagnostics.
pub fn network(cmdline: &str) -> Result<NetworkSettings, BadNetworkWord<'_>> {
    let ipv4 = match value(cmdline, "ip") {
        None | Some("dhcp") => Ipv4Setting::Dhcp,
        Some("off") => Ipv4Setting::Off,
        Some(word) => {
            let (address, prefix, gateway) =
                address_prefix_gateway(word, 32).ok_or(BadNetworkWord(word))?;
            Ipv4Setting::Static {
                address,
                prefix,
                gateway,
            }
        }
    };
    let ipv6 = match value(cmdline, "ip6") {
        None => None,
        Some(word) => {
            let (address, prefix, gateway) =
                address_prefix_gateway(word, 128).ok_or(BadNetworkWord(word))?;
            Some(Ipv6Setting {
                address,
                prefix,
                gateway,
            })
        }
    };
    let diagnostics = value(cmdline, "diag") == Some("on");
    Ok(NetworkSettings {
        ipv4,
        ipv6,
        diagnostics,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_words() {
        let settings = network("ip=10.0.2.15/24,10.0.2.2 ip6=fec0::15/64,fec0::2 diag=on").unwrap();
        assert_eq!(
            settings.ipv4,
            Ipv4Setting::Static {
                address: Ipv4Addr::new(10, 0, 2, 15),
                prefix: 24,
                gateway: Some(Ipv4Addr::new(10, 0, 2, 2))
            }
        );
        let ipv6 = settings.ipv6.unwrap();
        assert_eq!(
            (ipv6.address, ipv6.prefix),
            ("fec0::15".parse().unwrap(), 64)
        );
        assert!(settings.diagnostics);
        assert_eq!(
            network("").unwrap(),
            NetworkSettings {
                ipv4: Ipv4Setting::Dhcp,
                ipv6: None,
                diagnostics: false
            }
        );
        assert_eq!(network("ip=off").unwrap().ipv4, Ipv4Setting::Off);
        for bad in [
            "ip=10.0.2.15",
            "ip=10.0.2.15/33",
            "ip=x/24",
            "ip6=fec0::1/129",
            "ip=1.2.3.4/8,nope",
        ] {
            assert!(network(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn finds_values_and_self_tests() {
        let line = "console=ttyAMA0 selftest=timer,shutdown,bogus root=/dev/x";
        assert_eq!(value(line, "console"), Some("ttyAMA0"));
        assert_eq!(value(line, "missing"), None);
        let tests = self_tests(line);
        assert!(tests.timer && tests.shutdown && !tests.panic && !tests.fault);
        assert_eq!(self_tests(""), SelfTests::default());
    }
}

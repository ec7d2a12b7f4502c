//! Bringing the network up on whatever NIC the board has, and servicing it from the main loop.
//!
//! The NIC's interrupt is split in two halves. The top half (in interrupt context) only masks
//! the NIC's line at the interrupt controller and notes that the NIC wants attention; the bottom
//! half ([`Network::service`], in the main loop) lets the driver acknowledge and reap, runs the
//! stack, and unmasks the line. The driver is therefore only ever touched from the main loop, no
//! lock is needed, and a level-triggered line cannot storm while the stack is busy.

use core::cell::Cell;

use critical_section::Mutex;
use net::diag::{DiagConfig, DiagServices};
use net::{Budget, DhcpChange, Ipv4Mode, Ipv6Config, Stack, StackConfig};
use nic::Nic;
use smoltcp::wire::{Ipv4Cidr, Ipv6Cidr};

use hil::{InterruptController, IrqNumber};
use kernel::bootinfo::cmdline::{self, Ipv4Setting, NetworkSettings};
use kernel::time::Instant;
use kernel::{irq, kprintln};

/// The NIC's interrupt line and the controller it is on (the top half masks it there), and
/// whether the top half has run since the last service.
static NIC_LINE: Mutex<Cell<Option<NicLine>>> = Mutex::new(Cell::new(None));

/// A NIC's interrupt line and its controller.
type NicLine = (IrqNumber, &'static dyn InterruptController);
static NIC_PENDING: Mutex<Cell<bool>> = Mutex::new(Cell::new(false));

/// How often, at most, the drop counters are logged (when they changed).
const COUNTERS_EVERY_MS: u64 = 5_000;

/// Most stack polls per main-loop turn when frames keep arriving; the rest of the loop gets its
/// turn in between, and the next turn comes at once because the NIC line is still pending.
const MAX_POLLS_PER_SERVICE: usize = 4;

fn on_nic_interrupt() {
    critical_section::with(|cs| {
        if let Some((line, interrupts)) = NIC_LINE.borrow(cs).get() {
            interrupts.disable(line);
        }
        NIC_PENDING.borrow(cs).set(true);
    });
}

/// Why the network did not come up.
#[derive(Debug)]
pub enum NetworkError {
    /// A malformed `ip=`/`ip6=` word on the command line.
    BadCommandLine,
    /// Too little RAM for the smallest socket budget.
    NoMemory,
    /// The stack refused the configuration.
    Stack(net::StackError),
    /// A diagnostic service could not listen.
    Listen,
    /// The NIC interrupt number is beyond the dispatch table.
    BadIrq,
}

/// What the network needs from the kernel, as narrow inputs (so that it builds and is tested
/// on the host).
#[derive(Clone, Copy)]
pub struct NetworkInputs<'a> {
    /// The kernel command line (`ip=`, `ip6=`, `diag=`).
    pub cmdline: &'a str,
    /// Something different every boot, e.g. the clock's raw count; mixed with the MAC.
    pub seed: u64,
    /// The interrupt controller the NIC's line is on.
    pub interrupts: &'static dyn InterruptController,
    /// The time now.
    pub now: Instant,
}

/// The network: the stack and the optional diagnostic services.
pub struct Network<N: Nic> {
    stack: Stack<N>,
    line: IrqNumber,
    interrupts: &'static dyn InterruptController,
    diagnostics: Option<DiagServices>,
    /// When the counters were last logged, and their drop total then.
    counters_logged: (u64, u64),
}

/// smoltcp's time from the kernel's.
pub fn smoltcp_instant(now: Instant) -> smoltcp::time::Instant {
    smoltcp::time::Instant::from_micros(now.as_micros() as i64)
}

fn stack_config(settings: &NetworkSettings, seed: u64) -> StackConfig {
    let ipv4 = match settings.ipv4 {
        Ipv4Setting::Dhcp => Ipv4Mode::Dhcp,
        Ipv4Setting::Off => Ipv4Mode::Disabled,
        Ipv4Setting::Static {
            address,
            prefix,
            gateway,
        } => Ipv4Mode::Static {
            address: Ipv4Cidr::new(address, prefix),
            gateway,
        },
    };
    let mut ipv6 = Ipv6Config {
        link_local: true,
        ..Ipv6Config::default()
    };
    if let Some(setting) = settings.ipv6 {
        ipv6.addresses
            .push(Ipv6Cidr::new(setting.address, setting.prefix));
        ipv6.gateway = setting.gateway;
    }
    StackConfig {
        ipv4,
        ipv6,
        random_seed: seed,
        ..StackConfig::default()
    }
}

impl<N: Nic> Network<N> {
    /// Starts the stack on `nic`, whose interrupt is `line`, configured from the command line,
    /// with a socket budget taken from `free_heap` bytes.
    pub fn bring_up(
        inputs: &NetworkInputs<'_>,
        free_heap: usize,
        mut nic: N,
        line: IrqNumber,
    ) -> Result<Self, NetworkError> {
        let settings = cmdline::network(inputs.cmdline).map_err(|bad| {
            kprintln!("net: bad command-line word {:?}", bad.0);
            NetworkError::BadCommandLine
        })?;
        let mac = nic.mac_address();
        // Different every boot (clock) and every box (MAC): smoltcp derives ISNs and ports from it.
        let seed = inputs.seed
            ^ mac
                .0
                .iter()
                .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
                .rotate_left(17);
        let budget = Budget::from_ram(free_heap).map_err(|_| NetworkError::NoMemory)?;
        nic.set_interrupts_enabled(true);
        let now = smoltcp_instant(inputs.now);
        let mut stack = Stack::new(nic, &stack_config(&settings, seed), &budget, now)
            .map_err(NetworkError::Stack)?;
        let interrupts = inputs.interrupts;
        critical_section::with(|cs| NIC_LINE.borrow(cs).set(Some((line, interrupts))));
        irq::register(line, on_nic_interrupt).map_err(|_| NetworkError::BadIrq)?;
        interrupts.enable(line);
        let diagnostics = if settings.diagnostics {
            // Enough concurrent connections for the 200-client tests, still a small share of
            // the socket budget.
            let config = DiagConfig {
                backlog: 16,
                max_connections: 256,
                ..DiagConfig::default()
            };
            Some(DiagServices::start(&mut stack, &config).map_err(|_| NetworkError::Listen)?)
        } else {
            None
        };
        let m = mac.0;
        kprintln!(
            "net:   mac {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}, {} sockets of {}+{} KiB{}",
            m[0],
            m[1],
            m[2],
            m[3],
            m[4],
            m[5],
            budget.sockets,
            budget.rx_buffer / 1024,
            budget.tx_buffer / 1024,
            if diagnostics.is_some() {
                ", echo/discard/chargen on 7/9/19"
            } else {
                ""
            }
        );
        match settings.ipv4 {
            Ipv4Setting::Dhcp => kprintln!("net:   ipv4 by DHCP"),
            Ipv4Setting::Off => kprintln!("net:   ipv4 off"),
            Ipv4Setting::Static {
                address, prefix, ..
            } => kprintln!("net:   ipv4 {}/{}", address, prefix),
        }
        if let Some(ipv6) = settings.ipv6 {
            kprintln!("net:   ipv6 {}/{}", ipv6.address, ipv6.prefix);
        }
        Ok(Self {
            stack,
            line,
            interrupts,
            diagnostics,
            counters_logged: (0, 0),
        })
    }

    /// The bottom half: services the NIC if it interrupted, polls the stack (bounded), runs the
    /// diagnostic services and `application` (the proxy) on it, polls again so that what they
    /// queued leaves at once, and reports DHCP changes on the console.
    pub fn service(&mut self, now: Instant, mut application: impl FnMut(&mut Stack<N>)) {
        let pending = critical_section::with(|cs| NIC_PENDING.borrow(cs).replace(false));
        if pending {
            self.stack.nic_mut().on_interrupt();
            self.interrupts.enable(self.line);
        }
        self.log_counters(now);
        let now = smoltcp_instant(now);
        for _ in 0..MAX_POLLS_PER_SERVICE {
            let outcome = self.stack.poll(now);
            match outcome.dhcp {
                Some(DhcpChange::Bound {
                    address, router, ..
                }) => match router {
                    Some(router) => kprintln!("net:   DHCP lease {} via {}", address, router),
                    None => kprintln!("net:   DHCP lease {}", address),
                },
                Some(DhcpChange::Lost) => kprintln!("net:   DHCP lease lost"),
                None => {}
            }
            if let Some(diagnostics) = self.diagnostics.as_mut() {
                diagnostics.poll(&mut self.stack);
            }
            application(&mut self.stack);
            if !outcome.more_pending {
                // Send what the services queued now rather than at the next interrupt.
                self.stack.poll(now);
                break;
            }
        }
    }

    /// Logs the stack's drop counters (defmt) when they changed, at most every
    /// [`COUNTERS_EVERY_MS`]: the record of what the ingress gate and the NIC threw away.
    fn log_counters(&mut self, now: Instant) {
        let (logged_at, logged_drops) = self.counters_logged;
        if now.as_millis() < logged_at + COUNTERS_EVERY_MS {
            return;
        }
        let stats = self.stack.stats();
        let gate = stats.gate;
        let drops = gate.malformed
            + gate.bad_checksum
            + gate.unsupported
            + gate.oversized
            + gate.syns_gated
            + stats.nic.rx_dropped;
        if drops == logged_drops {
            return;
        }
        self.counters_logged = (now.as_millis(), drops);
        #[cfg(feature = "defmt")]
        defmt::info!(
            "net: frames in {=u64} out {=u64}; dropped: malformed {=u64}, bad checksum {=u64}, unsupported {=u64}, oversized {=u64}, SYNs gated {=u64}, NIC {=u64}",
            gate.frames_in,
            gate.frames_out,
            gate.malformed,
            gate.bad_checksum,
            gate.unsupported,
            gate.oversized,
            gate.syns_gated,
            stats.nic.rx_dropped
        );
    }

    /// The top half, for tests that drive the NIC interrupt by hand (the kernel's dispatch calls
    /// the same function through the IRQ table).
    pub fn interrupt_top_half() {
        on_nic_interrupt();
    }

    /// The stack, for the services built on it.
    pub fn stack_mut(&mut self) -> &mut Stack<N> {
        &mut self.stack
    }
}

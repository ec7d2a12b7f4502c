//! The main loop's work, once for every board: configuration loading, network and proxy
//! start-up, and each turn's service (NIC bottom half, proxy, stats refresh, a board's extras).
//!
//! A board describes where its configuration is ([`ConfigSource`]: slot bytes, their name, the
//! fallback text) and has [`load_configuration`] parse it, builds a [`Board`] (its NIC, the NIC's
//! interrupt, that configuration), calls [`App::start`], then hands [`App::poll`] to the kernel's
//! run loop:
//!
//! ```ignore
//! let config = app::load_configuration(&source);
//! let mut app = app::App::start(inputs, heap_usage, app::Board { nic, nic_irq, config });
//! kernel.run(|_, now| app.poll(now, heap_usage(), |_| {}));
//! ```

use hil::IrqNumber;
use kernel::kprintln;
use kernel::time::Instant;
use net::Stack;
use nic::Nic;
use proxy::config::Parsed;

use crate::config_slot;
use crate::network::{Network, NetworkInputs};
use crate::proxy_service::ProxyService;

/// How often the stats page's box figures (memory, sockets, NIC counters) are refreshed.
const STATS_EVERY_MS: u64 = 1000;

/// Where a board's configuration comes from.
pub struct ConfigSource<'a> {
    /// The slot's bytes (header + text + padding), e.g. RAM a bootloader filled or a flash window.
    pub slot: &'a [u8],
    /// The slot's description for the console, e.g. `slot at 0x60008000`.
    pub slot_description: &'a str,
    /// What runs when the slot is empty: its name (in errors) and its text.
    pub fallback_name: &'a str,
    /// The fallback configuration text.
    pub fallback_text: &'a str,
    /// The console line that says the fallback is in use.
    pub fallback_note: &'a str,
}

/// Parses the configuration in the slot, or the fallback when the slot holds none. `None` when
/// the one found is rejected (the reason is logged): the box then runs without a proxy.
pub fn load_configuration(source: &ConfigSource<'_>) -> Option<Parsed> {
    let (name, parsed) = match config_slot::text(source.slot) {
        Some(text) => {
            kprintln!(
                "proxy: configuration from the {} ({} bytes)",
                source.slot_description,
                text.len()
            );
            ("slot", proxy::config::parse_bytes("slot", text))
        }
        None => {
            kprintln!("proxy: {}", source.fallback_note);
            (
                source.fallback_name,
                proxy::config::parse(source.fallback_name, source.fallback_text),
            )
        }
    };
    match parsed {
        Ok(parsed) => Some(parsed),
        Err(error) => {
            kprintln!("proxy: {} rejected, no proxy running: {}", name, error);
            None
        }
    }
}

/// What a board hands the application.
pub struct Board<N: Nic> {
    /// The proxy's NIC, when the board found one (`None`: run without a network, logged).
    pub nic: Option<N>,
    /// The NIC's interrupt line.
    pub nic_irq: IrqNumber,
    /// The configuration, from [`load_configuration`] (`None`: rejected, no proxy runs). The
    /// board loads it before [`App::start`] so that a temporary copy of the slot (the NSLU2 reads
    /// its flash slot into RAM) is freed before the network sizes its sockets from the heap.
    pub config: Option<Parsed>,
}

/// The running application: the network service and the proxy on it.
pub struct App<N: Nic> {
    network: Option<Network<N>>,
    proxy: Option<ProxyService>,
    next_stats_ms: u64,
}

/// Heap figures, `(used, free)` bytes, as the kernel reports them (`kernel::heap_usage`).
pub type HeapUsage = (usize, usize);

impl<N: Nic> App<N> {
    /// Brings the network up and starts the proxy with `board`'s configuration.
    ///
    /// The network sizes its sockets from what `heap` says is free now (the parsed
    /// configuration already in it); `heap` is asked again for the proxy's own budget.
    pub fn start(inputs: NetworkInputs<'_>, heap: impl Fn() -> HeapUsage, board: Board<N>) -> Self {
        let parsed = board.config;
        let mut network = match board.nic {
            Some(nic) => Network::bring_up(&inputs, heap().1, nic, board.nic_irq)
                .inspect_err(|error| kprintln!("net:   not started: {:?}", error))
                .ok(),
            None => None,
        };
        let proxy = network.as_mut().zip(parsed).map(|(network, parsed)| {
            for warning in &parsed.warnings {
                kprintln!("proxy: {}", warning);
            }
            ProxyService::start(&parsed.config, heap().1, network.stack_mut())
        });
        Self {
            network,
            proxy,
            next_stats_ms: 0,
        }
    }

    /// One main-loop turn: `extra` (a board's own per-turn work, e.g. watching a second port's
    /// link; it gets the stack when the network runs), then the network's bottom half with the
    /// proxy on it, refreshing the stats figures once a second from `heap`.
    pub fn poll(
        &mut self,
        now: Instant,
        heap: impl Fn() -> HeapUsage,
        mut extra: impl FnMut(Option<&mut Stack<N>>),
    ) {
        let Some(network) = self.network.as_mut() else {
            extra(None);
            return;
        };
        extra(Some(network.stack_mut()));
        let proxy = &mut self.proxy;
        let next_stats_ms = &mut self.next_stats_ms;
        network.service(now, |stack| {
            if let Some(proxy) = proxy.as_mut() {
                if now.as_millis() >= *next_stats_ms {
                    let (used, free) = heap();
                    proxy.set_box_stats(stack, used, free);
                    *next_stats_ms = now.as_millis() + STATS_EVERY_MS;
                }
                proxy.poll(stack, now);
            }
        });
    }

    /// The network, when it runs.
    pub fn network_mut(&mut self) -> Option<&mut Network<N>> {
        self.network.as_mut()
    }

    /// Whether the proxy runs.
    pub fn proxy_running(&self) -> bool {
        self.proxy.is_some()
    }
}

/// The two steps every board takes on a booted kernel, written once: the inputs come from the
/// kernel (command line, clock, interrupt controller) and the heap figures from its allocator.
#[cfg(target_arch = "arm")]
impl<N: Nic> App<N> {
    /// [`App::start`] with the kernel's inputs and heap.
    pub fn start_on(kernel: &kernel::Kernel, board: Board<N>) -> Self {
        let platform = kernel.platform();
        let inputs = NetworkInputs {
            cmdline: &kernel.boot_info.cmdline,
            seed: platform.clock.now_ticks(),
            interrupts: platform.interrupts,
            now: kernel.now(),
        };
        Self::start(inputs, kernel::heap_usage, board)
    }

    /// Hands the main loop to the kernel: [`App::poll`] every turn, with `extra` (the board's
    /// own per-turn work) given the time and the stack.
    pub fn run(
        mut self,
        kernel: kernel::Kernel,
        mut extra: impl FnMut(Instant, Option<&mut Stack<N>>),
    ) -> ! {
        kernel.run(move |_, now| self.poll(now, kernel::heap_usage, |stack| extra(now, stack)))
    }
}

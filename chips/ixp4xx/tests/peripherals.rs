//! UART (the shared `ns16550` driver, XScale variant), OS timer/watchdog, interrupt controller, GPIO and flash drivers against a register
//! file that records every access: the exact register protocol (values and order) is checked.

use std::cell::RefCell;
use std::collections::HashMap;

use hil::mmio::Bus;
use ixp4xx::expbus::{ExpansionBus, Flash, FlashBus, FlashError};
use ixp4xx::gpio::{Gpio, GpioError, InterruptStyle};
use ixp4xx::intc::{InterruptController, sources};
use ixp4xx::timer::{OsTimer, TimerError, reload_for};
use ixp4xx::{map, map::irq};
// The IXP4xx UARTs are XScale 16550s: the one `ns16550` driver, its XScale variant.
use ns16550::{Ns16550, UartError, Variant, divisor};

// The NSLU2's wiring of the GPIO block is a board fact; its polarities are checked here, where
// the GPIO model is.
#[path = "../../../boards/nslu2/src/wiring.rs"]
mod wiring;
use wiring::{Button, Led, Nslu2Gpio};

/// The NSLU2's timer crystal (`wiring::TIMER_HZ`).
const NSLU2_TIMER_HZ: u32 = wiring::TIMER_HZ;

/// Plain registers with fixed read values for status registers, and a write log.
#[derive(Default)]
struct RegFile {
    values: RefCell<HashMap<usize, u32>>,
    writes: RefCell<Vec<(usize, u32)>>,
}

impl RegFile {
    fn with(values: &[(usize, u32)]) -> Self {
        let file = RegFile::default();
        file.values.borrow_mut().extend(values.iter().copied());
        file
    }
    fn get(&self, offset: usize) -> u32 {
        self.values.borrow().get(&offset).copied().unwrap_or(0)
    }
    fn writes(&self) -> Vec<(usize, u32)> {
        self.writes.borrow().clone()
    }
}

impl Bus for RegFile {
    fn read(&self, offset: usize) -> u32 {
        self.get(offset)
    }
    fn write(&self, offset: usize, value: u32) {
        self.writes.borrow_mut().push((offset, value));
        self.values.borrow_mut().insert(offset, value);
    }
}

#[test]
fn uart_divisors_for_the_14_7456_mhz_clock() {
    assert_eq!(divisor(map::UART_CLOCK_HZ, 115_200), Ok(8));
    assert_eq!(divisor(map::UART_CLOCK_HZ, 9_600), Ok(96));
    assert_eq!(divisor(map::UART_CLOCK_HZ, 0), Err(UartError::BaudTooHigh));
    assert_eq!(
        divisor(map::UART_CLOCK_HZ, 2_000_000),
        Err(UartError::BaudTooHigh)
    );
    assert_eq!(divisor(map::UART_CLOCK_HZ, 10), Err(UartError::BaudTooLow));
}

#[test]
fn uart_init_programs_8n1_fifo_and_unit_enable() {
    // LSR (0x14): THRE | TEMT.
    let regs = RegFile::with(&[(0x14, 0x60)]);
    let uart = Ns16550::new(&regs, Variant::Xscale);
    uart.init(map::UART_CLOCK_HZ, 115_200).unwrap();
    assert_eq!(
        regs.writes(),
        vec![
            (0x04, 0x00), // IER: unit off while reprogramming
            (0x0C, 0x83), // LCR: DLAB, 8 bits
            (0x00, 8),    // DLL
            (0x04, 0),    // DLH
            (0x0C, 0x03), // LCR: 8N1
            (0x08, 0x87), // FCR: FIFOs on and reset, RX trigger "10"
            (0x04, 0x40), // IER: UUE
        ]
    );
    use core::fmt::Write;
    let mut uart = uart;
    uart.write_str("a\n").unwrap();
    let tx: Vec<u32> = regs.writes()[7..].iter().map(|w| w.1).collect();
    assert_eq!(tx, vec![b'a' as u32, b'\r' as u32, b'\n' as u32]);
}

#[test]
fn uart_gives_up_on_a_dead_transmitter_and_reads_received_bytes() {
    let regs = RegFile::with(&[(0x14, 0x00)]);
    let uart = Ns16550::new(&regs, Variant::Xscale);
    assert!(!uart.write_byte(b'x'));
    assert!(regs.writes().is_empty());
    assert_eq!(uart.read_byte(), None);
    let regs = RegFile::with(&[(0x14, 0x01), (0x00, 0x1_41)]);
    assert_eq!(Ns16550::new(&regs, Variant::Xscale).read_byte(), Some(b'A'));
}

#[test]
fn timer_tick_and_watchdog_reset_sequence() {
    assert_eq!(reload_for(NSLU2_TIMER_HZ, 100), Ok(660_000));
    assert_eq!(reload_for(map::GENERIC_TIMER_HZ, 100), Ok(666_660));
    assert_eq!(reload_for(10, 100), Err(TimerError::TooShort));
    assert_eq!(reload_for(10, 0), Err(TimerError::TooShort));

    let regs = RegFile::default();
    let timer = OsTimer::new(&regs, NSLU2_TIMER_HZ);
    timer.start_tick(100).unwrap();
    assert_eq!(
        regs.writes(),
        vec![(0x08, 0), (0x20, 1), (0x08, 660_000 | 1)]
    );

    let regs = RegFile::with(&[(0x20, 0x11)]);
    let timer = OsTimer::new(&regs, NSLU2_TIMER_HZ);
    assert!(timer.was_watchdog_reset());
    assert!(timer.ack_tick());
    assert_eq!(regs.writes(), vec![(0x20, 1)]);

    let regs = RegFile::default();
    let timer = OsTimer::new(&regs, NSLU2_TIMER_HZ);
    timer.reset_chip();
    // Linux ixp4xx_restart: key, count 0, reset + count enable (then relock).
    assert_eq!(
        regs.writes(),
        vec![(0x1C, 0x482E), (0x18, 0), (0x14, 0), (0x18, 0x5), (0x1C, 0)]
    );
    let regs = RegFile::default();
    OsTimer::new(&regs, NSLU2_TIMER_HZ).watchdog_start(2_000);
    assert!(regs.writes().contains(&(0x14, 132_000_000)));
    let regs = RegFile::default();
    OsTimer::new(&regs, NSLU2_TIMER_HZ).watchdog_start(u32::MAX);
    assert!(regs.writes().contains(&(0x14, u32::MAX)), "saturates");
}

#[test]
fn interrupt_controller_masks_and_dispatches() {
    let regs = RegFile::with(&[(0x04, 0xFFFF_FFFF), (0x08, 0xFF)]);
    let intc = InterruptController::new(&regs);
    intc.init();
    assert_eq!((regs.get(0x04), regs.get(0x08)), (0, 0));
    intc.enable(irq::TIMER1);
    intc.enable(irq::UART1);
    intc.enable(40); // ignored
    assert_eq!(regs.get(0x04), 1 << 5 | 1 << 15);
    intc.disable(irq::TIMER1);
    assert_eq!(regs.get(0x04), 1 << 15);
    regs.values.borrow_mut().insert(0x0C, 1 << 3 | 1 << 15);
    assert_eq!(intc.next_pending(), Some(irq::QM1));
    assert_eq!(
        sources(1 << 3 | 1 << 15 | 1 << 31).collect::<Vec<_>>(),
        vec![3, 15, 31]
    );
    assert_eq!(irq::gpio(5), Some(22));
    assert_eq!(irq::gpio(12), Some(29));
    assert_eq!(irq::gpio(13), None);
}

#[test]
fn gpio_levels_before_drivers_and_nslu2_polarities() {
    let regs = RegFile::with(&[(0x04, 0xFFFF)]);
    let gpio = Gpio::new(&regs);
    gpio.set_output(3, true).unwrap();
    assert_eq!(
        regs.writes(),
        vec![(0x00, 1 << 3), (0x04, 0xFFFF & !(1 << 3))]
    );
    assert_eq!(gpio.set_output(16, true), Err(GpioError::InvalidLine));
    gpio.set_interrupt_style(9, InterruptStyle::FallingEdge)
        .unwrap();
    assert_eq!(regs.get(0x14), 3 << 3);
    assert_eq!(regs.get(0x0C), 1 << 9);
    assert_eq!(
        gpio.set_interrupt_style(13, InterruptStyle::RisingEdge),
        Err(GpioError::InvalidLine)
    );

    let regs = RegFile::with(&[(0x04, 0xFFFF)]);
    let board = Nslu2Gpio::new(Gpio::new(&regs));
    // Everything off: active-high LEDs low, active-low disk LEDs high; power-off an input.
    assert_eq!(regs.get(0x00) & 0xF, 0b1100);
    assert_ne!(regs.get(0x04) & (1 << 8), 0, "power-off stays an input");
    board.set_led(Led::Disk1, true);
    board.set_led(Led::ReadyGreen, true);
    assert_eq!(regs.get(0x00) & 0xF, 0b0110);
    regs.values.borrow_mut().insert(0x08, 1 << 5);
    assert!(board.is_pressed(Button::Power));
    assert!(board.is_pressed(Button::Reset), "GPIO12 low = pressed");
    board.power_off();
    assert_ne!(regs.get(0x00) & (1 << 8), 0);
    assert_eq!(regs.get(0x04) & (1 << 8), 0);
}

/// A 16-bit flash holding `bytes` as a big-endian reader sees them.
struct FlashImage(Vec<u8>);
impl FlashBus for FlashImage {
    fn read_be16(&self, offset: usize) -> u16 {
        u16::from_be_bytes([self.0[offset], self.0[offset + 1]])
    }
}

#[test]
fn flash_reads_bytes_at_any_alignment_and_validates_the_mac() {
    let mut image = vec![0xFF; 0x40000];
    let mac = [0x00, 0x14, 0xBF, 0x01, 0x02, 0x03];
    image[0x3FFB0..0x3FFB6].copy_from_slice(&mac);
    image[0x101..0x106].copy_from_slice(b"hello");
    let flash = Flash::new(FlashImage(image.clone()), image.len());
    let mut buf = [0u8; 5];
    flash.read(0x101, &mut buf).unwrap();
    assert_eq!(&buf, b"hello");
    assert_eq!(
        flash
            .mac_address_at(nslu2_layout::MAC_ADDRESS_OFFSET)
            .unwrap()
            .0,
        mac
    );
    assert_eq!(
        flash.read(0x3FFFF, &mut buf),
        Err(FlashError::OutOfRange {
            offset: 0x3FFFF,
            len: 5
        })
    );
    assert!(flash.read(usize::MAX, &mut buf).is_err());
    image[0x3FFB0..0x3FFB6].fill(0xFF);
    let erased = Flash::new(FlashImage(image), 0x40000);
    assert_eq!(
        erased.mac_address_at(nslu2_layout::MAC_ADDRESS_OFFSET),
        Err(FlashError::InvalidMacAddress([0xFF; 6]))
    );
}

#[test]
fn feature_register_reads_inverted() {
    // Bits 9 (NPE-B Ethernet) and 12 (NPE-B) read 0 = present.
    let regs = RegFile::with(&[(0x28, !(1 << 9 | 1 << 12))]);
    let exp = ExpansionBus::new(&regs);
    assert!(exp.has_npeb_ethernet());
    let regs = RegFile::with(&[(0x28, !(1 << 12))]);
    assert!(!ExpansionBus::new(&regs).has_npeb_ethernet());
}

#[test]
fn xscale_dma_is_identity_inside_ram_only() {
    use ixp4xx::dma::XscaleDma;
    use nic::dma::DmaMemory;
    // SAFETY: host test; the cache operations are no-ops off ARM and no memory is touched.
    let dma = unsafe { XscaleDma::new(0x1000..0x2000) };
    let inside = core::ptr::without_provenance::<u8>(0x1234);
    let outside = core::ptr::without_provenance::<u8>(0x2000);
    assert_eq!(dma.bus_address(inside), Some(0x1234));
    assert_eq!(dma.bus_address(outside), None);
    assert_eq!(dma.cpu_pointer(0x1FFF).map(|p| p.addr()), Some(0x1FFF));
    assert_eq!(dma.cpu_pointer(0x0FFF), None);
}

#[test]
fn microcode_slot_is_read_as_the_image_tool_writes_it() {
    const FLASH_SIZE: usize = nslu2_layout::FLASH_SIZE;
    let layout = wiring::MICROCODE_SLOT;
    let mut image = vec![0xFF; FLASH_SIZE];
    let slot = layout.offset;
    let file: Vec<u8> = (0..301u32).map(|i| (i * 7) as u8).collect();
    let erased = Flash::new(FlashImage(image.clone()), FLASH_SIZE);
    let mut buf = vec![0u8; layout.max_len];
    assert_eq!(
        erased.read_microcode(layout, &mut buf),
        Err(FlashError::NoMicrocode)
    );
    image[slot..slot + 4].copy_from_slice(&(file.len() as u32).to_be_bytes());
    image[slot + 4..slot + 16].fill(0);
    image[slot + 16..slot + 16 + file.len()].copy_from_slice(&file);
    let flash = Flash::new(FlashImage(image.clone()), FLASH_SIZE);
    assert_eq!(flash.read_microcode(layout, &mut buf), Ok(&file[..]));
    image[slot..slot + 4].copy_from_slice(&0x3000u32.to_be_bytes());
    let flash = Flash::new(FlashImage(image), FLASH_SIZE);
    assert_eq!(
        flash.read_microcode(layout, &mut buf),
        Err(FlashError::MicrocodeTooLarge {
            len: 0x3000,
            max: 0x2FF0
        })
    );
}

/// [`RegFile`] behind a lock, for the `hil` traits, which need a `Sync` driver.
#[derive(Default)]
struct SyncRegFile(std::sync::Mutex<Vec<(usize, u32)>>);

impl Bus for SyncRegFile {
    fn read(&self, _offset: usize) -> u32 {
        0
    }
    fn write(&self, offset: usize, value: u32) {
        self.0.lock().unwrap().push((offset, value));
    }
}

impl SyncRegFile {
    fn take_writes(&self) -> Vec<(usize, u32)> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

#[test]
fn the_watchdog_seam_feeds_the_started_count_and_never_a_zero_one() {
    use hil::Watchdog;
    let regs = SyncRegFile::default();
    let timer = OsTimer::new(&regs, NSLU2_TIMER_HZ);
    // Fed before it was armed: nothing written (a zero count would reset the chip at once).
    timer.feed();
    assert!(regs.take_writes().is_empty());
    timer.start(2_000);
    let armed = regs.take_writes();
    assert_eq!(
        armed,
        vec![
            (0x1C, 0x482E),
            (0x18, 0),
            (0x14, 132_000_000),
            (0x18, 0x5),
            (0x1C, 0)
        ]
    );
    timer.feed();
    assert_eq!(
        regs.take_writes(),
        armed,
        "a feed reloads the started count"
    );
    timer.stop();
    assert_eq!(
        regs.take_writes(),
        vec![(0x1C, 0x482E), (0x18, 0), (0x1C, 0)]
    );
    timer.feed();
    assert!(regs.take_writes().is_empty(), "stopped stays stopped");
}

#[test]
fn the_clock_and_tick_seams_are_the_timestamp_and_timer_1() {
    use hil::{Clock, TickTimer};
    let regs = SyncRegFile::default();
    let timer = OsTimer::new(&regs, NSLU2_TIMER_HZ);
    assert_eq!(
        (timer.frequency_hz(), timer.counter_bits()),
        (66_000_000, 32)
    );
    assert_eq!(timer.irq(), irq::TIMER1);
    timer.start_periodic(100);
    assert_eq!(
        regs.take_writes(),
        vec![(0x08, 0), (0x20, 1), (0x08, 660_000 | 1)]
    );
}

#[test]
fn peripherals_are_handed_out_once_at_the_ixp420_addresses() {
    // No register is touched by `take`, so this is safe to run on the host.
    let p = ixp4xx::Peripherals::take().expect("first take");
    assert_eq!(p.os_timer.base(), map::TIMER_BASE);
    assert_eq!(p.os_timer.len(), map::PERIPHERAL_WINDOW);
    assert!(ixp4xx::Peripherals::take().is_none());
    // Every small register window lies in the megabyte from UART1 that a board maps.
    for base in [
        map::UART1_BASE,
        map::INTC_BASE,
        map::GPIO_BASE,
        map::TIMER_BASE,
        map::NPE_B_BASE,
        map::ETH_B_MAC_BASE,
    ] {
        assert!((map::UART1_BASE..map::UART1_BASE + (1 << 20)).contains(&base));
    }
}

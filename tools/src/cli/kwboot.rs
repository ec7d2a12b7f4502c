//! `bareproxy kwboot`: boot a Marvell board over its UART (like U-Boot's `kwboot`).

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};

use bareproxy_tool::image::kwbimage::uart;
use bareproxy_tool::kwboot::{self, Progress, SerialLink, Timing};

/// Boot a Mirabox (Armada 370) from an image sent over its serial port.
///
/// Start this, then power the board on (or press reset): the BootROM answers the boot pattern
/// and takes the image by xmodem. Any kwbimage v1 works: one from `bareproxy kwb pack` or
/// `kwb unbrick`, or the first 724576 bytes of your own boot-partition dump.
#[derive(Debug, clap::Args)]
pub struct KwbootArgs {
    /// Serial device (e.g. /dev/ttyUSB0).
    tty: String,
    /// Image to boot (patched for UART boot on the fly; the file is not changed).
    #[arg(short = 'b', long = "boot")]
    image: Option<PathBuf>,
    /// Open a terminal on the port after the upload (quit: Ctrl-\ then c).
    #[arg(short = 't', long)]
    terminal: bool,
    /// With -b: send the data at this speed (the image is extended with code that switches the
    /// board's UART, like kwboot -B; v1 images, Armada 370/XP). With -t alone: terminal speed.
    #[arg(short = 'B', long)]
    baud: Option<u32>,
    /// Give up if the BootROM has not answered after this many seconds (0: wait forever).
    #[arg(long, default_value_t = 0)]
    wait: u64,
    /// Reply timeout per xmodem block in ms (kwboot -o).
    #[arg(short = 'o', long = "block-timeout", default_value_t = 2000)]
    block_timeout_ms: u64,
    /// Pause between boot-pattern bursts in ms (kwboot -s; 10 for Armada XP).
    #[arg(short = 's', long = "pattern-pause", default_value_t = 50)]
    pattern_pause_ms: u64,
}

pub fn run(args: KwbootArgs) -> anyhow::Result<()> {
    let image = match &args.image {
        Some(path) => {
            let raw = super::read(path)?;
            let image = match args.baud {
                Some(baud) => uart::patch_with_baud_switch(&raw, baud),
                None => uart::patch(&raw),
            }
            .with_context(|| format!("cannot UART-boot {}", path.display()))?;
            eprintln!(
                "{}: {} bytes to send ({} header blocks, {} blocks)",
                path.display(),
                image.bytes.len(),
                image.header_blocks(),
                image.blocks()
            );
            for change in &image.changes {
                eprintln!("  patched for UART boot: {change}");
            }
            Some(image)
        }
        None if args.terminal => None,
        None => anyhow::bail!("nothing to do: give an image with -b and/or -t for a terminal"),
    };

    let mut link = SerialLink::open(&args.tty)
        .with_context(|| format!("cannot open serial port {}", args.tty))?;
    if let Some(image) = &image {
        let timing = Timing {
            pattern_pause: Duration::from_millis(args.pattern_pause_ms.max(1)),
            handshake_limit: (args.wait > 0).then(|| Duration::from_secs(args.wait)),
            block_timeout: Duration::from_millis(args.block_timeout_ms.max(1)),
            ..Timing::default()
        };
        let spinner = ProgressBar::new_spinner();
        spinner.set_message(format!(
            "sending boot pattern on {}: power on or reset the board now",
            args.tty
        ));
        kwboot::handshake(&mut link, &timing, |_| spinner.tick())?;
        spinner.finish_with_message("BootROM answered; sending the image");

        let bar = ProgressBar::new(image.blocks() as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:40} {pos}/{len} blocks {bytes_per_sec:>10} eta {eta} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let mut progress = BarProgress { bar: &bar };
        kwboot::send_image(&mut link, image, &timing, &mut progress)?;
        bar.finish_with_message("done");
        eprintln!("image sent; the board is starting it");
    }
    if args.terminal {
        let mut port = link.into_port();
        if let (Some(baud), None) = (args.baud, &image) {
            port.set_baud_rate(baud)
                .with_context(|| format!("cannot set {} to {baud} baud", args.tty))?;
        }
        kwboot::terminal::run(port).context("terminal")?;
    }
    Ok(())
}

/// Reports progress on an indicatif bar (which draws on stderr).
struct BarProgress<'a> {
    bar: &'a ProgressBar,
}

impl Progress for BarProgress<'_> {
    fn blocks(&mut self, done: usize, _total: usize) {
        self.bar.set_position(done as u64);
    }

    fn board_output(&mut self, bytes: &[u8]) {
        // The DDR training code's messages: shown above the bar, as they come.
        self.bar.suspend(|| {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(bytes);
            let _ = out.flush();
        });
    }

    fn baud_changed(&mut self, baud: u32) {
        let message = format!("line speed now {baud} baud");
        if self.bar.is_hidden() {
            eprintln!("{message}");
        } else {
            self.bar.println(message);
        }
    }

    fn retry(&mut self, block: usize, attempt: u32, reason: &'static str) {
        let message = format!("block {block}: {reason}, sending again (attempt {attempt})");
        // A hidden bar (stderr not a terminal) swallows println; the message must not be lost.
        if self.bar.is_hidden() {
            eprintln!("{message}");
        } else {
            self.bar.println(message);
        }
    }
}

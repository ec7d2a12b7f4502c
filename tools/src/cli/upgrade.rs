//! `bareproxy upgrade`: re-flash an NSLU2 in RedBoot upgrade mode over Ethernet (like upslug2).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};

use bareproxy_tool::image::nslu2;
use bareproxy_tool::upgrade::{self, Found, Mac, RawSocket, Session, Timing, format_mac};

/// Talk to an NSLU2 in RedBoot upgrade mode (raw Ethernet, ethertype 0x8888; needs root).
///
/// Put the box in upgrade mode: power off, hold the reset button, power on, keep holding
/// about 10 s until the status LED alternates red/green. Connect it to the same Ethernet
/// segment as INTERFACE (directly or through a switch; no IP configuration is needed).
#[derive(Debug, clap::Subcommand)]
pub enum UpgradeCommand {
    /// List the boxes in upgrade mode on the interface.
    Discover {
        #[command(flatten)]
        net: NetArgs,
    },
    /// Show one box's hardware and firmware identity.
    Info {
        #[command(flatten)]
        net: NetArgs,
    },
    /// Write an image (verify and reboot by default).
    Flash {
        #[command(flatten)]
        net: NetArgs,
        /// A full 8 MiB flash image (`bareproxy nslu2 pack`, or a Linksys/SlugOS image).
        #[arg(short = 'i', long, conflicts_with_all = ["kernel", "ramdisk"], required_unless_present = "kernel")]
        image: Option<PathBuf>,
        /// Kernel (our firmware's big-endian binary) for the Kernel partition at 0x60000.
        #[arg(short = 'k', long)]
        kernel: Option<PathBuf>,
        /// Ramdisk for the Ramdisk partition at 0x160000 (with --kernel; default: empty).
        #[arg(short = 'r', long, requires = "kernel")]
        ramdisk: Option<PathBuf>,
        /// Skip the verify pass.
        #[arg(long)]
        no_verify: bool,
        /// Do not reboot the box afterwards.
        #[arg(long)]
        no_reboot: bool,
    },
    /// Reboot a box in upgrade mode.
    Reboot {
        #[command(flatten)]
        net: NetArgs,
    },
}

/// Options shared by every upgrade command.
#[derive(Debug, clap::Args)]
pub struct NetArgs {
    /// Network interface the box is connected to (e.g. eth0).
    #[arg(short = 'd', long = "interface", default_value = "eth0")]
    interface: String,
    /// The box's MAC address (default: the only box that answers).
    #[arg(short = 't', long, value_parser = upgrade::parse_mac)]
    target: Option<Mac>,
    /// Give up when the box has not answered a packet for this many seconds (the first data
    /// packet waits for a whole-flash erase).
    #[arg(long, default_value_t = 120)]
    timeout: u64,
    /// How long to listen for boxes, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    discover_ms: u64,
    /// First resend timeout per packet in milliseconds (doubles up to 1 s; upslug2: 62).
    #[arg(long, default_value_t = 62)]
    resend_ms: u64,
}

impl NetArgs {
    fn timing(&self) -> Timing {
        Timing {
            no_reply_limit: Duration::from_secs(self.timeout.max(1)),
            discovery: Duration::from_millis(self.discover_ms.max(10)),
            first_timeout: Duration::from_millis(self.resend_ms.max(1)),
            ..Timing::default()
        }
    }
}

pub fn run(cmd: UpgradeCommand) -> anyhow::Result<()> {
    match cmd {
        UpgradeCommand::Discover { net } => {
            let mut socket = RawSocket::open(&net.interface)?;
            let found = upgrade::discover(&mut socket, net.target, &net.timing())?;
            if found.is_empty() {
                println!("no box in upgrade mode answered on {}", net.interface);
            }
            for f in &found {
                println!(
                    "{}  {}  firmware {:#06x}",
                    format_mac(&f.mac),
                    f.info.model().unwrap_or("unknown hardware id"),
                    f.info.firmware_version
                );
            }
            Ok(())
        }
        UpgradeCommand::Info { net } => {
            let mut socket = RawSocket::open(&net.interface)?;
            let found = one_box(&mut socket, &net)?;
            println!("{}", format_mac(&found.mac));
            println!("{}", found.info);
            Ok(())
        }
        UpgradeCommand::Flash {
            net,
            image,
            kernel,
            ramdisk,
            no_verify,
            no_reboot,
        } => {
            let image = load_image(image, kernel, ramdisk)?;
            let mut socket = RawSocket::open(&net.interface)?;
            let found = one_box(&mut socket, &net)?;
            let model = found.info.model().ok_or_else(|| {
                anyhow::anyhow!(
                    "{} answered with an unknown hardware id; refusing to flash it",
                    format_mac(&found.mac)
                )
            })?;
            eprintln!("flashing {model} at {}", format_mac(&found.mac));
            let mut session = Session::new(&mut socket, found.mac, net.timing());
            let mut progress = BarProgress::default();
            session.flash(&image, !no_verify, &mut progress)?;
            progress.finish();
            if no_reboot {
                eprintln!("done; the box stays in upgrade mode (--no-reboot)");
            } else {
                session.reboot()?;
                eprintln!("done; the box is rebooting into the new image");
            }
            Ok(())
        }
        UpgradeCommand::Reboot { net } => {
            let mut socket = RawSocket::open(&net.interface)?;
            let found = one_box(&mut socket, &net)?;
            Session::new(&mut socket, found.mac, net.timing()).reboot()?;
            eprintln!("{} is rebooting", format_mac(&found.mac));
            Ok(())
        }
    }
}

/// The box to talk to: `--target` if given (it must answer), else the only one answering.
fn one_box(socket: &mut RawSocket, net: &NetArgs) -> anyhow::Result<Found> {
    let mut found = upgrade::discover(socket, net.target, &net.timing())?;
    match (found.len(), net.target) {
        (0, Some(mac)) => anyhow::bail!(
            "{} did not answer on {}: is it in upgrade mode (status LED alternating red/green)?",
            format_mac(&mac),
            net.interface
        ),
        (0, None) => anyhow::bail!(
            "no box in upgrade mode answered on {}: hold reset while powering on until the \
             status LED alternates red/green, and check the cable",
            net.interface
        ),
        (1, _) => Ok(found.remove(0)),
        _ => {
            let macs: Vec<String> = found.iter().map(|f| format_mac(&f.mac)).collect();
            anyhow::bail!(
                "several boxes answered ({}); choose one with --target",
                macs.join(", ")
            )
        }
    }
}

fn load_image(
    image: Option<PathBuf>,
    kernel: Option<PathBuf>,
    ramdisk: Option<PathBuf>,
) -> anyhow::Result<Vec<u8>> {
    if let Some(path) = image {
        let bytes = super::read(&path)?;
        let unpacked = nslu2::unpack(&bytes)
            .with_context(|| format!("{} is not an NSLU2 flash image", path.display()))?;
        if !unpacked.trailer_signature_ok {
            eprintln!(
                "warning: {} has no eRcOmM trailer signature: RedBoot will not boot it and will \
                 stay in upgrade mode",
                path.display()
            );
        }
        return Ok(bytes);
    }
    let kernel_path = kernel.context("give --image or --kernel")?;
    let contents = nslu2::FlashContents {
        kernel: super::read(&kernel_path)?,
        ramdisk: match &ramdisk {
            Some(path) => super::read(path)?,
            None => Vec::new(),
        },
        ..nslu2::FlashContents::default()
    };
    // RedBoot and SysConf in this image are placeholders: a normal upgrade never sends them.
    Ok(nslu2::pack(&contents)?)
}

/// Progress on an indicatif bar.
#[derive(Default)]
struct BarProgress {
    bar: Option<ProgressBar>,
}

impl BarProgress {
    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish();
        }
    }
}

impl upgrade::Progress for BarProgress {
    fn phase(&mut self, name: &'static str, total: usize) {
        self.finish();
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:16} {bar:40} {bytes}/{total_bytes} {bytes_per_sec:>12} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(name);
        if bar.is_hidden() {
            eprintln!("{name}: {total} bytes");
        }
        self.bar = Some(bar);
    }

    fn advanced(&mut self, bytes: usize) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes as u64);
        }
    }

    fn note(&mut self, message: &str) {
        match &self.bar {
            Some(bar) if !bar.is_hidden() => bar.println(message),
            _ => eprintln!("{message}"),
        }
    }
}

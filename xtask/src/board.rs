//! The three boards: how each is compiled, which images it produces, how they are checked.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};
use bareproxy_tool::image::{nslu2, uimage};

use crate::{cargo, root, run};

/// A compilation target.
pub enum Target {
    /// Built-in `armv7a-none-eabi` (Cortex-A9, PJ4B).
    Armv7a,
    /// Our `linker/armebv5te-none-eabi.json`: big-endian (BE-32) ARMv5TE for the XScale.
    Armebv5te,
}

impl Target {
    fn name(&self) -> &'static str {
        match self {
            Self::Armv7a => "armv7a-none-eabi",
            Self::Armebv5te => "armebv5te-none-eabi",
        }
    }

    /// Arguments selecting the target and building core/alloc for it.
    fn cargo_args(&self) -> Vec<String> {
        let mut args = vec![
            "-Zbuild-std=core,alloc".into(),
            "-Zbuild-std-features=compiler-builtins-mem".into(),
        ];
        match self {
            Self::Armv7a => args.extend(["--target".into(), "armv7a-none-eabi".into()]),
            Self::Armebv5te => {
                let spec = root().join("linker/armebv5te-none-eabi.json");
                args.extend([
                    "-Zjson-target-spec".into(),
                    "--target".into(),
                    spec.display().to_string(),
                ]);
            }
        }
        args
    }

    fn big_endian(&self) -> bool {
        matches!(self, Self::Armebv5te)
    }
}

/// What a board's build produces besides the ELF and the raw binary.
pub enum Extra {
    /// A device tree for QEMU, compiled from `qemu/dts/<file>.dts`.
    Dtb(&'static str),
    /// A legacy U-Boot image for the stock U-Boot's `bootm`, loaded and entered at this address.
    UImage { load: u32 },
    /// The NSLU2 Kernel partition (Sercomm header + image) for RedBoot.
    Nslu2Kernel,
    /// The raw image with every 32-bit word byte-reversed, for QEMU's `-kernel` on a BE-32 core:
    /// QEMU's RAM holds little-endian words and models BE-32 as word-invariant, so a big-endian
    /// image must be stored word-swapped. `link` is where the image is linked (and where QEMU's
    /// Linux boot path loads it).
    WordSwapped { link: u32 },
}

/// One board.
pub struct Board {
    /// Short name: `cargo xtask build <name>`, `target/images/<name>/`.
    pub name: &'static str,
    target: Target,
    extra: Extra,
}

/// Every board, in build order.
pub const BOARDS: &[Board] = &[
    Board {
        name: "vexpress",
        target: Target::Armv7a,
        extra: Extra::Dtb("vexpress-a9"),
    },
    Board {
        name: "mirabox",
        target: Target::Armv7a,
        extra: Extra::UImage { load: 0x8000 },
    },
    Board {
        name: "nslu2",
        target: Target::Armebv5te,
        extra: Extra::Nslu2Kernel,
    },
    Board {
        name: "xscale-qemu",
        target: Target::Armebv5te,
        extra: Extra::WordSwapped { link: 0xa001_0000 },
    },
];

/// A built board and its sizes.
pub struct Built {
    name: &'static str,
    text: u64,
    data: u64,
    bss: u64,
    raw: u64,
    extra: String,
}

impl Built {
    /// One line of the size report.
    pub fn size_line(&self) -> String {
        format!(
            "{:<9} {:>9} {:>9} {:>9} {:>9}  {}\n",
            self.name, self.text, self.data, self.bss, self.raw, self.extra
        )
    }
}

/// A binary from the toolchain's `llvm-tools` component.
fn llvm_tool(name: &str) -> Result<PathBuf> {
    let sysroot = Command::new("rustc")
        .args(["--print", "sysroot"])
        .current_dir(root())
        .output()?;
    let host = Command::new("rustc")
        .arg("-vV")
        .current_dir(root())
        .output()?;
    let host = String::from_utf8_lossy(&host.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .context("rustc -vV printed no host")?;
    let path = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim())
        .join("lib/rustlib")
        .join(host)
        .join("bin")
        .join(name);
    if !path.exists() {
        bail!(
            "{} is missing: rustup component add llvm-tools",
            path.display()
        );
    }
    Ok(path)
}

impl Board {
    /// The board's cargo package.
    pub fn package(&self) -> String {
        format!("board-{}", self.name)
    }

    fn out_dir(&self) -> PathBuf {
        root().join("target/images").join(self.name)
    }

    /// The ELF path cargo produces.
    fn cargo_elf(&self) -> PathBuf {
        root()
            .join("target")
            .join(self.target.name())
            .join("release")
            .join(format!("bareproxy-{}", self.name))
    }

    /// Compiles the firmware and writes the images; returns their sizes.
    pub fn build(&self) -> Result<Built> {
        println!("== building {} ({})", self.name, self.target.name());
        run(cargo()
            .args(["build", "--release", "-p", &self.package()])
            .args(self.target.cargo_args()))?;
        let out = self.out_dir();
        std::fs::create_dir_all(&out)?;
        let elf = out.join(format!("bareproxy-{}.elf", self.name));
        std::fs::copy(self.cargo_elf(), &elf).context("copying the ELF")?;
        let bin = out.join(format!("bareproxy-{}.bin", self.name));
        run(Command::new(llvm_tool("llvm-objcopy")?)
            .args(["-O", "binary"])
            .arg(&elf)
            .arg(&bin))?;
        let raw = std::fs::read(&bin)?;
        let extra = match self.extra {
            Extra::Dtb(name) => {
                let dtb = out.join(format!("{name}.dtb"));
                let source = root().join("qemu/dts").join(format!("{name}.dts"));
                run(Command::new("dtc")
                    .args(["-q", "-I", "dts", "-O", "dtb", "-o"])
                    .arg(&dtb)
                    .arg(&source))?;
                format!("{name}.dtb")
            }
            Extra::UImage { load } => {
                let name = format!("bareproxy {}", env!("CARGO_PKG_VERSION"));
                let params =
                    uimage::UImageParams::arm_linux_kernel(load, load, &name, source_date()?);
                let image = uimage::pack(&params, &raw).context("packing the uImage")?;
                let path = out.join(format!("bareproxy-{}.uImage", self.name));
                std::fs::write(&path, &image)?;
                format!("uImage {} bytes", image.len())
            }
            Extra::Nslu2Kernel => {
                let partition =
                    nslu2::kernel_partition(&raw).context("building the NSLU2 Kernel partition")?;
                let path = out.join(format!("bareproxy-{}-kernel.bin", self.name));
                std::fs::write(&path, &partition)?;
                format!("kernel partition {} bytes", partition.len())
            }
            Extra::WordSwapped { .. } => {
                let swapped = word_swapped(&raw);
                let path = out.join(format!("bareproxy-{}.swapped.bin", self.name));
                std::fs::write(&path, &swapped)?;
                format!("word-swapped {} bytes", swapped.len())
            }
        };
        let (text, data, bss) = section_sizes(&elf)?;
        Ok(Built {
            name: self.name,
            text,
            data,
            bss,
            raw: raw.len() as u64,
            extra,
        })
    }

    /// Clippy on the firmware crates for this board's target.
    pub fn clippy(&self) -> Result<()> {
        println!("== clippy {} ({})", self.name, self.target.name());
        run(cargo()
            .args([
                "clippy",
                "--release",
                "-p",
                &self.package(),
                "-p",
                "kernel",
                "-p",
                "app",
            ])
            .args(self.target.cargo_args())
            .args(["--", "-D", "warnings"]))
    }

    /// Checks the raw image: entry at the image start, and in the byte order the core fetches.
    /// Older LLD versions mis-linked big-endian ARM silently (LLVM issue #58349), so the NSLU2
    /// image is checked both by the first word and by disassembling it.
    pub fn check_image(&self) -> Result<()> {
        let out = self.out_dir();
        let bin = std::fs::read(out.join(format!("bareproxy-{}.bin", self.name)))?;
        let first: [u8; 4] = bin
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .context("empty image")?;
        let word = if self.target.big_endian() {
            u32::from_be_bytes(first)
        } else {
            u32::from_le_bytes(first)
        };
        // aarch32-rt's reset vector is `ldr pc, =_start`, i.e. `ldr pc, [pc, #imm]`.
        if word & 0xffff_f000 != 0xe59f_f000 {
            bail!(
                "{}: image does not start with the reset vector (first word {word:#010x} read {})",
                self.name,
                if self.target.big_endian() {
                    "big-endian"
                } else {
                    "little-endian"
                }
            );
        }
        if let Extra::Nslu2Kernel = self.extra {
            // The IXP4xx has no XScale PWRMODE register (Linux `arch/arm/mach-ixp4xx/common.c`,
            // `ixp4xx_init_irq`: "ixp4xx does not implement the XScale PWRMODE register so it
            // must not call cpu_do_idle()"): its image must hold no `mcr p14, 0, Rd, c7, c0, 0`.
            let pwrmode_writes = bin
                .chunks_exact(4)
                .map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
                .filter(|&w| w & 0xffff_0fff == 0xee07_0e10)
                .count();
            if pwrmode_writes > 0 {
                bail!(
                    "{}: the image writes the XScale PWRMODE register {pwrmode_writes} times; the IXP4xx has none",
                    self.name
                );
            }
            println!("== {}: no XScale PWRMODE write in the image", self.name);
        }
        if let Extra::UImage { .. } = self.extra {
            // The stock U-Boot's own view of the image: U-Boot's dumpimage must list it.
            let image = out.join(format!("bareproxy-{}.uImage", self.name));
            let listing = Command::new("dumpimage")
                .arg("-l")
                .arg(&image)
                .output()
                .context("running dumpimage (apt-get install u-boot-tools)")?;
            let text = String::from_utf8_lossy(&listing.stdout);
            if !listing.status.success() || !text.contains("ARM Linux Kernel Image (uncompressed)")
            {
                bail!(
                    "{}: dumpimage -l rejects {}:\n{text}{}",
                    self.name,
                    image.display(),
                    String::from_utf8_lossy(&listing.stderr)
                );
            }
            println!("== {}: dumpimage -l accepts the uImage", self.name);
        }
        if self.target.big_endian() {
            let elf = out.join(format!("bareproxy-{}.elf", self.name));
            let header = std::fs::read(&elf)?;
            // ELF: EI_DATA (byte 5) = 2 for big-endian; e_flags (offset 36, big-endian here) must
            // not carry EF_ARM_BE8 (0x0080_0000): the XScale is BE-32.
            let flags = u32::from_be_bytes(
                header
                    .get(36..40)
                    .and_then(|b| b.try_into().ok())
                    .context("short ELF")?,
            );
            if header.get(5) != Some(&2) || flags & 0x0080_0000 != 0 {
                bail!(
                    "{}: ELF is not big-endian BE-32 (EI_DATA {:?}, e_flags {flags:#x})",
                    self.name,
                    header.get(5)
                );
            }
            // Where the vector table is linked: RedBoot's load address, or the board's own.
            let start = match self.extra {
                Extra::WordSwapped { link } => link,
                _ => 0x01d0_0000,
            };
            let listing = Command::new(llvm_tool("llvm-objdump")?)
                .arg("-d")
                .arg(format!("--start-address={start:#x}"))
                .arg(format!("--stop-address={:#x}", start + 0x20))
                .arg(&elf)
                .output()?;
            let listing = String::from_utf8_lossy(&listing.stdout);
            let vectors = listing
                .lines()
                .filter(|l| l.contains("ldr\tpc, [pc"))
                .count();
            if vectors < 8 {
                bail!(
                    "{}: disassembly of the vector table shows {vectors} `ldr pc` of 8:\n{listing}",
                    self.name
                );
            }
            println!(
                "== {}: big-endian BE-32 image, 8 vectors disassemble correctly",
                self.name
            );
        }
        Ok(())
    }
}

/// `raw` padded to whole words, each word byte-reversed.
fn word_swapped(raw: &[u8]) -> Vec<u8> {
    raw.chunks(4)
        .flat_map(|chunk| {
            let mut word = [0u8; 4];
            word[..chunk.len()].copy_from_slice(chunk);
            word.reverse();
            word
        })
        .collect()
}

/// Seconds since the epoch for reproducible images: `SOURCE_DATE_EPOCH`, else the last commit.
fn source_date() -> Result<u32> {
    if let Some(value) = std::env::var_os("SOURCE_DATE_EPOCH") {
        return value
            .to_string_lossy()
            .parse()
            .context("SOURCE_DATE_EPOCH is not a number");
    }
    let out = Command::new("git")
        .args(["log", "-1", "--format=%ct"])
        .current_dir(root())
        .output()?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0))
}

/// (text, data, bss) of an ELF, from `llvm-size`'s Berkeley output.
fn section_sizes(elf: &std::path::Path) -> Result<(u64, u64, u64)> {
    let out = Command::new(llvm_tool("llvm-size")?).arg(elf).output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let numbers: Vec<u64> = text
        .lines()
        .nth(1)
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .filter_map(|n| n.parse().ok())
        .collect();
    match numbers[..] {
        [t, d, b] => Ok((t, d, b)),
        _ => bail!("unexpected llvm-size output: {text}"),
    }
}

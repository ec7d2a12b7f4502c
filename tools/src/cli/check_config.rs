//! `bareproxy check-config` validates a haproxy.cfg with the parser the firmware itself uses
//! (`proxy::config`), so a configuration is known good before it is flashed; `bareproxy
//! config-slot` validates it the same way and writes it in the configuration-slot format the
//! firmware reads (a big-endian 32-bit length, twelve zero bytes, the text; see
//! `app/src/config_slot.rs`), e.g. for the Mirabox's `tftpboot 0x00F00000 …`.

use std::path::PathBuf;

use anyhow::Context as _;

use super::VerificationFailed;

/// Arguments of `check-config`.
#[derive(Debug, clap::Args)]
pub struct CheckConfigArgs {
    /// The configuration file (haproxy.cfg syntax, bareproxy's subset).
    file: PathBuf,
    /// Print the configuration as the firmware understood it (defaults applied, `listen`
    /// sections split, names resolved).
    #[arg(long)]
    dump: bool,
}

/// Arguments of `config-slot`.
#[derive(Debug, clap::Args)]
pub struct ConfigSlotArgs {
    /// The configuration file (checked like `check-config` first).
    file: PathBuf,
    /// Where to write the slot image.
    #[arg(short, long)]
    output: PathBuf,
}

/// Parses the file; warnings go to stderr; an invalid file is exit code 3.
pub fn run(args: CheckConfigArgs) -> anyhow::Result<()> {
    validate(&args.file, args.dump).map(|_| ())
}

/// Validates the file and writes it as a configuration slot.
pub fn run_slot(args: ConfigSlotArgs) -> anyhow::Result<()> {
    let text = validate(&args.file, false)?;
    // The slot format is the firmware's own (`app::config_slot`), not a copy of it.
    let slot = app::config_slot::encode(&text).context("the configuration is larger than 4 GiB")?;
    super::write(&args.output, &slot)?;
    println!(
        "wrote {} ({} bytes: {}-byte header + {} bytes of configuration)",
        args.output.display(),
        slot.len(),
        app::config_slot::HEADER_LEN,
        text.len()
    );
    Ok(())
}

/// Reads and parses `file`, printing warnings (and the normalised form with `dump`); returns the
/// file's bytes when valid.
fn validate(file: &std::path::Path, dump: bool) -> anyhow::Result<Vec<u8>> {
    let bytes = super::read(file)?;
    let name = file.display().to_string();
    match proxy::config::parse_bytes(&name, &bytes) {
        Ok(parsed) => {
            for warning in &parsed.warnings {
                eprintln!("{warning}");
            }
            if dump {
                print!("{}", parsed.config);
            }
            let config = &parsed.config;
            println!(
                "{name}: valid ({} frontends, {} backends, {} warnings)",
                config.frontends.len(),
                config.backends.len(),
                parsed.warnings.len()
            );
            Ok(bytes)
        }
        Err(error) => {
            Err(VerificationFailed(error.to_string())).context("the configuration is not valid")
        }
    }
}

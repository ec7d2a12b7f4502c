//! `bareproxy check-config`: validates a haproxy.cfg with the parser the firmware itself uses
//! (`proxy::config`), so a configuration is known good before it is flashed.

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

/// Parses the file; warnings go to stderr; an invalid file is exit code 3.
pub fn run(args: CheckConfigArgs) -> anyhow::Result<()> {
    let bytes = super::read(&args.file)?;
    let name = args.file.display().to_string();
    match proxy::config::parse_bytes(&name, &bytes) {
        Ok(parsed) => {
            for warning in &parsed.warnings {
                eprintln!("{warning}");
            }
            if args.dump {
                print!("{}", parsed.config);
            }
            let config = &parsed.config;
            println!(
                "{name}: valid ({} frontends, {} backends, {} warnings)",
                config.frontends.len(),
                config.backends.len(),
                parsed.warnings.len()
            );
            Ok(())
        }
        Err(error) => {
            Err(VerificationFailed(error.to_string())).context("the configuration is not valid")
        }
    }
}

//! `bareproxy`: host tool for bareproxy boxes. The work is done by the library
//! (`bareproxy_tool`); this file only parses the command line and maps results to exit codes.

use std::process::ExitCode;

use clap::Parser as _;

mod cli;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(cli::exit_code(&error))
        }
    }
}

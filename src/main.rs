//! The `chatsim` binary: parse, run, and turn an error into a message and an exit code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    chatsim::cli::install_interrupt_handler();
    match chatsim::cli::run(chatsim::cli::Cli::parse()) {
        Ok(code) => code,
        Err(err) => {
            let code = chatsim::cli::exit_code(&err);
            if code == 130 {
                eprintln!("chatsim: interrupted; nothing was written");
            } else {
                eprintln!("error: {err:#}");
            }
            ExitCode::from(code)
        }
    }
}

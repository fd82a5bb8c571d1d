//! The `eseal` binary: a thin shell over [`eseal::cli::run`].

use std::process::ExitCode;

fn main() -> ExitCode {
    match eseal::cli::run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

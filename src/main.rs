//! The `jzplan` command: parse arguments, run, map errors to exit codes (docs/errors.md).

use clap::Parser;

fn main() {
    let cli = jzplan::cli::Cli::parse();
    jzplan::cli::init_tracing(cli.global.verbose);
    match jzplan::cli::run(cli) {
        Ok(()) => {}
        // The reader of our output went away (`jzplan … | head`): nothing more to say.
        Err(e) if jzplan::cli::opts::is_closed_stdout(&e) => {}
        Err(e) => {
            let code = match e.downcast_ref::<jzplan::Error>() {
                Some(err) => {
                    eprintln!("error[{}]: {err}", err.code());
                    err.exit_code()
                }
                None => {
                    eprintln!("error: {e:#}");
                    1
                }
            };
            std::process::exit(code);
        }
    }
}

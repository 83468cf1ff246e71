use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    // The PDF drawer (`folio draw-pdf-page`, run by `folio serve` as a child process):
    // dispatched before any runtime or thread starts, and hidden from `folio --help`.
    if args.next().as_deref() == Some(std::ffi::OsStr::new(folio_pdf::drawer::COMMAND)) {
        return folio_pdf::drawer::main(args);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("folio: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(folio::cli::run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("folio: {err:#}");
            ExitCode::FAILURE
        }
    }
}

//! The PDF drawer for the API the tests run in-process: the same child as `folio
//! draw-pdf-page` ([`folio_pdf::drawer`]), built beside the test binaries (cargo builds a
//! package's binaries before its integration tests), since there the running executable
//! is a test harness, not `folio`.

fn main() -> std::process::ExitCode {
    folio_pdf::drawer::main(std::env::args_os().skip(1))
}

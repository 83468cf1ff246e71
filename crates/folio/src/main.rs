use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    match folio::cli::run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("folio: {err:#}");
            ExitCode::FAILURE
        }
    }
}

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    aidline::telemetry::init();
    match aidline::cli::run(aidline::cli::Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("aidline: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

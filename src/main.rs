use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = aidline::cli::Cli::parse();
    aidline::telemetry::init(matches!(
        cli.command,
        Some(aidline::cli::Command::Chat { .. })
    ));
    match aidline::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("aidline: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

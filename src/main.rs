use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = aidline::cli::Cli::parse();
    aidline::telemetry::init(cli.talks_to_a_person());
    match aidline::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("aidline: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

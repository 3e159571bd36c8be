use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = aidline::cli::Cli::parse();
    // Settings first: they say how to log, and a bad file is reported before anything runs.
    let settings = match aidline::config::Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(e) => return fail(&e.into()),
    };
    aidline::telemetry::init(cli.talks_to_a_person(), settings.log_format);
    match aidline::cli::run(cli, settings).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(e: &anyhow::Error) -> std::process::ExitCode {
    eprintln!("aidline: {e:#}");
    std::process::ExitCode::FAILURE
}

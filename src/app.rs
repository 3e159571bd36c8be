//! Wiring: checks flows and lines, opens the database, and runs the web server, the outbox worker
//! and the timer and recovery passes side by side until shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::config::Settings;
use crate::demo::{self, DemoError, Welcome};
use crate::flow::{Library, LibraryError};
use crate::intake::Intake;
use crate::outbox::Outbox;
use crate::privacy;
use crate::privacy::at_providers::Deleter;
use crate::server;
use crate::store::purge::Mode;
use crate::store::{Db, StoreError};
use crate::voice::recordings::Copier;
use crate::web::{self, AppState, Changes};
use crate::wind_down;

/// How often texts stored but not handled (after a database hiccup) are looked for.
const RECOVERY_INTERVAL: Duration = Duration::from_secs(30);
/// How often due timers (reminders, quiet conversations ending) are looked for.
const TIMER_INTERVAL: Duration = Duration::from_secs(5);
/// How often personal data that outlived its retention is purged: the retention is counted in
/// days, so an hour late is on time.
const PURGE_INTERVAL: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Said once: the flow problems follow, each with its file:line:column.
    #[error("the flows cannot be used")]
    Flows(#[from] LibraryError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Intake(#[from] crate::intake::IntakeError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Demo(#[from] DemoError),
}

/// A service ready to run.
pub struct App {
    pub state: AppState,
    /// Run by [`App::serve`] alongside the server; a test may take it to drive sends itself.
    pub outbox: Option<Outbox>,
    /// Run by [`App::serve`] like the outbox; a test may take it to copy recordings itself.
    pub recordings: Option<Copier>,
    /// Deletes a forgotten person's texts at the providers; run like the copier, or taken by
    /// a test to drive it.
    pub provider_deletions: Option<Deleter>,
    /// Whether [`App::serve`] fires due timers and recovers unhandled texts on its own, every few
    /// seconds, and purges what outlived its retention every hour. A test may turn this off and
    /// call [`Intake::fire_due_timers`], [`Intake::recover`] and [`privacy::purge`] itself, so
    /// that nothing happens behind its back.
    pub timed_passes: bool,
    /// When running the demo: how to sign in to it.
    pub demo: Option<Welcome>,
}

impl App {
    pub async fn build(settings: Settings, clock: Clock) -> Result<App, StartError> {
        // A flow with an error never goes live: start-up stops here.
        let required = settings.lines.iter().map(|l| l.flow.clone()).collect();
        let flows = Arc::new(Library::load(
            settings.flows_dir.clone(),
            settings.default_region,
            required,
        )?);
        let db = Db::connect(&settings.database_url).await?;
        db.migrate().await?;
        let demo = match settings.demo {
            true => {
                let now = clock.now_ms();
                let region = settings.default_region;
                Some(demo::prepare(&db, &flows.current(), region, now).await?)
            }
            false => None,
        };
        let settings = Arc::new(settings);
        let wake = Arc::new(Notify::new());
        let intake = Intake::start(
            db.clone(),
            clock.clone(),
            settings.clone(),
            flows,
            wake.clone(),
        );
        let outbox = Outbox::new(
            db.clone(),
            clock.clone(),
            settings.outbox.clone(),
            &settings.lines,
            settings.public_url.clone(),
            wake,
        );
        let recordings_wake = Arc::new(Notify::new());
        let copier = Copier::new(
            db.clone(),
            clock.clone(),
            &settings.lines,
            recordings_wake.clone(),
        );
        let deleter = Deleter::new(db.clone(), clock.clone(), &settings.lines);
        let listen_url = settings.database_listen_url.as_deref();
        let changes = Changes::new(db.clone(), &settings.database_url, listen_url);
        Ok(App {
            state: AppState {
                settings,
                db,
                clock,
                intake,
                recordings_wake,
                changes,
                stopping: CancellationToken::new(),
            },
            outbox: Some(outbox),
            recordings: Some(copier),
            provider_deletions: Some(deleter),
            timed_passes: true,
            demo,
        })
    }

    /// Serves on `listener` until `shutdown` is cancelled: then stops taking webhooks, lets the
    /// ones in flight finish, and stops the worker after its current pass.
    pub async fn serve(
        mut self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> Result<(), StartError> {
        let intake = self.state.intake.clone();
        intake.recover().await?;
        let state = &self.state;
        let now = state.clock.now_ms();
        let (wind_down, dispatch) = (&state.settings.wind_down, &state.settings.dispatch);
        wind_down::announce(&state.db, wind_down, dispatch, now).await?;
        let worker = self
            .outbox
            .map(|outbox| tokio::spawn(outbox.run(shutdown.child_token())));
        let copier = self
            .recordings
            .map(|copier| tokio::spawn(copier.run(shutdown.child_token())));
        let deleter = self
            .provider_deletions
            .map(|deleter| tokio::spawn(deleter.run(shutdown.child_token())));
        let passes = self
            .timed_passes
            .then(|| timed_passes(&intake, &self.state, &shutdown));
        #[cfg(unix)]
        tokio::spawn(reload_on_hangup(intake, shutdown.child_token()));
        let db = self.state.db.clone();
        self.state.stopping = shutdown.child_token();
        let limits = self.state.settings.server.clone();
        let router = web::router(self.state);
        server::serve(listener, router, &limits, shutdown.clone()).await;
        shutdown.cancel();
        for worker in [worker, copier, deleter].into_iter().flatten() {
            let _ = worker.await;
        }
        for pass in passes.into_iter().flatten() {
            let _ = pass.await;
        }
        db.close().await;
        Ok(())
    }

    /// Takes the configured address, then builds the service and serves (what `aidline serve`
    /// does). The port comes first: a port in use then stops start-up before the demo makes an
    /// account whose one-time password would never be shown.
    pub async fn run(
        settings: Settings,
        clock: Clock,
        shutdown: CancellationToken,
    ) -> Result<(), StartError> {
        let addr = settings.bind;
        let cannot_listen = |source| StartError::Bind { addr, source };
        let listener = TcpListener::bind(addr).await.map_err(cannot_listen)?;
        // With port 0 the system picks one; only the listener knows which.
        let bound = listener.local_addr().map_err(cannot_listen)?;
        let mut settings = settings;
        settings.follow_demo_address(bound);
        let app = App::build(settings, clock).await?;
        if let Some(welcome) = &app.demo {
            // The terminal of the person running the demo, never the log: it holds a password.
            println!("{}", demo::greeting(welcome, &demo::address_to_open(bound)));
        }
        tracing::info!(addr = %bound, "aidline is listening");
        app.serve(listener, shutdown).await
    }
}

/// Starts the passes that look, on an interval, for texts stored but not handled (after a database
/// hiccup), for quiet conversations, and for personal data past its retention.
fn timed_passes(
    intake: &Intake,
    state: &AppState,
    shutdown: &CancellationToken,
) -> [JoinHandle<()>; 3] {
    let (recovering, firing) = (intake.clone(), intake.clone());
    let (stop_recovery, stop_timers) = (shutdown.child_token(), shutdown.child_token());
    let recovery = tokio::spawn(async move {
        let pass = || recovering.recover();
        every(RECOVERY_INTERVAL, stop_recovery, "recovery pass", pass).await
    });
    let timers = tokio::spawn(async move {
        let pass = || firing.fire_due_timers();
        every(TIMER_INTERVAL, stop_timers, "timer pass", pass).await
    });
    let (state, stop_purge) = (state.clone(), shutdown.child_token());
    let purge = tokio::spawn(async move {
        let pass = || {
            let settings = &state.settings;
            let now = state.clock.now_ms();
            privacy::purge(
                &state.db,
                &settings.dispatch,
                &settings.retention,
                now,
                Mode::Apply,
            )
        };
        every(PURGE_INTERVAL, stop_purge, "purge", pass).await
    });
    [recovery, timers, purge]
}

/// Runs `pass` every `interval` until shutdown; a failed pass is logged and tried again next time.
async fn every<F, Fut, T, E>(interval: Duration, shutdown: CancellationToken, what: &str, pass: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
        if let Err(e) = pass().await {
            tracing::error!(error = %e, "{what} failed; will try again");
        }
    }
}

/// Reloads the flows on SIGHUP, the usual "read your configuration again" signal.
#[cfg(unix)]
async fn reload_on_hangup(intake: Intake, shutdown: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut hangups) = signal(SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP; reload flows with POST /admin/flows/reload");
        return;
    };
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = hangups.recv() => {}
        }
        if let Err(e) = intake.flows().reload() {
            tracing::error!(error = %e, "flow reload refused; the running flows stay");
        }
    }
}

/// Cancels `token` on SIGINT or SIGTERM.
pub async fn cancel_on_signal(token: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing a SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down: finishing what is in flight");
    token.cancel();
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// On paused time: the clock jumps to each timer as soon as nothing else can run, so the
    /// passes are counted exactly and nothing waits for real.
    #[tokio::test(start_paused = true)]
    async fn a_pass_runs_every_interval_runs_again_after_failing_and_stops_at_shutdown() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counting = runs.clone();
        let pass = move || {
            let run = counting.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                if run == 2 {
                    Err("the database hiccuped")
                } else {
                    Ok(())
                }
            }
        };
        let shutdown = CancellationToken::new();
        let looping = every(TIMER_INTERVAL, shutdown.clone(), "test pass", pass);
        let looping = tokio::spawn(looping);
        let half = TIMER_INTERVAL / 2;

        tokio::time::sleep(half).await;
        assert_eq!(
            runs.load(Ordering::SeqCst),
            0,
            "nothing before the first interval"
        );
        for expected in 1..=3 {
            tokio::time::sleep(TIMER_INTERVAL).await;
            assert_eq!(runs.load(Ordering::SeqCst), expected);
        }
        shutdown.cancel();
        looping.await.unwrap();
        tokio::time::sleep(TIMER_INTERVAL * 10).await;
        assert_eq!(runs.load(Ordering::SeqCst), 3, "no pass after shutdown");
    }
}

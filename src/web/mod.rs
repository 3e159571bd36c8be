//! The HTTP surface: gateway webhooks, `/healthz`, `/metrics`, local administration, the
//! dispatcher pages and the JSON API.

mod admin;
mod api;
mod attempts;
mod audio;
mod bearer;
mod calls;
mod error;
mod health;
mod local;
mod pages;
mod session;
mod webhooks;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};
use tokio::sync::Notify;
use tower_http::trace::TraceLayer;

pub use error::WebError;
pub use pages::live::Changes;

use crate::clock::Clock;
use crate::config::Settings;
use crate::dispatch::desk::{self, Desk, DeskError};
use crate::intake::Intake;
use crate::store::Db;
use crate::store::requests::Request;
use tokio_util::sync::CancellationToken;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    /// "Now" for every handler: the service's clock, which tests move by hand.
    pub clock: Clock,
    pub intake: Intake,
    /// Wakes the recording copier when a message left on a call is ready at the provider.
    pub recordings_wake: Arc<Notify>,
    /// What open pages follow: one watcher of the database for them all.
    pub changes: Changes,
    /// Cancelled when the server begins to shut down: long-lived responses (the queue's event
    /// stream) end then, so that shutting down does not wait on an open page.
    pub stopping: CancellationToken,
}

impl AppState {
    /// A dispatcher's change to the open request `code`, by `actor`, kept to the desk's rule
    /// ([`desk::work_on`]); then the outbox is woken for the texts it queued. The pages and the
    /// JSON API both act through here.
    pub(crate) async fn work_on<T>(
        &self,
        actor: &str,
        code: &str,
        change: impl AsyncFnOnce(&mut Desk<'_>, &Request) -> Result<T, DeskError>,
    ) -> Result<(String, T), DeskError> {
        let now = self.clock.now_ms();
        let done =
            desk::work_on(&self.db, &self.settings.dispatch, actor, now, code, change).await?;
        self.intake.texts_queued();
        Ok(done)
    }
}

pub fn router(state: AppState) -> Router {
    let limit = state.settings.max_body_bytes;
    // What people open in a browser: their errors are pages (see `pages::error_page`).
    let pages = Router::new()
        .route("/", get(pages::queue::show))
        .route("/requests/{code}", get(pages::request::show))
        .route("/requests/{code}/notes", post(pages::request::add_note))
        .route(
            "/requests/{code}/recordings/{id}",
            get(pages::recordings::play),
        )
        .route("/requests/{code}/assign", post(pages::actions::assign))
        .route("/requests/{code}/reoffer", post(pages::actions::reoffer))
        .route("/requests/{code}/status", post(pages::actions::set_status))
        .route("/requests/{code}/merge", post(pages::actions::merge))
        .route("/requests/{code}/cancel", post(pages::actions::cancel))
        .route("/requests/{code}/text/{to}", post(pages::actions::text))
        .route("/requests/{code}/reveal", post(pages::actions::reveal))
        .route("/requests/{code}/forget", post(pages::forget::forget))
        .route("/requests/{code}/resume", post(pages::actions::resume))
        .route("/requests/{code}/block", post(pages::block::block))
        .route("/stats", get(pages::stats::show))
        .route("/problems", get(pages::problems::show))
        .route("/problems/dealt-with", post(pages::problems::mark_all))
        .route("/problems/{id}/dealt-with", post(pages::problems::mark_one))
        .route("/runsheet", get(pages::runsheet::show))
        .route("/export/requests.csv", get(pages::export::requests_csv))
        .route(
            "/signin",
            get(pages::signin::form).post(pages::signin::sign_in),
        )
        .route("/signout", post(pages::signin::sign_out))
        .route(
            "/volunteers",
            get(pages::volunteers::show).post(pages::volunteers::add),
        )
        .route("/volunteers/import", post(pages::volunteers::import))
        .route(
            "/volunteers/{id}",
            get(pages::volunteers::edit).post(pages::volunteers::update),
        )
        .route("/volunteers/{id}/{action}", post(pages::volunteers::act))
        .route(
            "/admin/tokens",
            get(pages::tokens::list).post(pages::tokens::create),
        )
        .route("/admin/tokens/{name}/revoke", post(pages::tokens::revoke))
        .route("/audit", get(pages::audit::show))
        .route("/audit.csv", get(pages::audit::csv))
        .route(
            "/admin/users",
            get(pages::users::list).post(pages::users::add),
        )
        .route(
            "/admin/users/{username}/{switch}",
            post(pages::users::switch),
        )
        .route(
            "/account/password",
            get(pages::password::form).post(pages::password::change),
        )
        .route(
            "/simulator",
            get(pages::simulator::show).post(pages::simulator::send),
        )
        .route("/simulator/call", post(pages::simulator::call))
        // A mistyped address is most often a person's, so it too is answered as a page.
        .fallback(pages::error_page::no_such_page)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            pages::error_page::as_page,
        ));
    Router::new()
        // The console line's own route wins over the provider routes: a literal beats a capture.
        .route("/webhooks/console/sms", post(webhooks::console_sms))
        // Some providers can be set to call by GET (Vonage's SMS API, Twilio, Plivo).
        .route("/webhooks/{provider}", get(webhooks::receive).post(webhooks::receive))
        .route("/webhooks/{provider}/{hook}", get(webhooks::receive).post(webhooks::receive))
        // Called by programs with the reload secret as often as from an admin's form.
        .route("/admin/flows/reload", post(admin::reload_flows))
        .merge(pages)
        .nest("/api/v1", api::router())
        .route("/assets/{name}", get(pages::asset))
        // Fetched by call providers, which hold none of our credentials.
        .route("/audio/{flow}/{state}/{language}/{file}", get(audio::serve))
        .route("/events", get(pages::live::events))
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(health::metrics))
        .layer(DefaultBodyLimit::max(limit))
        // Spans carry the route, never the query string or the body.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path())
        }))
        .with_state(state)
}

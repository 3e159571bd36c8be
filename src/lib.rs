//! aidline: a text line for mutual-aid groups.
//!
//! A neighbour texts the group's number; a conversation written in TOML takes in what they need; the
//! finished request lands on a dispatch queue. `docs/ARCHITECTURE.md` follows one text through these
//! modules, and its "Layers" section says which may use which:
//!
//! - [`accounts`]: dispatcher and admin accounts: what an organiser may type, password hashes.
//! - [`tokens`]: the JSON API's bearer tokens, made by admins and stored as digests.
//! - [`config`]: layered settings (defaults < `aidline.toml` < `AIDLINE_*`), read into each part's
//!   own settings types and checked together.
//! - [`setting_error`]: a setting that cannot be used, named by its key.
//! - [`secret`]: a secret setting, read from the file or the environment and never shown.
//! - [`phone`]: E.164 numbers parsed at the edge, and their redacted form for logs.
//! - [`word_list`]: words as organisers list them, for every language or per language.
//! - [`demo`]: the demo's own account and volunteer, made at start when no settings file is used.
//! - [`clock`]: the one source of "now", which tests can move forward.
//! - [`local_time`]: the group's time zone, in which people read times and days.
//! - [`store`]: the database (SQLite or PostgreSQL behind one pool), migrations and queries.
//! - [`flow`]: flow files: the TOML model, validation, and the pure conversation engine.
//! - [`flow_tests`]: organisers' conversation tests beside their flows, run through the intake.
//! - [`compliance`]: STOP / START / HELP words (the carriers' and the group's own), handled first.
//! - [`intake`]: an inbound text from storage to effects: dedupe, per-contact order, routing.
//! - [`lifecycle`]: the states of requests, volunteers, offers, texts and conversations, as types.
//! - [`dispatch`]: requests to volunteers: offers in waves, first claim wins, the relay.
//! - [`gateway`]: one module per SMS provider behind one trait: authenticity, parsing, sending.
//! - [`line`](mod@line): a number the group is reached on: its gateway, flow, pace and quiet hours.
//! - [`outbox`]: the durable queue of outgoing texts and the worker that sends them, at each
//!   line's pace, replies first, outside quiet hours.
//! - [`voice`]: the phone line: calls walk the flows by keypad and speech.
//! - [`privacy`]: forgetting a person on request, and purging personal data as it ages out.
//! - [`safety`]: the per-number limit's settings, and the block list kept as keyed hashes.
//! - [`roster`]: volunteers from a CSV file or the command line, checked row by row.
//! - [`web`]: the HTTP surface: webhooks, health, metrics, the dispatcher pages and the JSON API.
//! - [`server`]: serves it over HTTP/1.1 with time and connection limits a slow client cannot dodge.
//! - [`app`]: wiring: builds the shared state and runs the server and the worker until shutdown.
//! - [`wind_down`]: a group that stops: intake becomes a referral, held jobs carry on.
//! - [`cli`]: the `aidline` command line.
//! - [`chat`]: `aidline chat`, a flow tried out in the terminal through the real intake.
//! - [`telemetry`]: log set-up: lines for a terminal, or JSON objects for a log collector.
//! - [`text_costs`]: what every text the line can send costs in SMS, at its longest.

pub mod accounts;
pub mod app;
pub mod chat;
pub mod cli;
pub mod clock;
pub mod compliance;
pub mod config;
pub mod demo;
pub mod dispatch;
pub mod flow;
pub mod flow_tests;
pub mod gateway;
pub mod intake;
pub mod lifecycle;
pub mod line;
pub mod local_time;
pub mod outbox;
pub mod phone;
pub mod privacy;
pub mod roster;
pub mod safety;
pub mod secret;
pub mod server;
pub mod setting_error;
pub mod store;
pub mod telemetry;
pub mod text_costs;
pub mod tokens;
pub mod voice;
pub mod web;
pub mod wind_down;
pub mod word_list;

//! Integration tests: the real service over real HTTP, on SQLite and on PostgreSQL.

mod helpers;

mod compliance;
mod concurrency;
mod delivery;
mod flows_reload;
mod gateway_vonage;
mod idle;
mod intake;
mod keywords;
mod outbox;
mod service;
mod webhooks;

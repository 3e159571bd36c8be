//! Integration tests: the real service over real HTTP, on SQLite and on PostgreSQL.

mod helpers;

mod accounts_page;
mod browser;
mod call_harness;
pub mod calls;
mod compliance;
mod concurrency;
mod connections;
mod delivery;
mod dispatch;
mod error_pages;
mod export;
mod flows_reload;
mod forms;
mod hang_ups;
mod idle;
mod inbound_forms;
mod intake;
mod json_api;
mod keywords;
mod lifecycle;
mod missed_calls;
mod outbox;
mod pacing;
mod pages;
mod problems_page;
mod providers;
mod queue_page;
mod request_actions;
mod request_page;
mod service;
mod simulator;
mod stats_page;
mod suppression;
mod volunteers_page;
mod webhooks;

//! Copies of the service as separate processes on one database: what several copies behind a
//! load balancer promise (one PostgreSQL database, `across_copies`), and what a copy killed
//! mid-load (SIGKILL, a power cut) keeps (`across_copies::crash`, and `after_a_crash` for a
//! single copy on SQLite).

mod across_copies;
mod after_a_crash;
mod crash;
mod harness;
mod stand_in;

//! Two copies on one PostgreSQL database, each reached directly as a load balancer would spread
//! the traffic. Without `AIDLINE_TEST_POSTGRES_URL` each test says `SKIPPED on PostgreSQL` and
//! returns; CI fails on that line.

mod claims;
mod crash;
mod live_pages;
mod order;
mod pace;
mod timers;

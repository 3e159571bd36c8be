//! Vonage (formerly Nexmo) has two messaging APIs, and an account chooses which one delivers its
//! inbound texts: the older SMS API (`vonage`) and the Messages API (`vonage_messages`).

pub mod messages;
pub mod sms;

//! The console line: a built-in gateway for the demo and for trying flows without a provider.
//! Texts arrive by a plain form post from this machine (see `web::webhooks::console_sms`), and
//! replies are printed on the terminal: the one place message bodies may be shown, since the
//! person typing is the one reading.

use std::sync::Arc;

use crate::gateway::settings::ProviderTable;
use crate::phone::{Phone, Region};
use crate::setting_error::SettingError;

use super::{
    AuthError, Event, Gateway, Inbound, Outgoing, Params, PayloadError, Provider, SendFuture,
    Webhook, phone_field,
};

pub const PROVIDER: Provider = Provider {
    name: "console",
    configure,
};

#[derive(Debug)]
pub struct Console;

fn configure(table: ProviderTable) -> Result<Arc<dyn Gateway>, SettingError> {
    table.expect_none()?;
    Ok(Arc::new(Console))
}

impl Gateway for Console {
    fn name(&self) -> &'static str {
        PROVIDER.name
    }

    /// The console has no provider to sign anything: its own endpoint checks that the caller is
    /// on this machine, and the shared webhook address refuses it.
    fn verify(&self, _: &Webhook) -> Result<(), AuthError> {
        Err(AuthError::Rejected(
            "the console line takes texts at /webhooks/console/sms only",
        ))
    }

    fn parse(&self, _: &Webhook, _: Region) -> Result<Vec<Event>, PayloadError> {
        Ok(Vec::new())
    }

    fn send<'a>(&'a self, _: &'a reqwest::Client, msg: Outgoing<'a>) -> SendFuture<'a> {
        println!("[{} → {}] {}", msg.from, msg.to, msg.body);
        Box::pin(async { Ok(None) })
    }

    fn default_segments_per_second(&self) -> Option<f64> {
        None
    }
}

/// Reads the console form (`from`, `body`). The form carries no id, so a repeated post is told
/// apart by its content.
pub fn parse(line: &Phone, params: &Params, region: Region) -> Result<Inbound, PayloadError> {
    Ok(super::clean::inbound(Inbound {
        channel: crate::lifecycle::Channel::Sms,
        gateway: PROVIDER.name,
        gateway_id: None,
        line: line.clone(),
        from: phone_field("from", params.required("from")?, region)?,
        body: params
            .get("body")
            .ok_or(PayloadError::Missing("body"))?
            .to_string(),
        media: Vec::new(),
    }))
}

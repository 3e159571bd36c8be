//! The console line: a built-in gateway for the demo and for trying flows without a provider.
//! Texts arrive by a plain form post from this machine, and replies are printed on the terminal
//! (the one place message bodies may be shown, since the person typing is the one reading).

use crate::config::Line;
use crate::phone::{Phone, Region};

use super::{Inbound, PayloadError};

/// Reads the console form (`from`, `body`).
pub fn parse(
    line: &Line,
    pairs: &[(String, String)],
    region: Region,
    id: String,
) -> Result<Inbound, PayloadError> {
    let field = |name: &'static str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .ok_or(PayloadError::Missing(name))
    };
    let from = Phone::parse(field("from")?, region).map_err(|e| PayloadError::Invalid {
        field: "from",
        problem: e.to_string(),
    })?;
    Ok(Inbound {
        gateway: "console",
        gateway_id: id,
        line: line.number.clone(),
        from,
        body: field("body")?.to_string(),
        num_media: 0,
    })
}

pub fn show(line: &Line, to: &str, body: &str) {
    println!("[{} → {}] {}", line.number, to, body);
}

//! PLACEHOLDER: being written.

use std::sync::Arc;

use crate::config::{ConfigError, ProviderTable, invalid};

use super::{Gateway, Provider};

pub const PROVIDER: Provider = Provider {
    name: "android",
    configure,
};

fn configure(table: ProviderTable) -> Result<Arc<dyn Gateway>, ConfigError> {
    Err(invalid(table.key, "not written yet"))
}

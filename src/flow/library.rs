//! The flows the service is running, and reloading them while it runs.
//!
//! A reload reads the whole directory again. Only a set of flows with no errors, and with every
//! flow a line starts in, replaces the running one; otherwise the running flows stay and the
//! problems are returned. Conversations in progress carry on in the new version from the state
//! they were in, by name (see docs/flows.md for what happens when that state or flow is gone).

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use super::load::{FlowError, Flows, load_dir};
use crate::phone::Region;

#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error(transparent)]
    Flows(#[from] FlowError),
    #[error("a line starts in the flow `{flow}`, but no file defines it (loaded: {loaded})")]
    MissingFlow { flow: String, loaded: String },
}

#[derive(Debug)]
pub struct Library {
    dir: PathBuf,
    region: Region,
    /// Flows the lines start in; a reload must keep all of them.
    required: Vec<String>,
    current: RwLock<Arc<Flows>>,
}

impl Library {
    pub fn load(
        dir: PathBuf,
        region: Region,
        required: Vec<String>,
    ) -> Result<Library, LibraryError> {
        let flows = read(&dir, region, &required)?;
        Ok(Library {
            dir,
            region,
            required,
            current: RwLock::new(Arc::new(flows)),
        })
    }

    /// The flows in force now; a reload does not disturb a caller already holding them.
    pub fn current(&self) -> Arc<Flows> {
        self.current
            .read()
            .expect("no writer panics while holding the lock")
            .clone()
    }

    /// Reads the directory again; the new flows replace the running ones only if they are sound.
    pub fn reload(&self) -> Result<Arc<Flows>, LibraryError> {
        let flows = Arc::new(read(&self.dir, self.region, &self.required)?);
        *self
            .current
            .write()
            .expect("no reader panics while holding the lock") = flows.clone();
        tracing::info!(flows = %flows.ids().join(", "), "flows reloaded");
        Ok(flows)
    }
}

fn read(dir: &std::path::Path, region: Region, required: &[String]) -> Result<Flows, LibraryError> {
    let flows = load_dir(dir, region)?;
    for warning in flows.warnings() {
        tracing::warn!(%warning, "flow warning");
    }
    if let Some(missing) = required.iter().find(|id| flows.get(id).is_none()) {
        return Err(LibraryError::MissingFlow {
            flow: missing.clone(),
            loaded: flows.ids().join(", "),
        });
    }
    Ok(flows)
}

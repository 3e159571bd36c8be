//! A request whose relay was reported or left, as the dispatchers see it: at the top of the
//! queue, and as a banner on the request's page.

use crate::lifecycle::{RelaySide, RelayState};
use crate::local_time::LocalTime;
use crate::store::relay_stops::RelayStop;

pub(crate) struct StoppedRelay {
    pub code: String,
    /// Whether a dispatcher may resume it (a volunteer who left is not put back).
    pub paused: bool,
    /// What happened, and who did it.
    pub said: String,
    /// The reporter's own words after the code, if any.
    pub reason: Option<String>,
    pub time: String,
}

impl StoppedRelay {
    /// `volunteer` is the name of the volunteer on the request.
    pub(crate) fn new(code: String, volunteer: &str, stop: RelayStop, zone: &LocalTime) -> Self {
        let said = match (stop.state, stop.by) {
            (RelayState::Paused, RelaySide::Neighbour) => {
                format!("The neighbour reported their volunteer, {volunteer}")
            }
            (RelayState::Paused, RelaySide::Volunteer) => {
                format!("{volunteer}, the volunteer, reported the neighbour")
            }
            (RelayState::Left, _) => format!("{volunteer}, the volunteer, left the messages"),
        };
        StoppedRelay {
            code,
            paused: stop.state == RelayState::Paused,
            said,
            reason: stop.reason,
            time: zone.minute(stop.at),
        }
    }
}

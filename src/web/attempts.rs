//! Password guessing, held back without letting a stranger keep anyone out. Failures are counted
//! per username and client address together: past a few, that pair is refused for a while, but
//! the person with the password, elsewhere, is not. Many failures from one address, whatever the
//! usernames, refuse that address (one guesser trying names one by one). Failures for a username
//! from everywhere only slow its answers down, a little more with each, so guessing one account
//! from many addresses stays slow while its owner still gets in.

use std::net::IpAddr;
use std::time::Duration;

use crate::accounts::check_username;
use crate::store::Db;
use crate::store::attempts::{self, Failures};
use crate::web::WebError;

/// Failed sign-ins allowed for a username from one address within [`WINDOW_MS`]; the next is
/// refused unchecked.
const MAX_FAILURES: i64 = 5;
/// Failed sign-ins allowed from one address within [`WINDOW_MS`], whatever the usernames: a few
/// people sharing an office's address can mistype, one guesser cannot try names one by one.
const MAX_FAILURES_PER_ADDRESS: i64 = 20;
const WINDOW_MS: i64 = 15 * 60 * 1000;
/// Failures for a username, from every address, before its answers are held back; then the wait
/// doubles with each failure up to [`LONGEST_WAIT`], short enough for its owner to sit through.
const SLOW_AFTER: i64 = 5;
const FIRST_WAIT: Duration = Duration::from_millis(250);
const LONGEST_WAIT: Duration = Duration::from_secs(4);

/// A sign-in (or a check of the current password) as the failure counts see it.
pub struct Attempt<'a> {
    username: &'a str,
    address: String,
    now: i64,
}

impl<'a> Attempt<'a> {
    pub fn new(username: &'a str, peer: Option<IpAddr>, now: i64) -> Self {
        Attempt {
            username,
            address: peer.map_or_else(|| "unknown".to_string(), address_key),
            now,
        }
    }

    /// Refuses the attempt, unchecked, when this username from this address or this address
    /// alone failed too often lately; otherwise waits as long as the username's failures ask.
    pub async fn check(&self, db: &Db) -> Result<(), WebError> {
        let failures = {
            let mut conn = db.acquire().await?;
            attempts::since(
                &mut conn,
                self.username,
                &self.address,
                self.now - WINDOW_MS,
            )
            .await?
        };
        refusal(failures)?;
        // The database is not held while waiting: SQLite has one connection.
        tokio::time::sleep(wait_for(failures.username)).await;
        Ok(())
    }

    /// Counts a wrong password. Only a name that could be an account's is counted as a username.
    pub async fn failed(&self, db: &Db) -> Result<(), WebError> {
        let username = check_username(self.username).ok().map(|()| self.username);
        let mut conn = db.acquire().await?;
        let forget_before = self.now - WINDOW_MS;
        attempts::record(&mut conn, username, &self.address, self.now, forget_before).await?;
        Ok(())
    }

    /// A right password wipes this address's slate for the username, so a forgetful dispatcher
    /// is not locked out later; failures elsewhere keep counting.
    pub async fn succeeded(&self, db: &Db) -> Result<(), WebError> {
        let mut conn = db.acquire().await?;
        attempts::clear(&mut conn, self.username, &self.address).await?;
        Ok(())
    }
}

fn refusal(failures: Failures) -> Result<(), WebError> {
    if failures.pair >= MAX_FAILURES {
        return Err(WebError::TooManyAttempts(
            "too many failed sign-ins for this username from this address; wait 15 minutes and \
             try again"
                .into(),
        ));
    }
    if failures.address >= MAX_FAILURES_PER_ADDRESS {
        return Err(WebError::TooManyAttempts(
            "too many failed sign-ins from this address; wait 15 minutes and try again".into(),
        ));
    }
    Ok(())
}

/// How long an answer for a username with this many recent failures is held back.
fn wait_for(failures: i64) -> Duration {
    if failures < SLOW_AFTER {
        return Duration::ZERO;
    }
    let doublings = (failures - SLOW_AFTER).min(16) as u32;
    FIRST_WAIT.saturating_mul(1 << doublings).min(LONGEST_WAIT)
}

/// The address failures are counted under.
fn address_key(peer: IpAddr) -> String {
    match peer {
        IpAddr::V4(v4) => format!("ip:{v4}"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("ip:{v4}"),
            // One home or phone has a whole /64 to pick addresses from.
            None => {
                let s = v6.segments();
                format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_counted_as_one_client_whatever_it_picks_from_its_block() {
        let key = |a: &str| address_key(a.parse().unwrap());
        assert_eq!(key("203.0.113.7"), "ip:203.0.113.7");
        assert_eq!(key("::ffff:203.0.113.7"), "ip:203.0.113.7");
        assert_eq!(key("2001:db8:1:2::1"), "ip:2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:abcd::9"), key("2001:db8:1:2::1"));
    }

    #[test]
    fn failures_for_a_username_from_everywhere_slow_it_down_a_little_more_each_time() {
        let ms = |failures| wait_for(failures).as_millis();
        assert_eq!([ms(0), ms(4)], [0, 0]);
        assert_eq!([ms(5), ms(6), ms(7), ms(8)], [250, 500, 1000, 2000]);
        assert_eq!(
            [ms(9), ms(50), ms(i64::MAX)],
            [4000, 4000, 4000],
            "never more than a few seconds"
        );
    }

    #[test]
    fn a_stranger_is_refused_only_for_their_own_address() {
        let elsewhere = Failures {
            pair: 0,
            address: 0,
            username: 1000,
        };
        assert!(refusal(elsewhere).is_ok());
        let here = Failures {
            pair: MAX_FAILURES,
            ..elsewhere
        };
        assert!(matches!(refusal(here), Err(WebError::TooManyAttempts(_))));
        let spraying = Failures {
            address: MAX_FAILURES_PER_ADDRESS,
            ..Failures::default()
        };
        assert!(matches!(
            refusal(spraying),
            Err(WebError::TooManyAttempts(_))
        ));
    }
}

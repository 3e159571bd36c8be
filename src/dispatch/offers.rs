//! Getting a request to a volunteer: offers in waves to those who match, a wider wave when nobody
//! takes it, then an alert to the dispatchers.

use std::time::Duration;

use crate::dispatch::settings::MAIN_LANGUAGE;
use crate::dispatch::{DispatchSettings, Texts};
use crate::flow::text::{placeholders, render};
use crate::lifecycle::OutboundKind;
use crate::lifecycle::{EventKind, RequestStatus};
use crate::store::requests::Request;
use crate::store::timers::{self, RequestTimer};
use crate::store::volunteers::{self, Volunteer};
use crate::store::{Conn, StoreError, contacts, offers, requests};

use super::send;

/// Answers `{answers}` never lists: they have placeholders of their own, or are the line's.
pub const NOT_LISTED: &[&str] = &["need", "name_to_use", "handoff_reason", "lang"];

/// Fills `template`, one of `texts`, from a request: its code and fields (the need named in the
/// reader's language), `{answers}` for every other answer, and any `extra` values.
pub fn render_job(texts: &Texts, template: &str, job: &Request, extra: &[(&str, &str)]) -> String {
    let answers = other_answers(texts, template, job);
    let text = render(template, |key| match key {
        "code" => Some(job.code.as_str()),
        "answers" => Some(answers.as_str()),
        "name" => job.fields.get("name_to_use").map(String::as_str),
        "need" => job.fields.get("need").map(|need| texts.need(need)),
        _ => extra
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .or_else(|| job.fields.get(key).map(String::as_str)),
    });
    // With nothing else to list, `{answers}` leaves two spaces where it stood.
    if answers.is_empty() {
        text.replace("  ", " ")
    } else {
        text
    }
}

/// Every answer of `job` that `template` does not name itself, each as "Label: value." in the
/// reader's language, so that whatever a flow files reaches the volunteer who won it.
fn other_answers(texts: &Texts, template: &str, job: &Request) -> String {
    if !template.contains("{answers") {
        return String::new();
    }
    let named: Vec<&str> = placeholders(template)
        .into_iter()
        .map(|p| p.split('|').next().unwrap_or(p))
        .collect();
    job.fields
        .iter()
        .filter(|(key, value)| {
            !value.is_empty()
                && !NOT_LISTED.contains(&key.as_str())
                && !named.contains(&key.as_str())
        })
        .map(|(key, value)| format!("{}: {value}.", texts.field(key)))
        .collect::<Vec<_>>()
        .join(" ")
}

fn millis(d: Duration) -> i64 {
    d.as_millis() as i64
}

/// Whether a volunteer could do a request, language aside: they cover its zone (an empty list of
/// zones means "anywhere") and have what its queue `needs`.
fn in_reach(v: &Volunteer, job: &Request, needs: &[String]) -> bool {
    let zone_ok = match job.fields.get("zone") {
        Some(zone) => v.zones.is_empty() || v.zones.contains(zone),
        None => true,
    };
    zone_ok && needs.iter().all(|n| v.capabilities.contains(n))
}

/// Whether a volunteer can talk with the neighbour. A volunteer who listed no languages is taken
/// to speak the group's main one, never any: offering a Spanish speaker's request to someone who
/// may not speak Spanish is a guess the neighbour pays for.
fn speaks_with(v: &Volunteer, job: &Request) -> bool {
    match &job.language {
        Some(language) if v.languages.is_empty() => language == MAIN_LANGUAGE,
        Some(language) => v.languages.contains(language),
        None => true,
    }
}

/// The volunteers who could take a request now (active, not paused, under their cap, suited to
/// it, and not the neighbour themselves), those with the fewest open jobs first.
pub async fn candidates(
    conn: &mut Conn,
    settings: &DispatchSettings,
    job: &Request,
) -> Result<Vec<Volunteer>, StoreError> {
    // A queue left to dispatchers may still say what its volunteers need.
    let needs = settings
        .queues
        .get(&job.queue)
        .map_or(&[][..], |q| &q.needs[..]);
    let mut suited: Vec<Volunteer> = in_reach_of(conn, job, needs)
        .await?
        .into_iter()
        .filter(|v| speaks_with(v, job))
        .collect();
    suited.sort_by_key(|v| (v.open_jobs, v.id));
    Ok(suited)
}

/// The volunteers available now who could do `job` if language were no matter.
async fn in_reach_of(
    conn: &mut Conn,
    job: &Request,
    needs: &[String],
) -> Result<Vec<Volunteer>, StoreError> {
    Ok(volunteers::available(conn)
        .await?
        .into_iter()
        .filter(|v| v.contact_id != job.contact_id && in_reach(v, job, needs))
        .collect())
}

/// Offers a request to up to `size` suitable volunteers it has not gone to yet, those with the
/// fewest jobs first; returns how many it went to.
async fn offer_wave(
    conn: &mut Conn,
    settings: &DispatchSettings,
    job: &Request,
    size: usize,
    now: i64,
) -> Result<usize, StoreError> {
    let already = offers::offered_to(conn, job.id).await?;
    let mut chosen: Vec<Volunteer> = candidates(conn, settings, job)
        .await?
        .into_iter()
        .filter(|v| !already.contains(&v.id))
        .collect();
    chosen.truncate(size);
    if chosen.is_empty() {
        return Ok(0);
    }
    let wave = offers::waves(conn, job.id).await? + 1;
    let ids: Vec<i64> = chosen.iter().map(|v| v.id).collect();
    offers::record(conn, job.id, &ids, wave, now).await?;
    for v in &chosen {
        let texts = settings.texts(v.languages.first().map(String::as_str));
        let body = render_job(texts, &texts.offer, job, &[]);
        send(
            conn,
            v.contact_id,
            &job.line,
            &v.phone,
            &body,
            OutboundKind::Offer,
            None,
            now,
        )
        .await?;
    }
    let detail = format!("wave {wave}: {} volunteer(s)", chosen.len());
    requests::set_status(
        conn,
        job.id,
        RequestStatus::Offered,
        "dispatch",
        Some(&detail),
        now,
    )
    .await?;
    Ok(chosen.len())
}

/// Starts offering a request (just made, or back in the queue after its volunteer dropped it):
/// a first wave to people it has not gone to, and the timer that widens it if nobody takes it.
/// A queue left to dispatchers gets neither. Returns how many volunteers it went to, or `None`
/// for a queue left to dispatchers.
pub async fn start(
    conn: &mut Conn,
    settings: &DispatchSettings,
    job: &Request,
    now: i64,
) -> Result<Option<usize>, StoreError> {
    let Some(queue) = settings.queue(&job.queue) else {
        return Ok(None);
    };
    let sent = offer_wave(conn, settings, job, queue.first_wave, now).await?;
    if sent == 0
        && let Some(language) = &job.language
        && !in_reach_of(conn, job, &queue.needs).await?.is_empty()
    {
        // Volunteers could go, but none speaks with the neighbour: a person decides, now rather
        // than when the waves run out.
        let reason = format!("nobody free to take it speaks {language}");
        alert(conn, settings, job, &reason, now).await?;
    }
    let at = now + millis(queue.escalate_after);
    timers::set_for_request(conn, job.id, RequestTimer::Escalate, at).await?;
    Ok(Some(sent))
}

/// A request's timer came due. Only a request nobody holds is escalated or alerted about.
pub async fn on_timer(
    conn: &mut Conn,
    settings: &DispatchSettings,
    request_id: i64,
    kind: RequestTimer,
    now: i64,
) -> Result<(), StoreError> {
    let Some(job) = requests::by_id(conn, request_id).await? else {
        return Ok(());
    };
    if !job.status.is_claimable() {
        return Ok(());
    }
    let Some(queue) = settings.queue(&job.queue) else {
        return Ok(());
    };
    match kind {
        RequestTimer::Escalate => {
            offer_wave(conn, settings, &job, queue.second_wave, now).await?;
            let at = now + millis(queue.alert_after.saturating_sub(queue.escalate_after));
            timers::set_for_request(conn, job.id, RequestTimer::Alert, at).await
        }
        RequestTimer::Alert => alert(conn, settings, &job, "nobody has taken it", now).await,
    }
}

/// Tells the dispatchers a request needs a person, and records that it did.
pub async fn alert(
    conn: &mut Conn,
    settings: &DispatchSettings,
    job: &Request,
    reason: &str,
    now: i64,
) -> Result<(), StoreError> {
    requests::add_event(
        conn,
        job.id,
        "dispatch",
        EventKind::Alert,
        Some(reason),
        now,
    )
    .await?;
    let phones: Vec<&str> = settings.alert_to.iter().map(|p| p.as_str()).collect();
    if phones.is_empty() {
        return Ok(());
    }
    let ids = contacts::upsert_many(conn, &phones, now).await?;
    let texts = settings.texts(None);
    let body = render_job(texts, &texts.alert, job, &[("reason", reason)]);
    for (phone, contact_id) in &ids {
        send(
            conn,
            *contact_id,
            &job.line,
            phone,
            &body,
            OutboundKind::Alert,
            None,
            now,
        )
        .await?;
    }
    tracing::warn!(request_id = job.id, reason, "request needs a person");
    Ok(())
}

//! Text from a payload made fit to store: control characters other than tabs and line breaks are
//! dropped. PostgreSQL refuses a NUL inside text, so a text carrying one would fail on every retry
//! of its webhook; the other control characters mean nothing in a text message and could upset a
//! terminal or a log viewer showing it.

use super::{DeliveryReport, Event, Inbound, InboundPart};

/// `value` without unwanted control characters (untouched, and not copied, when it has none).
pub fn text(value: String) -> String {
    if value.chars().any(unwanted) {
        value.chars().filter(|c| !unwanted(*c)).collect()
    } else {
        value
    }
}

fn unwanted(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Every string of an event that came from the payload, cleaned. Phone numbers need nothing:
/// parsing left them digits.
pub fn event(event: Event) -> Event {
    match event {
        Event::Text(msg) => Event::Text(inbound(msg)),
        Event::Part(part) => Event::Part(InboundPart {
            text: inbound(part.text),
            reference: text(part.reference),
            ..part
        }),
        Event::Delivery(report) => Event::Delivery(DeliveryReport {
            gateway_id: text(report.gateway_id),
            error_code: report.error_code.map(text),
            ..report
        }),
        Event::Ignored => Event::Ignored,
    }
}

pub fn inbound(mut msg: Inbound) -> Inbound {
    msg.body = text(msg.body);
    msg.gateway_id = msg.gateway_id.map(text);
    for media in &mut msg.media {
        media.url = text(std::mem::take(&mut media.url));
        media.content_type = media.content_type.take().map(text);
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_and_other_control_characters_go_and_line_breaks_stay() {
        assert_eq!(
            text("need\0 milk\u{1b}[2J\r\n\tand eggs\u{7f}".into()),
            "need milk[2J\r\n\tand eggs"
        );
        assert_eq!(text("¿leche? 🥛 gracias".into()), "¿leche? 🥛 gracias");
    }
}

//! A quiet conversation: when to remind, when to end it, and what to say.

use std::ops::Range;

use toml::Spanned;

use super::Checker;
use crate::flow::load::FileCtx;
use crate::flow::model::{Idle, Texts};
use crate::flow::raw;

/// `remind_after` / `expire_after` and their texts.
pub(super) fn idle(
    ctx: &mut FileCtx<'_>,
    checker: &Checker<'_>,
    header: &raw::Header,
    span: &Range<usize>,
) -> Idle {
    let mut duration = |key: &str, raw: &Option<Spanned<String>>| {
        let raw = raw.as_ref()?;
        match humantime::parse_duration(raw.get_ref()) {
            Ok(d) if !d.is_zero() => Some(d),
            _ => {
                let message = format!(
                    "`{key} = \"{}\"` is not a length of time; write it like \"30m\", \"2h\" or \"1day\"",
                    raw.get_ref()
                );
                ctx.error(&raw.span(), message);
                None
            }
        }
    };
    let remind_after = duration("remind_after", &header.remind_after);
    let expire_after = duration("expire_after", &header.expire_after);
    if let (Some(remind), Some(expire)) = (remind_after, expire_after)
        && remind >= expire
    {
        ctx.error(span, "`remind_after` must be shorter than `expire_after`, or the reminder would never be sent".into());
    }
    if remind_after.is_some() && header.remind.is_empty() {
        ctx.error(
            span,
            "`remind_after` is set but there is no `remind` text to send".into(),
        );
    }
    checker.texts(ctx, &header.remind, span, "the `remind` text");
    checker.texts(ctx, &header.expired, span, "the `expired` text");
    Idle {
        remind_after,
        remind: Texts(header.remind.clone()),
        expire_after,
        expired: Texts(header.expired.clone()),
    }
}

//! `[zones.*]`: the places a `zone` question can name.

use std::collections::BTreeMap;

use toml::Spanned;

use crate::flow::load::FileCtx;
use crate::flow::model::Zone;
use crate::flow::raw;
use crate::flow::text::fold;

/// Collects `[zones.*]`, refusing a name used twice or a zone nobody could name.
pub(in crate::flow) fn zones(
    ctx: &mut FileCtx<'_>,
    raw: BTreeMap<String, Spanned<raw::RawZone>>,
    out: &mut Vec<Zone>,
) {
    for (name, zone) in raw {
        let span = zone.span();
        let zone = zone.into_inner();
        if out.iter().any(|z| z.name == name) {
            ctx.error(&span, format!("the zone `{name}` is defined twice"));
            continue;
        }
        if zone.postal_codes.is_empty() && zone.names.is_empty() {
            ctx.error(
                &span,
                format!("the zone `{name}` lists no postal_codes and no names"),
            );
        }
        out.push(Zone {
            name,
            postal_codes: zone.postal_codes.iter().map(|c| postal_code(c)).collect(),
            names: zone.names.iter().map(|n| fold(n)).collect(),
        });
    }
}

/// A postal code as the zone matcher compares it: folded, no spaces, a trailing `*` kept.
fn postal_code(code: &str) -> String {
    let mut folded: String = fold(code).chars().filter(|c| !c.is_whitespace()).collect();
    if code.trim().ends_with('*') {
        folded.push('*');
    }
    folded
}

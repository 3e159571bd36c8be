//! What `flows check` prints: the flows found, what every text the line can send costs, why the
//! ones over budget cost what they do, and the flows' warnings.

use std::path::Path;

use crate::config::Settings;
use crate::flow::Flows;
use crate::text_costs::{self, TextCost};

pub(super) fn print_check(dir: &Path, flows: &Flows, settings: &Settings) {
    let ids = flows.ids();
    println!(
        "{}: {} flow(s) ok: {}",
        dir.display(),
        ids.len(),
        ids.join(", ")
    );
    let smart_lines = settings.lines.iter().filter(|l| l.smart_encoding).count();
    let smart_everywhere = smart_lines > 0 && smart_lines == settings.lines.len();
    println!(
        "\nSMS segments per text, placeholders at their longest; after `·` with smart encoding \
         ({smart_lines} of {} line(s) use it)",
        settings.lines.len()
    );
    let costs = text_costs::costs(flows, settings, smart_everywhere);
    for cost in &costs {
        println!("  {}", row(cost));
    }
    let over: Vec<&TextCost> = costs.iter().filter(|c| c.over_budget()).collect();
    if !over.is_empty() {
        println!("\nover budget:");
        for cost in over {
            println!(
                "  {} ({}): {} segments, budget {}: {}",
                cost.name,
                cost.language,
                cost.sent().count,
                cost.budget,
                cost.why()
            );
        }
    }
    for warning in flows.warnings() {
        println!("warning: {warning}");
    }
}

/// One text's line: where it is written, its language and cost, and the smart-encoded cost when
/// that differs.
fn row(cost: &TextCost) -> String {
    let mut row = format!("{:<44} {:<3} {}", cost.name, cost.language, cost.cost);
    if cost.smart != cost.cost {
        row.push_str(&format!(" · {}", cost.smart));
    }
    if !cost.open_ended.is_empty() {
        let typed: Vec<String> = cost.open_ended.iter().map(|p| format!("{{{p}}}")).collect();
        row.push_str(&format!(" + {}", typed.join(" ")));
    }
    row
}

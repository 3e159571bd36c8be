use super::*;
use crate::config::Settings;
use crate::flow::load_dir;
use crate::flow::segments::Encoding;

fn costs_with(extra_settings: &str, smart_everywhere: bool) -> Vec<TextCost> {
    let settings = Settings::from_toml(extra_settings).unwrap();
    let flows = load_dir(&settings.flows_dir, settings.default_region).unwrap();
    costs(&flows, &settings, smart_everywhere)
}

fn named<'a>(costs: &'a [TextCost], name: &str) -> &'a TextCost {
    costs.iter().find(|c| c.name == name).unwrap()
}

#[test]
fn every_shipped_text_fits_one_segment_but_the_winners_whose_check_says_why() {
    let costs = costs_with("", false);
    let over: Vec<&str> = costs
        .iter()
        .filter(|c| c.over_budget())
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(over, ["dispatch.texts.en.yours", "dispatch.texts.es.yours"]);
    let why = named(&costs, "dispatch.texts.es.yours").why();
    assert!(why.starts_with("{answers} adds up to"), "{why}");
    assert!(
        why.contains(
            "plus whatever is typed into {items}, {name}, {cross_streets}, {notes} and the answers"
        ),
        "{why}"
    );
    assert!(why.contains("pharmacy"), "{why}");
}

#[test]
fn every_text_the_line_sends_is_covered_in_each_language() {
    let costs = costs_with("", false);
    for name in [
        "intake: need",
        "intake: need (invalid)",
        "intake: (remind)",
        "volunteer: (give_up)",
        "keywords: status",
        "compliance.replies.es.help",
        "dispatch.texts.es.neighbour_claimed",
        "dispatch.texts.en.alert",
    ] {
        let languages: Vec<&str> = costs
            .iter()
            .filter(|c| c.name == name)
            .map(|c| c.language.as_str())
            .collect();
        let expected: &[&str] = if name.contains(".es.") {
            &["es"]
        } else if name.contains(".en.") {
            &["en"]
        } else {
            &["en", "es"]
        };
        assert_eq!(languages, expected, "{name}");
    }
}

#[test]
fn an_accent_outside_gsm7_costs_a_segment_more_and_the_check_says_smart_encoding_would_save_it() {
    let help = "Esta es una línea de ayuda mutua entre vecinos. Responda STOP para salir.";
    let toml = format!("[compliance.replies.es]\nhelp = \"{help}\"");
    let costs = costs_with(&toml, false);
    let cost = named(&costs, "compliance.replies.es.help");
    assert_eq!((cost.cost.encoding, cost.cost.count), (Encoding::Ucs2, 2));
    assert_eq!((cost.smart.encoding, cost.smart.count), (Encoding::Gsm7, 1));
    assert_eq!(
        cost.why(),
        "UCS-2 (70 characters an SMS) because of í (U+00ED); with smart encoding it is 1 segment"
    );

    let costs = costs_with(&toml, true);
    assert!(!named(&costs, "compliance.replies.es.help").over_budget());
}

#[test]
fn placeholders_are_filled_at_their_longest_and_typed_ones_are_named_not_counted() {
    let toml = "[dispatch.texts.en]\nalert = \"{code} {need} {zone} {reason}\"";
    let settings = Settings::from_toml(toml).unwrap();
    let flows = load_dir(&settings.flows_dir, settings.default_region).unwrap();
    let zone = flows
        .zone_names()
        .into_iter()
        .map(|z| z.chars().count())
        .max()
        .unwrap();
    let costs = costs(&flows, &settings, false);
    let alert = named(&costs, "dispatch.texts.en.alert");
    // K777, the longest need's label and the longest zone, three spaces and an empty reason.
    let need = "Prescription pickup".len();
    assert_eq!(alert.cost.units, 4 + 1 + need + 1 + zone + 1);
    assert_eq!(alert.open_ended, ["reason"]);
    // Without one of them the text also loses the space it stood in.
    let biggest = [
        ("need".to_string(), need + 1),
        ("zone".to_string(), zone + 1),
    ];
    assert_eq!(alert.biggest, biggest);
}

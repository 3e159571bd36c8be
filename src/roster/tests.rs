use super::*;

fn rules() -> Rules {
    Rules {
        zones: vec!["downtown".into(), "northside".into(), "southside".into()],
        region: "US".parse().unwrap(),
    }
}

fn ana() -> Written {
    Written {
        phone: "415-555-0100".into(),
        name: "Ana".into(),
        ..Written::default()
    }
}

/// The sentence an organiser reads for these details.
fn problem(written: Written) -> String {
    check(&written, &rules()).unwrap_err().to_string()
}

fn import(csv: &str) -> Result<Vec<Checked>, RosterError> {
    read(csv.as_bytes(), &rules())
}

#[test]
fn a_full_row_is_tidied_into_the_roster_spelling() {
    let written = Written {
        zones: Some("Northside; downtown,northside".into()),
        languages: Some("EN;es".into()),
        capabilities: Some("Car, heavy".into()),
        availability: Some(" weekday evenings ".into()),
        max_open_jobs: Some("3".into()),
        ..ana()
    };
    let v = check(&written, &rules()).unwrap();
    assert_eq!(v.phone.as_str(), "+14155550100");
    assert_eq!(v.name, "Ana");
    assert_eq!(v.zones, ["northside", "downtown"]);
    assert_eq!(v.languages, ["en", "es"]);
    assert_eq!(v.capabilities, ["car", "heavy"]);
    assert_eq!(v.availability, "weekday evenings");
    assert_eq!(v.max_open_jobs, 3);
}

#[test]
fn left_out_details_take_their_defaults() {
    let v = check(&ana(), &rules()).unwrap();
    assert!(v.zones.is_empty() && v.capabilities.is_empty());
    assert_eq!(v.languages, ["en"]);
    assert_eq!(v.max_open_jobs, 2);
}

#[test]
fn a_bad_phone_is_shown_only_when_too_short_to_be_anyones() {
    let refused = |phone: &str| {
        problem(Written {
            phone: phone.into(),
            ..ana()
        })
    };
    assert_eq!(refused("call me"), "phone: `call me` is not a phone number");
    assert_eq!(refused("12345"), "phone: `12345` is not a phone number");
    assert_eq!(
        refused("415-555-01009"),
        "phone: the number ending 1009 is not a phone number"
    );
    assert_eq!(refused(" "), "phone: is empty");
}

#[test]
fn every_problem_of_a_volunteer_is_named_with_the_values_refused() {
    let written = Written {
        phone: "12345".into(),
        name: " ".into(),
        zones: Some("northside;uptown;westside".into()),
        languages: Some("en;English".into()),
        capabilities: Some("car;bike".into()),
        max_open_jobs: Some("lots".into()),
        ..Written::default()
    };
    assert_eq!(
        problem(written),
        "phone: `12345` is not a phone number; \
         name: is empty; give the name neighbours will see; \
         zones: `uptown`, `westside` are not zones (downtown, northside, southside); \
         languages: `English` is not a language code such as en or es; \
         capabilities: `bike` is not one of car, money, heavy; \
         max_open_jobs: `lots` is not a whole number of 1 or more"
    );
}

#[test]
fn a_missing_name_is_asked_for() {
    let written = Written {
        name: "  ".into(),
        ..ana()
    };
    assert_eq!(
        problem(written),
        "name: is empty; give the name neighbours will see"
    );
}

#[test]
fn an_unknown_zone_lists_the_zones_there_are() {
    let written = Written {
        zones: Some("northside;westside".into()),
        ..ana()
    };
    assert_eq!(
        problem(written),
        "zones: `westside` is not a zone (downtown, northside, southside)"
    );
}

#[test]
fn an_unknown_capability_lists_the_ones_there_are() {
    let written = Written {
        capabilities: Some("car;bike".into()),
        ..ana()
    };
    assert_eq!(
        problem(written),
        "capabilities: `bike` is not one of car, money, heavy"
    );
}

#[test]
fn a_language_is_a_code() {
    let written = Written {
        languages: Some("English".into()),
        ..ana()
    };
    assert_eq!(
        problem(written),
        "languages: `English` is not a language code such as en or es"
    );
}

#[test]
fn max_open_jobs_is_one_or_more() {
    for raw in ["0", "-1", "two", "1.5"] {
        let written = Written {
            max_open_jobs: Some(raw.into()),
            ..ana()
        };
        assert_eq!(
            problem(written),
            format!("max_open_jobs: `{raw}` is not a whole number of 1 or more")
        );
    }
}

#[test]
fn columns_come_in_any_order_and_case() {
    let csv = "\u{feff}Name,ZONES,Phone\nAna,northside,415-555-0100\nBo,downtown,415-555-0101\n";
    let names: Vec<String> = import(csv).unwrap().into_iter().map(|v| v.name).collect();
    assert_eq!(names, ["Ana", "Bo"]);
}

#[test]
fn a_phone_listed_twice_is_a_bad_row_however_it_is_written() {
    let csv = "phone,name\n+1 415 555 0100,Ana\n(415) 555-0100,Ana again\n";
    let err = import(csv).unwrap_err();
    assert_eq!(
        err.to_string(),
        "row 3: phone: the same number is already on row 2\nnothing was imported (1 bad row of 2)"
    );
}

#[test]
fn every_bad_row_is_reported_with_its_spreadsheet_row_number() {
    let csv = "phone,name,capabilities,max_open_jobs\n\
               415-555-0100,Ana,car,\n\
               415-555-0101,,,\n\
               ,,,\n\
               415-555-0102,Cy,boat,\n\
               415-555-0103,Di,,0\n\
               12345,Ed,boat;car;bike,\n";
    let err = import(csv).unwrap_err();
    assert_eq!(
        err.to_string(),
        "row 3: name: is empty; give the name neighbours will see\n\
         row 5: capabilities: `boat` is not one of car, money, heavy\n\
         row 6: max_open_jobs: `0` is not a whole number of 1 or more\n\
         row 7: phone: `12345` is not a phone number; \
         capabilities: `boat`, `bike` are not any of car, money, heavy\n\
         nothing was imported (4 bad rows of 5)"
    );
}

#[test]
fn a_stray_comma_is_blamed_on_its_row() {
    let csv = "phone,name,zones\n415-555-0100,Ana, the baker,northside\n";
    assert_eq!(
        import(csv).unwrap_err().to_string(),
        "row 2: has 4 cells but the header has 3; put quotes around a cell with a comma in it\n\
         nothing was imported (1 bad row of 1)"
    );
}

#[test]
fn the_header_must_name_known_columns_including_phone_and_name() {
    let cases = [
        (
            "phone,name,zone\n",
            "the column `zone` is unknown; the columns are phone, name, zones, languages, capabilities, availability, max_open_jobs",
        ),
        ("phone,zones\n", "the file has no `name` column"),
        ("phone,name,Phone\n", "the column `Phone` appears twice"),
        ("", "the file has no `phone` column"),
        ("phone,name\n,\n", "the file lists no volunteers"),
    ];
    for (csv, sentence) in cases {
        assert_eq!(import(csv).unwrap_err().to_string(), sentence, "{csv:?}");
    }
}

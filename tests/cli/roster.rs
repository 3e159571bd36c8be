//! The volunteer roster on the command line: importing, adding, approving, removing.

use super::*;

fn roster(url: &str, args: &[&str]) -> Vec<serde_json::Value> {
    let json = printed(aidline_on(
        url,
        &[&["volunteers", "list", "--json"], args].concat(),
    ));
    serde_json::from_str(&json).unwrap()
}

/// A CSV file in `dir`, for `volunteers import`.
fn roster_file(dir: &tempfile::TempDir, rows: &str) -> String {
    let path = dir.path().join("roster.csv");
    std::fs::write(&path, rows).unwrap();
    path.display().to_string()
}

#[test]
fn importing_a_roster_file_adds_its_volunteers_with_numbers_masked() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_in(&dir);
    let file = roster_file(
        &dir,
        "Name,Phone,Zones,Languages,Capabilities,Availability,Max_Open_Jobs\n\
         Ana,415-555-0100,northside;downtown,en;es,car,weekday evenings,3\n\
         Bo,+1 415 555 0101,southside,,,,\n",
    );
    let said = printed(aidline_on(&url, &["volunteers", "import", &file]));
    assert_eq!(said.trim(), "imported 2 volunteers");

    let list = roster(&url, &[]);
    let field = |i: usize, key: &str| list[i][key].as_str().unwrap().to_string();
    assert_eq!(
        [field(0, "name_to_use"), field(1, "name_to_use")],
        ["Ana", "Bo"]
    );
    assert_eq!(
        [field(0, "phone"), field(1, "phone")],
        ["+1******0100", "+1******0101"]
    );
    assert_eq!(
        [field(0, "status"), field(1, "status")],
        ["active", "active"]
    );
    assert_eq!(
        list[0]["zones"],
        serde_json::json!(["northside", "downtown"])
    );
    assert_eq!(list[0]["max_open_jobs"], 3);
    assert_eq!(list[1]["languages"], serde_json::json!(["en"]));

    let table = printed(aidline_on(&url, &["volunteers", "list"]));
    assert!(table.contains("2 volunteers"), "{table}");
    for shown in [serde_json::to_string(&list).unwrap(), table] {
        assert!(
            !shown.contains("4155550100") && !shown.contains("4155550101"),
            "{shown}"
        );
    }
}

#[test]
fn a_roster_file_with_one_bad_row_imports_nothing_and_names_each_value_refused_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_in(&dir);
    let file = roster_file(
        &dir,
        "phone,name,zones\n\
         415-555-0100,Ana,northside\n\
         12345,Bo,westside\n\
         415-555-0102,Cy,downtown\n",
    );
    let said = refused(aidline_on(&url, &["volunteers", "import", &file]));
    assert!(
        said.contains(
            "row 3: phone: `12345` is not a phone number; \
             zones: `westside` is not a zone (downtown, northside, southside)\n\
             nothing was imported (1 bad row of 3)"
        ),
        "{said}"
    );
    assert!(roster(&url, &[]).is_empty());
}

#[test]
fn add_checks_one_volunteer_as_import_checks_a_row_and_updates_a_known_number() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_in(&dir);
    let add = |capabilities: &str| {
        let ana = "volunteers add --phone 415-555-0100 --name Ana --capabilities";
        let args: Vec<&str> = ana.split(' ').chain([capabilities]).collect();
        aidline_on(&url, &args)
    };
    let said = refused(add("car;boat"));
    assert!(
        said.contains("capabilities: `boat` is not one of car, money, heavy"),
        "{said}"
    );
    assert_eq!(printed(add("car;money")).trim(), "saved Ana (+1******0100)");
    printed(add("heavy"));
    let list = roster(&url, &[]);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["capabilities"], serde_json::json!(["heavy"]));
}

#[test]
fn an_organiser_approves_a_sign_up_and_later_removes_them() {
    use aidline::store::contacts;
    use aidline::store::volunteers::{self, NewVolunteer};

    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_in(&dir);
    prepare(&url, async |conn| {
        let ids = contacts::upsert_many(conn, &["+14155550102"], 1)
            .await
            .unwrap();
        let sign_up = NewVolunteer {
            contact_id: ids[0].1,
            name_to_use: "Rosa",
            zones: &["southside".into()],
            languages: &["es".into()],
            capabilities: &[],
            availability: "",
            max_open_jobs: 2,
            status: aidline::lifecycle::VolunteerStatus::Pending,
        };
        volunteers::upsert(conn, &sign_up, 1).await.unwrap();
    });
    assert_eq!(roster(&url, &["--pending"])[0]["name_to_use"], "Rosa");

    let said = printed(aidline_on(
        &url,
        &["volunteers", "approve", "(415) 555-0102"],
    ));
    assert_eq!(said.trim(), "approved Rosa (+1******0102)");
    assert!(roster(&url, &["--pending"]).is_empty());
    assert_eq!(roster(&url, &[])[0]["status"], "active");

    let said = printed(aidline_on(&url, &["volunteers", "remove", "+14155550102"]));
    assert_eq!(said.trim(), "removed Rosa (+1******0102)");
    assert!(roster(&url, &[]).is_empty());

    for command in ["approve", "remove"] {
        let said = refused(aidline_on(&url, &["volunteers", command, "415-555-0102"]));
        assert!(
            said.contains("no volunteer has the number +1******0102"),
            "{said}"
        );
        assert!(!said.contains("4155550102"), "{said}");
    }
}

//! The `aidline` command line, run as an organiser would run it.

use std::process::Command;

fn aidline(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_aidline"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        // Keep a developer's own settings out of the test.
        .env("AIDLINE_CONFIG", "tests/fixtures/test.toml")
        .output()
        .unwrap()
}

#[test]
fn flows_check_passes_on_the_shipped_flows() {
    let out = aidline(&["flows", "check", "flows"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("intake"));
}

#[test]
fn flows_check_names_the_file_line_and_column_of_a_mistake() {
    let out = aidline(&["flows", "check", "tests/fixtures/broken_flows"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("tests/fixtures/broken_flows/intake.toml:10:8: `next` points to `adress`, which is not a state in this flow"),
        "{stderr}"
    );
}

#[test]
fn the_service_refuses_to_start_with_a_broken_flow() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/aidline.db", dir.path().display());
    let out = Command::new(env!("CARGO_BIN_EXE_aidline"))
        .arg("serve")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("AIDLINE_CONFIG", "tests/fixtures/test.toml")
        .env("AIDLINE_FLOWS_DIR", "tests/fixtures/broken_flows")
        .env("AIDLINE_DATABASE_URL", &db)
        .env("AIDLINE_BIND", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("intake.toml:10:8"), "{stderr}");
}

#[test]
fn an_unknown_setting_stops_start_up_and_is_named() {
    let out = Command::new(env!("CARGO_BIN_EXE_aidline"))
        .args([
            "--config",
            "tests/fixtures/unknown_key.toml",
            "flows",
            "check",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("databse_url"), "{stderr}");
}

//! The `aidline` command line, run as an organiser would run it.

use std::process::Command;

#[path = "../support/test_db.rs"]
mod test_db;

fn aidline(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_aidline"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        // Keep a developer's own settings out of the test.
        .env("AIDLINE_CONFIG", "tests/fixtures/test.toml")
        .output()
        .unwrap()
}

/// Runs `aidline` on the SQLite database at `url`.
fn aidline_on(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_aidline"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("AIDLINE_CONFIG", "tests/fixtures/test.toml")
        .env("AIDLINE_DATABASE_URL", url)
        .output()
        .unwrap()
}

fn sqlite_in(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}/aidline.db", dir.path().display())
}

/// Writes to a fresh database at `url` before a command looks at it.
fn prepare(url: &str, write: impl AsyncFnOnce(&mut aidline::store::Conn)) {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = aidline::store::Db::connect(url).await.unwrap();
        db.migrate().await.unwrap();
        let mut conn = db.acquire().await.unwrap();
        write(&mut conn).await
    });
}

/// What a command that had to succeed printed.
fn printed(out: std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What a command that had to fail said.
fn refused(out: std::process::Output) -> String {
    assert!(!out.status.success());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn add_user(url: &str, args: &[&str], password: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;

    let mut child = Command::new(env!("CARGO_BIN_EXE_aidline"))
        .args([&["users", "add"], args].concat())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("AIDLINE_CONFIG", "tests/fixtures/test.toml")
        .env("AIDLINE_DATABASE_URL", url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(format!("{password}\n").as_bytes()).unwrap();
    drop(stdin);
    child.wait_with_output().unwrap()
}

mod accounts;
mod flows;
mod operations;
mod privacy;
mod roster;

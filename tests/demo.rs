//! The demo, started as a newcomer starts it: `aidline` with no settings file, in a folder of its
//! own.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};

/// `aidline serve` in `dir`, listening on `bind`, with the settings file `config` if given.
fn serve(dir: &Path, bind: &str, config: Option<&str>) -> Command {
    let manifest = env!("CARGO_MANIFEST_DIR");
    let mut command = Command::new(env!("CARGO_BIN_EXE_aidline"));
    command
        .arg("serve")
        .current_dir(dir)
        .env_remove("AIDLINE_CONFIG")
        .env("AIDLINE_FLOWS_DIR", format!("{manifest}/flows"))
        .env("AIDLINE_DATABASE_URL", database(dir))
        .env("AIDLINE_BIND", bind)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(config) = config {
        command.env("AIDLINE_CONFIG", format!("{manifest}/{config}"));
    }
    command
}

fn database(dir: &Path) -> String {
    format!("sqlite://{}/aidline.db", dir.display())
}

/// Starts `command` and stops it once it listens; returns what it printed on standard output and
/// on standard error by then.
fn printed_at_start(mut command: Command) -> (String, String) {
    let mut child = command.spawn().unwrap();
    let mut stderr = String::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        stderr.push_str(&line);
        if line.contains("aidline is listening") {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    (stdout, stderr)
}

/// The one-time password the greeting shows, if it shows one.
fn password_in(greeting: &str) -> Option<String> {
    let start = greeting.find("with the password ")? + 18;
    let password = greeting[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    Some(password)
}

/// Whether `password` signs in as `username` on the database in `dir`.
fn signs_in(dir: &Path, username: &str, password: &str) -> bool {
    use aidline::store::{Db, users};
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = Db::connect(&database(dir)).await.unwrap();
        let mut conn = db.acquire().await.unwrap();
        match users::for_sign_in(&mut conn, username).await.unwrap() {
            Some((_, hash)) => aidline::accounts::verify_password(password, &hash),
            None => false,
        }
    })
}

#[test]
fn the_demo_shows_its_password_once_on_the_terminal_and_a_settings_file_shows_nothing_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let (first, log) = printed_at_start(serve(dir.path(), "127.0.0.1:0", None));
    let password = password_in(&first).expect(&first);
    assert!(password.len() >= 10, "{first}");
    assert!(first.contains("/simulator"), "{first}");
    assert!(
        log.contains("aidline is listening") && !log.contains(&password),
        "never in the log"
    );

    let (again, _) = printed_at_start(serve(dir.path(), "127.0.0.1:0", None));
    assert!(
        !again.contains("with the password"),
        "no second account: {again}"
    );
    assert!(again.contains("aidline users add"), "{again}");

    let with_file = serve(dir.path(), "127.0.0.1:0", Some("tests/fixtures/test.toml"));
    let (with_file, log) = printed_at_start(with_file);
    assert!(log.contains("aidline is listening"), "{log}");
    assert_eq!(with_file, "");
}

#[test]
fn a_demo_that_cannot_listen_leaves_no_account_and_the_next_start_shows_one_that_signs_in() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = taken.local_addr().unwrap().to_string();
    let out = serve(dir.path(), &busy, None).output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains(&format!("cannot listen on {busy}")), "{said}");
    assert!(
        out.stdout.is_empty(),
        "no greeting for a demo that is not running"
    );
    drop(taken);

    let (greeting, log) = printed_at_start(serve(dir.path(), "127.0.0.1:0", None));
    let password = password_in(&greeting).expect(&greeting);
    assert!(signs_in(dir.path(), "demo", &password), "{greeting}");

    let start = greeting.find("open http://127.0.0.1:").expect(&greeting) + 22;
    let port: String = greeting[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    assert_ne!(port.parse::<u16>().unwrap(), 0, "{greeting}");
    assert!(log.contains(&format!("127.0.0.1:{port}")), "{log}");
}

//! Accounts for the desk and API tokens, made on the command line.

use super::*;

#[test]
fn an_organiser_adds_the_first_admin_who_can_then_sign_in_and_later_disables_them() {
    use aidline::accounts::verify_password;
    use aidline::store::{tokens, users};

    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_in(&dir);
    let args = ["rosa", "--name", "Rosa M", "--role", "admin"];
    let said = refused(add_user(&url, &args, "too short"));
    assert!(said.contains("use at least 10 characters"), "{said}");

    let said = printed(add_user(&url, &args, "a long password with spaces"));
    assert_eq!(said.trim(), "added admin rosa");
    let said = refused(add_user(&url, &args, "another long password"));
    assert!(said.contains("username `rosa` is taken"), "{said}");

    prepare(&url, async |conn| {
        let (user, hash) = users::for_sign_in(conn, "rosa").await.unwrap().unwrap();
        assert_eq!(
            (user.display_name.as_str(), user.is_admin()),
            ("Rosa M", true)
        );
        assert!(verify_password("a long password with spaces", &hash));
        assert!(!hash.contains("spaces"));
        aidline::tokens::add(conn, "signal-bot", Some(user.id), 1)
            .await
            .unwrap();
    });

    let said = printed(aidline_on(&url, &["users", "disable", "rosa"]));
    assert_eq!(said.trim(), "disabled rosa");
    prepare(&url, async |conn| {
        assert!(users::for_sign_in(conn, "rosa").await.unwrap().is_none());
        let made = tokens::all(conn).await.unwrap();
        assert!(made[0].revoked_at.is_some(), "her token goes with her");
    });
}

#[test]
fn users_list_shows_each_account_its_role_and_whether_it_is_disabled_but_no_password() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_in(&dir);
    let rosa = ["rosa", "--name", "Rosa M", "--role", "admin"];
    printed(add_user(&url, &rosa, "a long password with spaces"));
    let dana = ["dana", "--name", "Dana", "--role", "dispatcher"];
    printed(add_user(&url, &dana, "another long password"));
    printed(aidline_on(&url, &["users", "disable", "dana"]));

    let listed = printed(aidline_on(&url, &["users", "list"]));
    let row = |username: &str| {
        let line = listed.lines().find(|l| l.starts_with(username));
        line.expect(&listed).split_whitespace().collect::<Vec<_>>()
    };
    assert_eq!(row("rosa"), ["rosa", "Rosa", "M", "admin", "-"]);
    let dana = row("dana");
    assert_eq!(dana[..3], ["dana", "Dana", "dispatcher"], "{listed}");
    assert_ne!(dana[3], "-", "disabled, with when: {listed}");
    assert!(listed.ends_with("2 accounts\n"), "{listed}");
    assert_eq!(
        listed.lines().count(),
        4,
        "a header, two accounts, the count: {listed}"
    );
    assert!(
        !listed.contains("password") && !listed.contains("$argon2"),
        "{listed}"
    );
}

#[test]
fn an_organiser_makes_lists_and_revokes_an_api_token_on_the_command_line() {
    use aidline::store::tokens;

    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_in(&dir);
    let out = aidline_on(&url, &["tokens", "add", "signal-bot"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("it cannot be shown again"));
    let token = printed(out).trim().to_string();
    assert_eq!(token.len(), 43, "{token}");
    let said = refused(aidline_on(&url, &["tokens", "add", "signal-bot"]));
    assert!(
        said.contains("a token named `signal-bot` exists already"),
        "{said}"
    );
    let said = refused(aidline_on(&url, &["tokens", "add", "Signal Bot"]));
    assert!(
        said.contains("name: use 1 to 64 lower-case letters"),
        "{said}"
    );

    let listed = printed(aidline_on(&url, &["tokens", "list"]));
    assert!(
        listed.contains("signal-bot") && listed.contains("command line"),
        "{listed}"
    );
    assert!(!listed.contains(&token));

    assert_eq!(
        printed(aidline_on(&url, &["tokens", "revoke", "signal-bot"])).trim(),
        "revoked signal-bot"
    );
    let said = refused(aidline_on(&url, &["tokens", "revoke", "signal-bot"]));
    assert!(
        said.contains("no token named `signal-bot` is in use"),
        "{said}"
    );
    prepare(&url, async |conn| {
        let all = tokens::all(conn).await.unwrap();
        assert!(all[0].revoked_at.is_some() && all[0].created_by.is_none());
    });
}

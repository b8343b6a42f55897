//! Start-up on an empty database, restarts, and the command line.

use std::process::Command;

use reqwest::Method;
use tocsin_server::startup::{AdminBootstrap, Application};

use crate::helpers::{spawn_with, test_settings, Backend, TestDb};

async fn first_start_generates_an_admin_password_and_a_signing_key_that_survive_restart(backend: Backend) {
    let (db, url) = TestDb::create(backend).await;
    let mut settings = test_settings(&url);
    settings.admin_password = None;
    settings.jwt_secret = None;
    let first = spawn_with(backend, db, settings.clone()).await;
    let AdminBootstrap::CreatedWithGeneratedPassword(password) = first.admin.clone() else {
        panic!("expected a generated password, got {:?}", first.admin);
    };
    assert!(password.len() >= 16);
    let token = first.login("admin", &password).await;
    first.stop();

    // A second instance on the same database: no new admin, same signing key.
    let second = Application::build(settings).await.unwrap();
    assert_eq!(second.admin, AdminBootstrap::Existing);
    let address = format!("http://127.0.0.1:{}", second.port());
    let handle = second.handle();
    tokio::spawn(second.run_until_stopped());
    let res =
        first.client.request(Method::GET, format!("{address}/api/v1/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), 200, "a token from the first instance works on the second");
    handle.stop(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_first_start_generates_an_admin_password_and_a_signing_key_that_survive_restart() {
    first_start_generates_an_admin_password_and_a_signing_key_that_survive_restart(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_first_start_generates_an_admin_password_and_a_signing_key_that_survive_restart() {
    first_start_generates_an_admin_password_and_a_signing_key_that_survive_restart(Backend::Postgres).await;
}

#[test]
fn migrate_creates_the_schema_from_empty_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fresh.db");
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_tocsin"))
            .arg("migrate")
            .env("TOCSIN_DATABASE_URL", format!("sqlite://{}", db.display()))
            .env("TOCSIN_CONFIG", dir.path().join("absent.toml"))
            .output()
            .unwrap()
    };
    let first = run();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/sqlite")).unwrap().count();
    assert_eq!(String::from_utf8_lossy(&first.stdout).trim(), format!("{migrations} migration(s) applied"));
    let second = run();
    assert!(second.status.success());
    assert_eq!(String::from_utf8_lossy(&second.stdout).trim(), "0 migration(s) applied");
}

#[test]
fn a_bad_database_url_is_reported_plainly() {
    let out = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("migrate")
        .env("TOCSIN_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot connect to postgres://nobody@127.0.0.1:1/none"), "{stderr}");
}

#[test]
fn help_explains_the_commands() {
    let out = Command::new(env!("CARGO_BIN_EXE_tocsin")).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for word in ["serve", "migrate", "openapi", "import", "TOCSIN_DATABASE_URL"] {
        assert!(help.contains(word), "--help mentions {word}: {help}");
    }
}

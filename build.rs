// The migrations are built into the binary (`sqlx::migrate!`), and a proc macro cannot tell
// cargo which files it read: without this, a changed migration leaves a stale build behind.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}

//! `GET /admin/users`: the accounts that may sign in, for admins. Password hashes never leave the
//! database; accounts are added with `aidline users add`.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::{Who, page};
use crate::store::users::{self, User};
use crate::web::session::Admin;
use crate::web::{AppState, WebError};

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    who: Option<Who>,
    users: Vec<User>,
}

pub async fn list(
    State(state): State<AppState>,
    Admin(signed_in): Admin,
) -> Result<Response, WebError> {
    let mut conn = state.db.acquire().await?;
    page(&UsersPage {
        who: Some(Who::from(&signed_in)),
        users: users::all(&mut conn).await?,
    })
}

//! Bearer-token authentication and mine scoping.
//!
//! Two kinds of token: a mine's own token (issued with its account, U7) and the administrator's
//! token from the configuration. A mine token uploads for its mine and reads only its mine's
//! data; the administrator reads everything but uploads nothing (uploads come from mines).

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use sha2::{Digest, Sha256};

use super::AppState;
use super::error::ApiError;
use crate::accounts::MineAccount;

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Principal {
    /// The administrator token: reads every mine.
    Admin,
    /// A mine's own token.
    Mine(MineAccount),
}

impl Principal {
    /// The mine account, for operations only a mine may do (uploads, stream registration).
    pub fn mine_account(&self) -> Option<&MineAccount> {
        match self {
            Principal::Admin => None,
            Principal::Mine(a) => Some(a),
        }
    }

    /// The mine filter to apply to a read: a mine token is confined to its own mine (asking for
    /// another is 403); the administrator gets what it asked for (`None` = every mine).
    pub fn read_scope(
        &self,
        requested: Option<&str>,
        field: &str,
    ) -> Result<Option<String>, ApiError> {
        match (self, requested) {
            (Principal::Admin, r) => Ok(r.map(str::to_owned)),
            (Principal::Mine(a), None) => Ok(Some(a.mine.as_str().to_owned())),
            (Principal::Mine(a), Some(r)) if r == a.mine.as_str() => Ok(Some(r.to_owned())),
            (Principal::Mine(a), Some(r)) => Err(ApiError::forbidden(format!(
                "{field}: the token of mine {} may not read mine {r:?}",
                a.mine.as_str()
            ))
            .field(field)),
        }
    }
}

/// The token in `Authorization: Bearer <token>`, if the header has that form.
pub fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    let value = headers
        .get(AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("Authorization: missing; send \"Bearer <token>\""))?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::unauthorized("Authorization: not printable ASCII"))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| ApiError::unauthorized("Authorization: expected \"Bearer <token>\""))?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ApiError::unauthorized(
            "Authorization: expected \"Bearer <token>\"",
        ));
    }
    Ok(token)
}

/// SHA-256 of a token.
pub fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Equality of two digests in time independent of where they differ.
fn digest_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Authenticates the request's bearer token.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let token = bearer(headers)?;
    if let Some(admin) = &state.admin_token_sha256
        && digest_eq(admin, &token_digest(token))
    {
        return Ok(Principal::Admin);
    }
    match state.accounts.verify_token(token).await? {
        Some(account) => Ok(Principal::Mine(account)),
        None => Err(ApiError::unauthorized(
            "Authorization: unknown bearer token",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_forms() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h).map_err(|e| e.status.as_u16()), Err(401));
        h.insert(AUTHORIZATION, "Basic abc".parse().expect("header"));
        assert!(bearer(&h).is_err());
        h.insert(AUTHORIZATION, "bearer  tok ".parse().expect("header"));
        assert_eq!(bearer(&h).ok(), Some("tok"));
        assert!(digest_eq(&token_digest("a"), &token_digest("a")));
        assert!(!digest_eq(&token_digest("a"), &token_digest("b")));
    }
}

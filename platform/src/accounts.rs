//! Per-mine accounts (U7: "FTP address and account per mine are issued by the administration").
//!
//! One account per mine: an FTP username and password (stored as an argon2id PHC string) and
//! an HTTPS bearer token (stored as its SHA-256 hex; the token itself is random and shown once).
//! Authentication yields a [`MineAccount`], which is what ingest trusts for "whose upload is this".

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use argon2::Argon2;
use eseal_protocol::MineCode;
use rand::Rng;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::evidence::sha256_hex;
use crate::store::Store;

/// An authenticated mine-side account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MineAccount {
    /// FTP user name.
    pub username: String,
    /// The one mine this account may upload for.
    pub mine: MineCode,
}

/// Credentials as issued: the only time the password and token exist in clear.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewAccount {
    /// FTP user name.
    pub username: String,
    /// FTP password.
    pub password: String,
    /// HTTPS bearer token.
    pub token: String,
}

/// The account registry. Cheap to clone.
///
/// Verified passwords are remembered per user as a salted SHA-256 next to the PHC string they
/// matched, so a device that logs in for every upload (as U1–U4 "at once" makes them do) costs
/// one argon2 computation per process, not one per file. A changed hash invalidates the entry.
#[derive(Debug, Clone)]
pub struct Accounts {
    store: Store,
    verified: Arc<Mutex<HashMap<String, (String, String)>>>,
}

fn cache_key(phc: &str, password: &str) -> String {
    sha256_hex(format!("{phc}\u{0}{password}").as_bytes())
}

/// The user name issued for a mine: `m` + the 12-digit code.
pub fn username_for(mine: &MineCode) -> String {
    format!("m{}", mine.as_str())
}

fn random_password() -> String {
    rand::rng()
        .sample_iter(&rand::distr::Alphanumeric)
        .take(20)
        .map(char::from)
        .collect()
}

fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

fn hash_password(password: &str) -> Result<String> {
    let salt_bytes: [u8; 16] = rand::random();
    let salt =
        SaltString::encode_b64(&salt_bytes).map_err(|e| Error::Internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("argon2: {e}")))
}

fn row_to_account(username: String, mine: String) -> Result<MineAccount> {
    let mine = MineCode::parse(&mine)
        .map_err(|e| Error::Account(format!("stored mine code of {username} is invalid: {e}")))?;
    Ok(MineAccount { username, mine })
}

impl Accounts {
    /// Accounts kept in `store`.
    pub fn new(store: Store) -> Self {
        Accounts {
            store,
            verified: Arc::default(),
        }
    }

    /// Issues the account of `mine` (which must be registered in `mines`) with a random
    /// password and token.
    pub async fn create_account(&self, mine: &MineCode) -> Result<NewAccount> {
        self.create_account_with(mine, username_for(mine), random_password(), random_token())
            .await
    }

    /// Issues an account with the given credentials (the demo seed uses fixed ones).
    pub async fn create_account_with(
        &self,
        mine: &MineCode,
        username: String,
        password: String,
        token: String,
    ) -> Result<NewAccount> {
        let mine_s = mine.as_str().to_owned();
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            let password_hash = hash_password(&password)?;
            let token_hash = sha256_hex(token.as_bytes());
            store.call_blocking(|c| {
                c.transaction(|tx| {
                    let known = tx
                        .query_one("SELECT EXISTS (SELECT 1 FROM mines WHERE code = $1) AS known", &[(&mine_s).into()])?
                        .bool("known")?;
                    if !known {
                        return Err(Error::Account(format!("mine {mine_s} is not registered")));
                    }
                    let taken = tx.query_opt("SELECT username FROM accounts WHERE mine = $1", &[(&mine_s).into()])?;
                    if let Some(row) = taken {
                        let u = row.text("username")?;
                        return Err(Error::Account(format!("mine {mine_s} already has the account {u}")));
                    }
                    tx.execute(
                        "INSERT INTO accounts (username, mine, password_hash, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
                        &[
                            (&username).into(),
                            (&mine_s).into(),
                            password_hash.into(),
                            token_hash.into(),
                            crate::ingest::now_rfc3339().into(),
                        ],
                    )
                    .map_err(|e| match e {
                        // Another account took the name (or the mine) since the checks above.
                        Error::Constraint { kind: crate::db::ConstraintKind::Unique, .. } => {
                            Error::Account(format!("user name {username} or mine {mine_s} has an account already"))
                        }
                        other => other,
                    })
                })
            })?;
            Ok(NewAccount { username, password, token })
        })
        .await?
    }

    /// The account with this user name, if any.
    pub async fn get(&self, username: &str) -> Result<Option<MineAccount>> {
        let username = username.to_owned();
        self.store
            .read(move |c| {
                c.query_opt(
                    "SELECT username, mine FROM accounts WHERE username = $1",
                    &[username.into()],
                )?
                .map(|r| row_to_account(r.text("username")?, r.text("mine")?))
                .transpose()
            })
            .await
    }

    /// Checks an FTP password. `None` for an unknown user or a wrong password.
    pub async fn verify_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<MineAccount>> {
        let user = username.to_owned();
        let row: Option<(String, String, String)> = self
            .store
            .read(move |c| {
                c.query_opt(
                    "SELECT username, mine, password_hash FROM accounts WHERE username = $1",
                    &[user.into()],
                )?
                .map(|r| {
                    Ok((
                        r.text("username")?,
                        r.text("mine")?,
                        r.text("password_hash")?,
                    ))
                })
                .transpose()
            })
            .await?;
        let Some((username, mine, phc)) = row else {
            return Ok(None);
        };
        let key = cache_key(&phc, password);
        let cached = {
            let v = self.verified.lock().unwrap_or_else(|p| p.into_inner());
            v.get(&username)
                .is_some_and(|(p, k)| *p == phc && *k == key)
        };
        if !cached {
            let password = password.to_owned();
            let phc2 = phc.clone();
            let ok = tokio::task::spawn_blocking(move || {
                PasswordHash::new(&phc2)
                    .map(|h| {
                        Argon2::default()
                            .verify_password(password.as_bytes(), &h)
                            .is_ok()
                    })
                    .unwrap_or(false)
            })
            .await?;
            if !ok {
                return Ok(None);
            }
            self.verified
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(username.clone(), (phc, key));
        }
        row_to_account(username, mine).map(Some)
    }

    /// Checks an HTTPS bearer token. `None` when no account has it.
    pub async fn verify_token(&self, token: &str) -> Result<Option<MineAccount>> {
        let token_hash = sha256_hex(token.trim().as_bytes());
        self.store
            .read(move |c| {
                c.query_opt(
                    "SELECT username, mine FROM accounts WHERE token_hash = $1",
                    &[token_hash.into()],
                )?
                .map(|r| row_to_account(r.text("username")?, r.text("mine")?))
                .transpose()
            })
            .await
    }
}

//! Units and users of the regulators' platform, login sessions and who may manage whom.
//!
//! Units form the hierarchy national → province → city → county → mine; a unit's parent is
//! read from its code ([`UnitCode::parent`]) and must exist before it. A user belongs to one
//! unit with one [`Role`]; an authenticated user is an [`Actor`], whose jurisdiction is what its
//! unit covers.
//!
//! Key design decision: **the database holds only what cannot be stolen or forged.** Passwords
//! are argon2id PHC strings; a login returns a random session token exactly once and keeps only
//! its SHA-256, so a leaked `sessions` table opens nothing. [`Users::authenticate`] reads the
//! user's unit and role at every call, so a role change or a disabled account takes effect on the
//! next request, not at the next login. Every change — unit or user created, session opened or
//! revoked, account disabled, role changed — writes its [`audit`] row in the same transaction.
//!
//! Management rule: only an admin whose unit covers the target's unit (or the platform itself,
//! [`Actor::System`], which bootstraps the national unit and first admin) creates units and
//! users, disables accounts and changes roles; the refusal names that rule.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::json;

use super::audit::{self, Change};
use super::{Actor, Role, UnitCode, UnitLevel};
use crate::db::{Conn, Db, FromValue, Row, Value};
use crate::error::{Error, Result};
use crate::evidence::sha256_hex;

/// Why a login or a session token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Unknown user name or wrong password (which of the two is not told).
    #[error("wrong user name or password")]
    BadCredentials,
    /// The account is disabled.
    #[error("account {username} is disabled")]
    Disabled {
        /// The account.
        username: String,
    },
    /// No session has this token.
    #[error("unknown session token")]
    UnknownToken,
    /// The session expired.
    #[error("session expired at {at}")]
    Expired {
        /// When it expired.
        at: DateTime<Utc>,
    },
    /// The session was revoked (logout, or by an admin).
    #[error("session revoked at {at}")]
    Revoked {
        /// When it was revoked.
        at: DateTime<Utc>,
    },
    /// Too many failed logins for this user name lately: no password is checked until `until`.
    #[error(
        "{failures} failed logins for {username} within {window_minutes} minutes; try again after {until}"
    )]
    Throttled {
        /// The user name tried.
        username: String,
        /// Failed logins counted.
        failures: u32,
        /// The window they are counted in.
        window_minutes: i64,
        /// When logins are checked again.
        until: DateTime<Utc>,
    },
}

/// A login name: 3–32 characters of lowercase ASCII letters, digits, `.`, `_` and `-`,
/// starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Username(String);

const USERNAME_RULE: &str =
    "3-32 characters: lowercase ASCII letters, digits, '.', '_' or '-', starting with a letter";

impl Username {
    /// Parses a login name.
    pub fn parse(s: &str) -> Result<Username> {
        let ok = (3..=32).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            });
        if ok {
            Ok(Username(s.to_owned()))
        } else {
            Err(Error::invalid("username", USERNAME_RULE, format!("{s:?}")))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted, in bytes (argon2 hashes all of it).
pub const MAX_PASSWORD_BYTES: usize = 1024;

fn check_password(password: &str) -> Result<()> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS || password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::invalid(
            "password",
            &format!(
                "{MIN_PASSWORD_CHARS} characters or more (at most {MAX_PASSWORD_BYTES} bytes)"
            ),
            // Never the password itself.
            format!("{chars} characters"),
        ));
    }
    Ok(())
}

/// A unit of the hierarchy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Unit {
    /// Its code.
    pub code: UnitCode,
    /// Its name (山西省, 忻州市, 代县 ...).
    pub name: String,
    /// Its level (from the code).
    pub level: UnitLevel,
    /// The unit above; `None` for national.
    pub parent: Option<UnitCode>,
}

/// A user as stored, without the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct User {
    /// Login name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// The unit the user belongs to.
    pub unit: UnitCode,
    /// Role in it.
    pub role: Role,
    /// Whether the account is disabled.
    pub disabled: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl User {
    /// The actor this user acts as.
    pub fn actor(&self) -> Actor {
        Actor::user(&self.username, self.unit.clone(), self.role)
    }

    fn audit_json(&self) -> serde_json::Value {
        json!({
            "username": self.username,
            "display_name": self.display_name,
            "unit": self.unit.as_str(),
            "role": role_id(self.role),
            "disabled": self.disabled,
        })
    }
}

/// A user to create. `Debug` does not show the password.
#[derive(Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Login name.
    pub username: Username,
    /// Name shown.
    pub display_name: String,
    /// Unit (must exist).
    pub unit: UnitCode,
    /// Role.
    pub role: Role,
    /// Initial password ([`MIN_PASSWORD_CHARS`] or more).
    pub password: String,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("display_name", &self.display_name)
            .field("unit", &self.unit)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// A successful login: the only time the token exists in clear. `Debug` does not show it.
#[derive(Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Login {
    /// Bearer token of the session (64 hex digits).
    pub token: String,
    /// When the session ends.
    pub expires_at: DateTime<Utc>,
    /// Who logged in.
    pub actor: Actor,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("expires_at", &self.expires_at)
            .field("actor", &self.actor)
            .finish_non_exhaustive()
    }
}

fn role_id(role: Role) -> &'static str {
    match role {
        Role::Viewer => "viewer",
        Role::Inspector => "inspector",
        Role::Supervisor => "supervisor",
        Role::Admin => "admin",
    }
}

fn level_id(level: UnitLevel) -> &'static str {
    match level {
        UnitLevel::National => "national",
        UnitLevel::Province => "province",
        UnitLevel::City => "city",
        UnitLevel::County => "county",
        UnitLevel::Mine => "mine",
    }
}

impl FromValue for Role {
    const EXPECTED: &'static str = "a role (viewer, inspector, supervisor, admin)";
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        let s = String::from_value(v)?;
        [Role::Viewer, Role::Inspector, Role::Supervisor, Role::Admin]
            .into_iter()
            .find(|r| role_id(*r) == s)
            .ok_or_else(|| format!("text {s:?}"))
    }
}

/// The id of a session in the audit log: the start of its token's hash (which opens nothing).
fn session_id(token_hash: &str) -> &str {
    token_hash.get(..16).unwrap_or(token_hash)
}

fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| Error::Internal(format!("password salt: {e}")))?;
    let phc = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| Error::Internal(format!("password hash: {e}")))?;
    Ok(phc.to_string())
}

fn password_matches(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash no password matches in practice, checked for unknown users so that a wrong user name
/// costs as long as a wrong password and does not tell which names exist.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY
        .get_or_init(|| hash_password(&hex::encode(rand::random::<[u8; 32]>())).unwrap_or_default())
}

/// Refuses unless `actor` is the system or an admin whose unit covers `unit`.
fn require_admin_over(actor: &Actor, unit: &UnitCode, doing: &str) -> Result<()> {
    match actor {
        Actor::System => Ok(()),
        Actor::User {
            role: Role::Admin,
            unit: own,
            ..
        } if own.covers(unit) => Ok(()),
        Actor::User {
            username,
            unit: own,
            role,
        } => Err(Error::Forbidden(format!(
            "{doing}: only an admin whose unit covers {unit} may do this; {username} is {} of {own}",
            role_id(*role)
        ))),
    }
}

const USER_COLUMNS: &str = "username, display_name, unit, role, disabled, created_at";

fn user_from(r: &Row) -> Result<User> {
    Ok(User {
        username: r.text("username")?,
        display_name: r.text("display_name")?,
        unit: r.get("unit")?,
        role: r.get("role")?,
        disabled: r.bool("disabled")?,
        created_at: r.time("created_at")?,
    })
}

fn load_user(c: &mut Conn, username: &str) -> Result<Option<User>> {
    c.query_opt(
        &format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1"),
        &[username.into()],
    )?
    .as_ref()
    .map(user_from)
    .transpose()
}

/// The user named `username`, managed by `actor` (an admin over the user's unit, or the system).
fn managed_user(c: &mut Conn, actor: &Actor, username: &str, doing: &str) -> Result<User> {
    let user =
        load_user(c, username)?.ok_or_else(|| Error::NotFound(format!("user {username}")))?;
    require_admin_over(actor, &user.unit, doing)?;
    Ok(user)
}

/// Writes the audit row of a change to `user`.
fn audit_user(
    c: &mut Conn,
    actor: &Actor,
    now: DateTime<Utc>,
    action: &str,
    user: &User,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<i64> {
    audit::record(
        c,
        actor,
        now,
        Change {
            action,
            object_kind: "user",
            object_id: &user.username,
            unit: &user.unit,
            before,
            after,
        },
    )
}

/// Default lifetime of a session.
pub const DEFAULT_SESSION_TTL: Duration = Duration::hours(12);

/// Units, users and sessions in a [`Db`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Users {
    db: Db,
    session_ttl: Duration,
    /// Recent failed logins per user name (in memory: a restart forgets them).
    failed: Arc<std::sync::Mutex<HashMap<String, Vec<DateTime<Utc>>>>>,
}

/// Failed logins of one user name within [`LOGIN_WINDOW`] after which no password is checked
/// for it until the oldest of them leaves the window (P5: a regulator's account is not open to
/// guessing).
pub const MAX_FAILED_LOGINS: usize = 5;
/// The window failed logins are counted in.
pub const LOGIN_WINDOW: Duration = Duration::minutes(15);
/// Most user names whose failures are remembered (a spray of made-up names cannot grow the
/// table without bound; beyond it the stalest are forgotten).
const MAX_THROTTLED_NAMES: usize = 10_000;

impl Users {
    /// Users kept in `db`, sessions lasting [`DEFAULT_SESSION_TTL`].
    pub fn new(db: Db) -> Users {
        Users {
            db,
            session_ttl: DEFAULT_SESSION_TTL,
            failed: Arc::default(),
        }
    }

    /// Refuses `username` while it has [`MAX_FAILED_LOGINS`] failures within [`LOGIN_WINDOW`].
    fn check_throttle(
        &self,
        username: &str,
        now: DateTime<Utc>,
    ) -> std::result::Result<(), AuthError> {
        let mut failed = self.failed.lock().unwrap_or_else(|p| p.into_inner());
        let Some(times) = failed.get_mut(username) else {
            return Ok(());
        };
        times.retain(|t| now - *t < LOGIN_WINDOW);
        if times.len() >= MAX_FAILED_LOGINS {
            return Err(AuthError::Throttled {
                username: username.to_owned(),
                failures: times.len() as u32,
                window_minutes: LOGIN_WINDOW.num_minutes(),
                until: times[times.len() - MAX_FAILED_LOGINS] + LOGIN_WINDOW,
            });
        }
        if times.is_empty() {
            failed.remove(username);
        }
        Ok(())
    }

    fn record_failure(&self, username: &str, now: DateTime<Utc>) {
        let mut failed = self.failed.lock().unwrap_or_else(|p| p.into_inner());
        if failed.len() >= MAX_THROTTLED_NAMES && !failed.contains_key(username) {
            failed.retain(|_, times| times.last().is_some_and(|t| now - *t < LOGIN_WINDOW));
            while failed.len() >= MAX_THROTTLED_NAMES {
                let stalest = failed
                    .iter()
                    .min_by_key(|(_, times)| times.last().copied())
                    .map(|(name, _)| name.clone());
                match stalest {
                    Some(name) => failed.remove(&name),
                    None => break,
                };
            }
        }
        failed.entry(username.to_owned()).or_default().push(now);
    }

    /// Sessions opened from now on last `ttl`.
    pub fn session_ttl(mut self, ttl: Duration) -> Users {
        self.session_ttl = ttl;
        self
    }

    /// Creates a unit. Its parent (from the code) must exist, except for national; `actor`
    /// must be an admin whose unit covers the new one, or the system.
    pub async fn create_unit(
        &self,
        actor: &Actor,
        code: &UnitCode,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Unit> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::invalid("name", "the unit's name", "an empty name"));
        }
        let unit = Unit {
            code: code.clone(),
            name: name.to_owned(),
            level: code.level(),
            parent: code.parent(),
        };
        require_admin_over(actor, code, &format!("create unit {code}"))?;
        let (actor, out) = (actor.clone(), unit.clone());
        self.db
            .transaction(move |tx| {
                let exists = |tx: &mut Conn, code: &UnitCode| -> Result<bool> {
                    Ok(tx
                        .query_opt("SELECT code FROM units WHERE code = $1", &[code.as_str().into()])?
                        .is_some())
                };
                if exists(tx, &unit.code)? {
                    return Err(Error::Conflict(format!("unit {} exists already", unit.code)));
                }
                if let Some(parent) = &unit.parent
                    && !exists(tx, parent)?
                {
                    return Err(Error::NotFound(format!(
                        "unit {parent}, the parent of {}: create it first",
                        unit.code
                    )));
                }
                tx.execute(
                    "INSERT INTO units (code, name, level, parent, created_at) VALUES ($1, $2, $3, $4, $5)",
                    &[
                        unit.code.as_str().into(),
                        unit.name.as_str().into(),
                        level_id(unit.level).into(),
                        unit.parent.as_ref().map(UnitCode::as_str).into(),
                        now.into(),
                    ],
                )?;
                audit::record(tx, &actor, now, Change {
                    action: "unit.create",
                    object_kind: "unit",
                    object_id: unit.code.as_str(),
                    unit: &unit.code,
                    before: None,
                    after: Some(json!({
                        "code": unit.code.as_str(),
                        "name": unit.name,
                        "level": level_id(unit.level),
                        "parent": unit.parent.as_ref().map(UnitCode::as_str),
                    })),
                })?;
                Ok(())
            })
            .await?;
        Ok(out)
    }

    /// The unit with this code, if any.
    pub async fn unit(&self, code: &UnitCode) -> Result<Option<Unit>> {
        let row = self
            .db
            .query_opt(
                "SELECT code, name, parent FROM units WHERE code = $1",
                vec![code.as_str().into()],
            )
            .await?;
        row.map(|r| {
            let code: UnitCode = r.get("code")?;
            Ok(Unit {
                level: code.level(),
                name: r.text("name")?,
                parent: r.get("parent")?,
                code,
            })
        })
        .transpose()
    }

    /// Every unit of `actor`'s jurisdiction — its own unit and those it covers — by code.
    pub async fn units(&self, actor: &Actor) -> Result<Vec<Unit>> {
        let rows = self
            .db
            .query(
                "SELECT code, name, parent FROM units WHERE code LIKE $1 ORDER BY code",
                vec![audit::jurisdiction_pattern(actor).into()],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let code: UnitCode = r.get("code")?;
            let seen = match actor {
                Actor::User { unit, .. } => unit.covers(&code),
                Actor::System => true,
            };
            if seen {
                out.push(Unit {
                    level: code.level(),
                    name: r.text("name")?,
                    parent: r.get("parent")?,
                    code,
                });
            }
        }
        Ok(out)
    }

    /// Creates a user in an existing unit; `actor` must be an admin whose unit covers it, or
    /// the system.
    pub async fn create_user(
        &self,
        actor: &Actor,
        new: NewUser,
        now: DateTime<Utc>,
    ) -> Result<User> {
        check_password(&new.password)?;
        let display_name = new.display_name.trim().to_owned();
        if display_name.is_empty() {
            return Err(Error::invalid(
                "display_name",
                "the name shown for the user",
                "an empty name",
            ));
        }
        require_admin_over(
            actor,
            &new.unit,
            &format!("create user {}", new.username.as_str()),
        )?;
        let password = new.password.clone();
        let phc = tokio::task::spawn_blocking(move || hash_password(&password)).await??;
        let user = User {
            username: new.username.as_str().to_owned(),
            display_name,
            unit: new.unit.clone(),
            role: new.role,
            disabled: false,
            created_at: now,
        };
        let (actor, out) = (actor.clone(), user.clone());
        self.db
            .transaction(move |tx| {
                if load_user(tx, &user.username)?.is_some() {
                    return Err(Error::Conflict(format!("user {} exists already", user.username)));
                }
                let unit_exists = tx
                    .query_opt("SELECT code FROM units WHERE code = $1", &[user.unit.as_str().into()])?
                    .is_some();
                if !unit_exists {
                    return Err(Error::NotFound(format!("unit {}: create it before its users", user.unit)));
                }
                tx.execute(
                    "INSERT INTO users (username, display_name, unit, role, password_hash, disabled, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[
                        user.username.as_str().into(),
                        user.display_name.as_str().into(),
                        user.unit.as_str().into(),
                        role_id(user.role).into(),
                        phc.into(),
                        false.into(),
                        now.into(),
                    ],
                )?;
                audit_user(tx, &actor, now, "user.create", &user, None, Some(user.audit_json()))?;
                Ok(())
            })
            .await?;
        Ok(out)
    }

    /// The user named `username` if `actor` may see it (its unit covers the user's).
    pub async fn user(&self, actor: &Actor, username: &str) -> Result<Option<User>> {
        let (actor, username) = (actor.clone(), username.to_owned());
        self.db
            .run(move |c| {
                let user = load_user(c, &username)?;
                Ok(user.filter(|u| match &actor {
                    Actor::User { unit, .. } => unit.covers(&u.unit),
                    Actor::System => true,
                }))
            })
            .await
    }

    /// Every user of `actor`'s jurisdiction, by name.
    pub async fn users(&self, actor: &Actor) -> Result<Vec<User>> {
        let rows = self
            .db
            .query(
                format!("SELECT {USER_COLUMNS} FROM users WHERE unit LIKE $1 ORDER BY username"),
                vec![audit::jurisdiction_pattern(actor).into()],
            )
            .await?;
        rows.iter().map(user_from).collect()
    }

    /// Checks a password and opens a session; the token is returned here and never again.
    /// An unknown user and a wrong password are the same error; a disabled account is told
    /// only to whoever knows its password. After [`MAX_FAILED_LOGINS`] failures of one user
    /// name within [`LOGIN_WINDOW`] its logins are refused unchecked
    /// ([`AuthError::Throttled`]) until the oldest leaves the window.
    pub async fn login(&self, username: &str, password: &str, now: DateTime<Utc>) -> Result<Login> {
        self.check_throttle(username, now)?;
        let name = username.to_owned();
        let found = self
            .db
            .run(move |c| {
                let row = c.query_opt(
                    &format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = $1"),
                    &[name.as_str().into()],
                )?;
                row.map(|r| Ok((user_from(&r)?, r.text("password_hash")?)))
                    .transpose()
            })
            .await?;
        let password = password.to_owned();
        let (user, ok) = tokio::task::spawn_blocking(move || match found {
            Some((user, phc)) => {
                let ok = password_matches(&phc, &password);
                (Some(user), ok)
            }
            None => {
                password_matches(decoy_hash(), &password);
                (None, false)
            }
        })
        .await?;
        let user = match user {
            Some(user) if ok => user,
            _ => {
                self.record_failure(username, now);
                return Err(AuthError::BadCredentials.into());
            }
        };
        self.failed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(username);
        if user.disabled {
            return Err(AuthError::Disabled {
                username: user.username,
            }
            .into());
        }
        let token = hex::encode(rand::random::<[u8; 32]>());
        let token_hash = sha256_hex(token.as_bytes());
        let expires_at = now + self.session_ttl;
        let actor = user.actor();
        let who = actor.clone();
        self.db
            .transaction(move |tx| {
                tx.execute(
                    "INSERT INTO sessions (token_hash, username, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                    &[token_hash.as_str().into(), user.username.as_str().into(), now.into(), expires_at.into()],
                )?;
                audit::record(tx, &who, now, Change {
                    action: "session.create",
                    object_kind: "session",
                    object_id: session_id(&token_hash),
                    unit: &user.unit,
                    before: None,
                    after: Some(json!({ "username": user.username, "expires_at": crate::db::time_text(expires_at) })),
                })?;
                Ok(())
            })
            .await?;
        Ok(Login {
            token,
            expires_at,
            actor,
        })
    }

    /// The actor of a session token at `now`, with the user's current unit and role. Refuses an
    /// unknown token, a disabled account, a revoked and an expired session, each with its own
    /// error (in that order).
    pub async fn authenticate(&self, token: &str, now: DateTime<Utc>) -> Result<Actor> {
        let token_hash = sha256_hex(token.trim().as_bytes());
        let row = self
            .db
            .query_opt(
                "SELECT s.expires_at, s.revoked_at, u.username, u.unit, u.role, u.disabled \
                 FROM sessions s JOIN users u ON u.username = s.username WHERE s.token_hash = $1",
                vec![token_hash.into()],
            )
            .await?
            .ok_or(AuthError::UnknownToken)?;
        let username = row.text("username")?;
        if row.bool("disabled")? {
            return Err(AuthError::Disabled { username }.into());
        }
        if let Some(at) = row.get::<Option<DateTime<Utc>>>("revoked_at")? {
            return Err(AuthError::Revoked { at }.into());
        }
        let expires_at = row.time("expires_at")?;
        if now >= expires_at {
            return Err(AuthError::Expired { at: expires_at }.into());
        }
        Ok(Actor::user(&username, row.get("unit")?, row.get("role")?))
    }

    /// Ends the session of `token` (logout). Revoking a revoked session again changes nothing.
    pub async fn logout(&self, token: &str, now: DateTime<Utc>) -> Result<()> {
        let token_hash = sha256_hex(token.trim().as_bytes());
        self.db
            .transaction(move |tx| {
                let row = tx
                    .query_opt(
                        "SELECT s.revoked_at, u.username, u.unit, u.role \
                         FROM sessions s JOIN users u ON u.username = s.username WHERE s.token_hash = $1",
                        &[token_hash.as_str().into()],
                    )?
                    .ok_or(AuthError::UnknownToken)?;
                if row.get::<Option<String>>("revoked_at")?.is_some() {
                    return Ok(());
                }
                let (username, unit) = (row.text("username")?, row.get::<UnitCode>("unit")?);
                let actor = Actor::user(&username, unit.clone(), row.get("role")?);
                tx.execute(
                    "UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2",
                    &[now.into(), token_hash.as_str().into()],
                )?;
                audit::record(tx, &actor, now, Change {
                    action: "session.revoke",
                    object_kind: "session",
                    object_id: session_id(&token_hash),
                    unit: &unit,
                    before: Some(json!({ "username": username, "revoked": false })),
                    after: Some(json!({ "username": username, "revoked": true })),
                })?;
                Ok(())
            })
            .await
    }

    /// Revokes every live session of `username`; how many. By the user themselves, an admin
    /// over the user's unit, or the system.
    pub async fn revoke_sessions(
        &self,
        actor: &Actor,
        username: &str,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let (actor, username) = (actor.clone(), username.to_owned());
        self.db
            .transaction(move |tx| {
                let user = match load_user(tx, &username)? {
                    Some(u)
                        if actor.name() == u.username && matches!(actor, Actor::User { .. }) =>
                    {
                        u
                    }
                    Some(_) => managed_user(
                        tx,
                        &actor,
                        &username,
                        &format!("revoke the sessions of {username}"),
                    )?,
                    None => return Err(Error::NotFound(format!("user {username}"))),
                };
                revoke_all(tx, &actor, &user, now)
            })
            .await
    }

    /// Disables an account and revokes its sessions; by an admin over the user's unit.
    pub async fn disable_user(
        &self,
        actor: &Actor,
        username: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.set_disabled(actor, username, true, now).await
    }

    /// Enables a disabled account again (its old sessions stay revoked).
    pub async fn enable_user(
        &self,
        actor: &Actor,
        username: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.set_disabled(actor, username, false, now).await
    }

    async fn set_disabled(
        &self,
        actor: &Actor,
        username: &str,
        disabled: bool,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (actor, username) = (actor.clone(), username.to_owned());
        let doing = format!(
            "{} user {username}",
            if disabled { "disable" } else { "enable" }
        );
        self.db
            .transaction(move |tx| {
                let user = managed_user(tx, &actor, &username, &doing)?;
                if user.disabled == disabled {
                    return Ok(());
                }
                tx.execute(
                    "UPDATE users SET disabled = $1 WHERE username = $2",
                    &[disabled.into(), username.as_str().into()],
                )?;
                let after = User {
                    disabled,
                    ..user.clone()
                };
                let action = if disabled {
                    "user.disable"
                } else {
                    "user.enable"
                };
                audit_user(
                    tx,
                    &actor,
                    now,
                    action,
                    &user,
                    Some(user.audit_json()),
                    Some(after.audit_json()),
                )?;
                if disabled {
                    revoke_all(tx, &actor, &user, now)?;
                }
                Ok(())
            })
            .await
    }

    /// Gives `username` another role; only an admin whose unit covers the user's unit (or the
    /// system) may.
    pub async fn change_role(
        &self,
        actor: &Actor,
        username: &str,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (actor, username) = (actor.clone(), username.to_owned());
        self.db
            .transaction(move |tx| {
                let user = managed_user(
                    tx,
                    &actor,
                    &username,
                    &format!("change the role of {username}"),
                )?;
                if user.role == role {
                    return Ok(());
                }
                tx.execute(
                    "UPDATE users SET role = $1 WHERE username = $2",
                    &[role_id(role).into(), username.as_str().into()],
                )?;
                let after = User {
                    role,
                    ..user.clone()
                };
                audit_user(
                    tx,
                    &actor,
                    now,
                    "user.change_role",
                    &user,
                    Some(user.audit_json()),
                    Some(after.audit_json()),
                )?;
                Ok(())
            })
            .await
    }
}

/// Revokes the live sessions of `user`, recording how many in the audit log.
fn revoke_all(tx: &mut Conn, actor: &Actor, user: &User, now: DateTime<Utc>) -> Result<u64> {
    let n = tx.execute(
        "UPDATE sessions SET revoked_at = $1 WHERE username = $2 AND revoked_at IS NULL AND expires_at > $1",
        &[now.into(), user.username.as_str().into()],
    )?;
    if n > 0 {
        audit_user(
            tx,
            actor,
            now,
            "user.revoke_sessions",
            user,
            Some(json!({ "live_sessions": n })),
            Some(json!({ "live_sessions": 0 })),
        )?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::db::testing::on_both_backends;
    use crate::supervision::audit::{AuditQuery, query as audit_query};

    fn u(s: &str) -> UnitCode {
        UnitCode::parse(s).unwrap()
    }

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2021-01-04T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    const PASSWORD: &str = "correct horse";

    fn new_user(name: &str, unit: &str, role: Role) -> NewUser {
        NewUser {
            username: Username::parse(name).unwrap(),
            display_name: format!("{name} 同志"),
            unit: u(unit),
            role,
            password: PASSWORD.to_owned(),
        }
    }

    /// `actor` creates a user.
    async fn try_add(
        users: &Users,
        actor: &Actor,
        name: &str,
        unit: &str,
        role: Role,
    ) -> Result<User> {
        users
            .create_user(actor, new_user(name, unit, role), t0())
            .await
    }

    /// The system creates a user.
    async fn add(users: &Users, name: &str, unit: &str, role: Role) -> User {
        try_add(users, &Actor::System, name, unit, role)
            .await
            .unwrap()
    }

    /// National → 山西 → 忻州 → 代县 (+ 繁峙县) → one mine; a national admin and a county admin.
    async fn hierarchy(db: &Db) -> Users {
        let users = Users::new(db.clone());
        for (code, name) in [
            ("000000", "国家矿山安全监察局"),
            ("140000", "山西省"),
            ("140400", "忻州市"),
            ("140421", "代县"),
            ("140422", "繁峙县"),
            ("140421007866", "示例矿"),
        ] {
            users
                .create_unit(&Actor::System, &u(code), name, t0())
                .await
                .unwrap();
        }
        add(&users, "root", "000000", Role::Admin).await;
        add(&users, "daixian.admin", "140421", Role::Admin).await;
        users
    }

    async fn audit_actions(db: &Db, object_id: &str) -> Vec<String> {
        let q = AuditQuery {
            object_id: Some(object_id.to_owned()),
            ..AuditQuery::default()
        };
        let page = audit_query(db, &Actor::System, q).await.unwrap();
        page.entries.into_iter().rev().map(|e| e.action).collect()
    }

    fn auth_err(r: Result<impl std::fmt::Debug>) -> AuthError {
        match r {
            Err(Error::Auth(e)) => e,
            other => panic!("expected an authentication error, got {other:?}"),
        }
    }

    on_both_backends!(
        units_need_their_parent_and_an_admin_above,
        new_users_are_checked_and_audited,
        logins_refuse_wrong_passwords_and_disabled_accounts,
        a_guessed_user_name_is_throttled_for_the_window,
        sessions_expire_and_are_revoked,
        only_an_admin_over_the_unit_changes_a_role,
        a_refused_change_leaves_no_audit_row,
        users_are_listed_by_jurisdiction,
    );

    async fn units_need_their_parent_and_an_admin_above(db: Db) {
        let users = Users::new(db.clone());
        let e = users
            .create_unit(&Actor::System, &u("140000"), "山西省", t0())
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "not found: unit 000000, the parent of 140000: create it first"
        );
        let users = hierarchy(&db).await;
        let e = users
            .create_unit(&Actor::System, &u("140400"), "again", t0())
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Conflict(_)), "{e}");
        // A county admin may add a mine of its own county, not a unit beside it.
        let county = Actor::user("daixian.admin", u("140421"), Role::Admin);
        users
            .create_unit(&county, &u("140421007867"), "另一矿", t0())
            .await
            .unwrap();
        let e = users
            .create_unit(&county, &u("140423"), "原平", t0())
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "forbidden: create unit 140423: only an admin whose unit covers 140423 may do this; \
             daixian.admin is admin of 140421"
        );
        let unit = users.unit(&u("140421007867")).await.unwrap().unwrap();
        assert_eq!(unit.level, UnitLevel::Mine);
        assert_eq!(unit.parent, Some(u("140421")));
        assert_eq!(audit_actions(&db, "140421007867").await, ["unit.create"]);
        assert_eq!(users.unit(&u("140423")).await.unwrap(), None);
    }

    async fn new_users_are_checked_and_audited(db: Db) {
        let users = hierarchy(&db).await;
        for bad in ["Bob", "b", "9lives", "bob smith", "bób", &"x".repeat(33)] {
            let e = Username::parse(bad).unwrap_err().to_string();
            assert!(
                e.starts_with("username: expected 3-32 characters"),
                "{bad}: {e}"
            );
        }
        let mut short = new_user("shorty", "140421", Role::Viewer);
        short.password = "1234567".to_owned();
        let e = users
            .create_user(&Actor::System, short, t0())
            .await
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "password: expected 8 characters or more (at most 1024 bytes), found 7 characters"
        );
        let e = try_add(&users, &Actor::System, "ghost", "140499", Role::Viewer)
            .await
            .unwrap_err();
        assert!(matches!(e, Error::NotFound(_)), "{e}");
        let e = try_add(&users, &Actor::System, "root", "140421", Role::Viewer)
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Conflict(_)), "{e}");

        let county = Actor::user("daixian.admin", u("140421"), Role::Admin);
        let alice = try_add(&users, &county, "alice", "140421", Role::Inspector)
            .await
            .unwrap();
        assert_eq!(
            (alice.unit.as_str(), alice.role, alice.disabled),
            ("140421", Role::Inspector, false)
        );
        let e = try_add(&users, &county, "carol", "140400", Role::Viewer)
            .await
            .unwrap_err();
        assert!(
            matches!(e, Error::Forbidden(_)),
            "a county admin cannot add a city user: {e}"
        );

        let q = AuditQuery {
            object_id: Some("alice".to_owned()),
            ..AuditQuery::default()
        };
        let page = audit_query(&db, &Actor::System, q).await.unwrap();
        let [row] = page.entries.as_slice() else {
            panic!("{page:?}")
        };
        assert_eq!(
            (row.actor.as_str(), row.action.as_str()),
            ("daixian.admin", "user.create")
        );
        assert_eq!(row.before, None);
        let after = row.after.clone().unwrap();
        assert_eq!(after["role"], "inspector");
        assert!(after.get("password_hash").is_none(), "{after}");
        let stored = db
            .query_one(
                "SELECT password_hash FROM users WHERE username = $1",
                vec!["alice".into()],
            )
            .await
            .unwrap()
            .text("password_hash")
            .unwrap();
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(!stored.contains(PASSWORD));
    }

    async fn a_guessed_user_name_is_throttled_for_the_window(db: Db) {
        let users = hierarchy(&db).await;
        let at = |s: i64| t0() + Duration::seconds(s);
        for k in 0..MAX_FAILED_LOGINS as i64 {
            assert_eq!(
                auth_err(users.login("root", "wrong password", at(k * 60)).await),
                AuthError::BadCredentials
            );
        }
        // The next try is refused unchecked, even with the right password, until the first
        // failure (at t0) leaves the 15-minute window.
        let e = auth_err(users.login("root", PASSWORD, at(5 * 60)).await);
        assert_eq!(
            e,
            AuthError::Throttled {
                username: "root".to_owned(),
                failures: 5,
                window_minutes: 15,
                until: at(15 * 60),
            }
        );
        // Another user name is not throttled by it.
        users
            .login("daixian.admin", PASSWORD, at(5 * 60))
            .await
            .unwrap();
        let login = users.login("root", PASSWORD, at(15 * 60)).await.unwrap();
        assert_eq!(login.actor.name(), "root");
        // A success forgets the failures.
        for k in 0..(MAX_FAILED_LOGINS as i64 - 1) {
            auth_err(users.login("root", "wrong password", at(16 * 60 + k)).await);
        }
        users.login("root", PASSWORD, at(17 * 60)).await.unwrap();
        auth_err(users.login("root", "wrong password", at(17 * 60 + 1)).await);
        users
            .login("root", PASSWORD, at(17 * 60 + 2))
            .await
            .unwrap();
    }

    async fn logins_refuse_wrong_passwords_and_disabled_accounts(db: Db) {
        let users = hierarchy(&db).await;
        assert_eq!(
            auth_err(users.login("root", "wrong password", t0()).await),
            AuthError::BadCredentials
        );
        assert_eq!(
            auth_err(users.login("nobody", PASSWORD, t0()).await),
            AuthError::BadCredentials
        );
        let login = users.login("daixian.admin", PASSWORD, t0()).await.unwrap();
        assert_eq!(login.token.len(), 64);
        assert_eq!(
            login.actor,
            Actor::user("daixian.admin", u("140421"), Role::Admin)
        );
        assert!(
            !format!("{login:?}").contains(&login.token),
            "Debug hides the token"
        );
        let stored = db
            .query("SELECT token_hash FROM sessions", vec![])
            .await
            .unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(
            stored[0].text("token_hash").unwrap(),
            sha256_hex(login.token.as_bytes())
        );

        let root = Actor::user("root", u("000000"), Role::Admin);
        users
            .disable_user(&root, "daixian.admin", t0())
            .await
            .unwrap();
        let e = auth_err(users.login("daixian.admin", PASSWORD, t0()).await);
        assert_eq!(
            e,
            AuthError::Disabled {
                username: "daixian.admin".to_owned()
            }
        );
        // A guesser without the password is not told the account exists.
        assert_eq!(
            auth_err(users.login("daixian.admin", "guess guess", t0()).await),
            AuthError::BadCredentials
        );
        let e = auth_err(users.authenticate(&login.token, t0()).await);
        assert_eq!(
            e,
            AuthError::Disabled {
                username: "daixian.admin".to_owned()
            }
        );
        users
            .enable_user(&root, "daixian.admin", t0())
            .await
            .unwrap();
        // Disabling revoked the old session: enabling does not bring it back.
        assert_eq!(
            auth_err(users.authenticate(&login.token, t0()).await),
            AuthError::Revoked { at: t0() }
        );
        users.login("daixian.admin", PASSWORD, t0()).await.unwrap();
        assert_eq!(
            audit_actions(&db, "daixian.admin").await,
            [
                "user.create",
                "user.disable",
                "user.revoke_sessions",
                "user.enable"
            ]
        );
    }

    async fn sessions_expire_and_are_revoked(db: Db) {
        let users = hierarchy(&db).await.session_ttl(Duration::minutes(30));
        let login = users.login("root", PASSWORD, t0()).await.unwrap();
        assert_eq!(login.expires_at, t0() + Duration::minutes(30));
        let actor = users
            .authenticate(&login.token, t0() + Duration::minutes(29))
            .await
            .unwrap();
        assert_eq!(actor, Actor::user("root", u("000000"), Role::Admin));
        let e = auth_err(
            users
                .authenticate(&login.token, t0() + Duration::minutes(30))
                .await,
        );
        assert_eq!(
            e,
            AuthError::Expired {
                at: t0() + Duration::minutes(30)
            }
        );
        assert_eq!(
            auth_err(users.authenticate("not a token", t0()).await),
            AuthError::UnknownToken
        );

        let second = users.login("root", PASSWORD, t0()).await.unwrap();
        let later = t0() + Duration::minutes(5);
        users.logout(&second.token, later).await.unwrap();
        users
            .logout(&second.token, later + Duration::minutes(1))
            .await
            .unwrap();
        assert_eq!(
            auth_err(users.authenticate(&second.token, later).await),
            AuthError::Revoked { at: later }
        );
        assert_eq!(
            auth_err(users.logout("not a token", later).await),
            AuthError::UnknownToken
        );

        // Revoking all sessions: by the user, and by an admin over the user only.
        let a = users.login("daixian.admin", PASSWORD, t0()).await.unwrap();
        users.login("daixian.admin", PASSWORD, t0()).await.unwrap();
        let stranger = Actor::user("fanshi.admin", u("140422"), Role::Admin);
        let e = users
            .revoke_sessions(&stranger, "daixian.admin", later)
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Forbidden(_)), "{e}");
        let me = users.authenticate(&a.token, later).await.unwrap();
        assert_eq!(
            users
                .revoke_sessions(&me, "daixian.admin", later)
                .await
                .unwrap(),
            2
        );
        assert_eq!(
            auth_err(users.authenticate(&a.token, later).await),
            AuthError::Revoked { at: later }
        );

        let session_rows: Vec<String> = {
            let q = AuditQuery {
                object_kind: Some("session".to_owned()),
                ..AuditQuery::default()
            };
            let page = audit_query(&db, &Actor::System, q).await.unwrap();
            page.entries.into_iter().rev().map(|e| e.action).collect()
        };
        // Four logins and one logout (the second logout changed nothing).
        assert_eq!(
            session_rows,
            [
                "session.create",
                "session.create",
                "session.revoke",
                "session.create",
                "session.create"
            ]
        );
    }

    async fn only_an_admin_over_the_unit_changes_a_role(db: Db) {
        let users = hierarchy(&db).await;
        add(&users, "alice", "140421", Role::Viewer).await;
        add(&users, "fanshi.admin", "140422", Role::Admin).await;
        add(&users, "shanxi.sup", "140000", Role::Supervisor).await;
        let alice = users.login("alice", PASSWORD, t0()).await.unwrap();

        let refused = [
            (
                Actor::user("fanshi.admin", u("140422"), Role::Admin),
                "forbidden: change the role of alice: only an admin whose unit covers 140421 may do this; \
                 fanshi.admin is admin of 140422",
            ),
            (
                Actor::user("shanxi.sup", u("140000"), Role::Supervisor),
                "forbidden: change the role of alice: only an admin whose unit covers 140421 may do this; \
                 shanxi.sup is supervisor of 140000",
            ),
            (
                Actor::user("alice", u("140421"), Role::Viewer),
                "forbidden: change the role of alice: only an admin whose unit covers 140421 may do this; \
                 alice is viewer of 140421",
            ),
        ];
        for (actor, message) in refused {
            let e = users
                .change_role(&actor, "alice", Role::Admin, t0())
                .await
                .unwrap_err();
            assert_eq!(e.to_string(), message);
        }
        // A county admin may not promote itself above its county either: it covers only 140421.
        let county = Actor::user("daixian.admin", u("140421"), Role::Admin);
        let e = users
            .change_role(&county, "root", Role::Viewer, t0())
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Forbidden(_)), "{e}");

        users
            .change_role(&county, "alice", Role::Inspector, t0())
            .await
            .unwrap();
        users
            .change_role(&county, "alice", Role::Inspector, t0())
            .await
            .unwrap();
        // The session sees the new role at once.
        let actor = users.authenticate(&alice.token, t0()).await.unwrap();
        assert_eq!(actor, Actor::user("alice", u("140421"), Role::Inspector));
        let e = users
            .change_role(&county, "nobody", Role::Admin, t0())
            .await
            .unwrap_err();
        assert!(matches!(e, Error::NotFound(_)), "{e}");

        let q = AuditQuery {
            object_id: Some("alice".to_owned()),
            ..AuditQuery::default()
        };
        let page = audit_query(&db, &Actor::System, q).await.unwrap();
        let actions: Vec<&str> = page.entries.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            ["user.change_role", "user.create"],
            "no row for the no-op"
        );
        let change = &page.entries[0];
        assert_eq!(change.actor, "daixian.admin");
        assert_eq!(change.before.as_ref().unwrap()["role"], "viewer");
        assert_eq!(change.after.as_ref().unwrap()["role"], "inspector");
    }

    async fn a_refused_change_leaves_no_audit_row(db: Db) {
        let users = hierarchy(&db).await;
        let before = audit_query(&db, &Actor::System, AuditQuery::default())
            .await
            .unwrap();
        let _ = try_add(&users, &Actor::System, "root", "140421", Role::Viewer)
            .await
            .unwrap_err();
        let _ = users
            .create_unit(&Actor::System, &u("150100"), "呼和浩特", t0())
            .await
            .unwrap_err();
        let county = Actor::user("daixian.admin", u("140421"), Role::Admin);
        let _ = users.disable_user(&county, "root", t0()).await.unwrap_err();
        let after = audit_query(&db, &Actor::System, AuditQuery::default())
            .await
            .unwrap();
        assert_eq!(before, after);
        // 6 units + 2 users, nothing else.
        assert_eq!(after.entries.len(), 8);
        let root = users.user(&Actor::System, "root").await.unwrap().unwrap();
        assert!(!root.disabled);
    }

    async fn users_are_listed_by_jurisdiction(db: Db) {
        let users = hierarchy(&db).await;
        add(&users, "miner", "140421007866", Role::Viewer).await;
        add(&users, "fanshi", "140422", Role::Viewer).await;
        let names = |v: Vec<User>| v.into_iter().map(|u| u.username).collect::<Vec<_>>();
        let county = Actor::user("daixian.admin", u("140421"), Role::Admin);
        assert_eq!(
            names(users.users(&county).await.unwrap()),
            ["daixian.admin", "miner"]
        );
        assert_eq!(
            names(users.users(&Actor::System).await.unwrap()),
            ["daixian.admin", "fanshi", "miner", "root"]
        );
        assert_eq!(users.user(&county, "fanshi").await.unwrap(), None);
        assert_eq!(users.user(&county, "root").await.unwrap(), None);
        assert!(users.user(&county, "miner").await.unwrap().is_some());
    }
}

//! Demo base data: a four-level hierarchy (national → 山西省 → 2 cities → 3 counties) with
//! mines in the states the spec's scope names (停产 / 停建 / 关闭, L1), and one account per mine.
//!
//! **Demo only.** The credentials are derived from a fixed, public seed so that scripts and
//! docs can print them; never seed a platform that faces real devices with them.
//!
//! Mine 140421007866 is the one in the spec's examples (U1–U5), so the spec's five example
//! names upload as they are with that mine's account.

use eseal_protocol::MineCode;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::accounts::{Accounts, username_for};
use crate::error::{Error, Result};
use crate::store::{RegionLevel, Store};
use crate::supervision::mines::{MineConfig, MineState};
use crate::supervision::service::Supervision;
use crate::supervision::users::{NewUser, Username};
use crate::supervision::{Actor, Role, UnitCode, UnitLevel};

/// The public seed the demo credentials are derived from.
pub const DEMO_SEED: &str = "eseal-demo-v1";

/// A region of the demo hierarchy: (code, name, level, parent).
pub const DEMO_REGIONS: &[(&str, &str, RegionLevel, Option<&str>)] = &[
    ("140000", "山西省", RegionLevel::Province, None),
    ("140900", "忻州市", RegionLevel::City, Some("140000")),
    ("140924", "繁峙县", RegionLevel::County, Some("140900")),
    ("140923", "代县", RegionLevel::County, Some("140900")),
    ("140400", "长治市", RegionLevel::City, Some("140000")),
    ("140421", "长治县", RegionLevel::County, Some("140400")),
];

/// A demo mine: (code, name, state). Its county is the code's first 6 digits (R1).
pub const DEMO_MINES: &[(&str, &str, &str)] = &[
    ("140924000101", "繁峙县岩头铁矿（演示）", "停产"),
    ("140924000102", "繁峙县砂河金矿（演示）", "停建"),
    ("140924000103", "繁峙县大营铁矿（演示）", "关闭"),
    ("140923000201", "代县峨口铁矿（演示）", "停产"),
    ("140923000202", "代县上馆铁矿（演示）", "关闭"),
    (
        "140421007866",
        "长治县示例矿井（规范示例 140421007866）",
        "停产",
    ),
    ("140421007867", "长治县荫城铁矿（演示）", "停建"),
    ("140421007868", "长治县西火煤矿（演示）", "关闭"),
];

/// One seeded mine with its (demo) credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoAccount {
    /// 12-digit mine code.
    pub mine: String,
    /// Mine name.
    pub name: String,
    /// County code.
    pub county: String,
    /// 停产 / 停建 / 关闭.
    pub state: String,
    /// FTP user name.
    pub username: String,
    /// FTP password (demo only).
    pub password: String,
    /// HTTPS bearer token (demo only).
    pub token: String,
}

fn derive(what: &str, mine: &str) -> String {
    hex::encode(Sha256::digest(
        format!("{DEMO_SEED}:{what}:{mine}").as_bytes(),
    ))
}

/// The deterministic demo password of a mine.
pub fn demo_password(mine: &str) -> String {
    derive("password", mine)[..16].to_owned()
}

/// The deterministic demo token of a mine.
pub fn demo_token(mine: &str) -> String {
    derive("token", mine)
}

/// Seeds regions, mines and accounts. Idempotent: what exists is kept, and the (deterministic)
/// credentials are returned either way.
pub async fn seed_demo(store: &Store) -> Result<Vec<DemoAccount>> {
    for &(code, name, level, parent) in DEMO_REGIONS {
        store.upsert_region(code, name, level, parent).await?;
    }
    let accounts = Accounts::new(store.clone());
    let mut out = Vec::with_capacity(DEMO_MINES.len());
    for &(code, name, state) in DEMO_MINES {
        let mine = MineCode::parse(code)
            .map_err(|e| Error::Internal(format!("demo mine code {code}: {e}")))?;
        let county = mine.county_code().to_owned();
        store.upsert_mine(code, name, &county, state).await?;
        let username = username_for(&mine);
        let (password, token) = (demo_password(code), demo_token(code));
        if accounts.get(&username).await?.is_none() {
            accounts
                .create_account_with(&mine, username.clone(), password.clone(), token.clone())
                .await?;
        }
        out.push(DemoAccount {
            mine: code.to_owned(),
            name: name.to_owned(),
            county,
            state: state.to_owned(),
            username,
            password,
            token,
        });
    }
    Ok(out)
}

/// A seeded regulator user with its (demo) password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoUser {
    /// Login name: `<role>.<unit code>` (`inspector.140421`, `admin.000000`).
    pub username: String,
    /// The unit.
    pub unit: String,
    /// `viewer`, `inspector`, `supervisor` or `admin`.
    pub role: String,
    /// Password (demo only).
    pub password: String,
}

/// The deterministic demo password of a regulator user.
pub fn demo_user_password(username: &str) -> String {
    derive("user-password", username)[..16].to_owned()
}

/// The roles seeded in each unit of the demo hierarchy: every level an admin and a supervisor
/// (who closes at county level and supervises above it, P4), counties an inspector and a viewer.
fn demo_roles(level: UnitLevel) -> &'static [Role] {
    match level {
        UnitLevel::County => &[Role::Inspector, Role::Supervisor, Role::Viewer, Role::Admin],
        _ => &[Role::Supervisor, Role::Admin],
    }
}

fn role_word(role: Role) -> &'static str {
    match role {
        Role::Viewer => "viewer",
        Role::Inspector => "inspector",
        Role::Supervisor => "supervisor",
        Role::Admin => "admin",
    }
}

/// Seeds the regulators' side (issue 6): the units of [`DEMO_REGIONS`] under national, their
/// users (see [`demo_roles`]), and each demo mine's configuration (its state, no numbers filed:
/// nobody may go down, the county defaults apply). Idempotent; the credentials are returned
/// either way.
pub async fn seed_supervision(sup: &Supervision) -> Result<Vec<DemoUser>> {
    let now = sup.now();
    let users = sup.users();
    let system = Actor::System;
    let mut units = vec![(
        UnitCode::national(),
        "国家矿山安全监察局（演示）".to_owned(),
    )];
    for &(code, name, _, _) in DEMO_REGIONS {
        let unit = UnitCode::parse(code).map_err(|e| Error::Internal(e.to_string()))?;
        units.push((unit, name.to_owned()));
    }
    let mut out = Vec::new();
    for (unit, name) in &units {
        if users.unit(unit).await?.is_none() {
            users.create_unit(&system, unit, name, now).await?;
        }
        for &role in demo_roles(unit.level()) {
            let username = format!("{}.{}", role_word(role), unit.as_str());
            let password = demo_user_password(&username);
            if users.user(&system, &username).await?.is_none() {
                let new = NewUser {
                    username: Username::parse(&username)?,
                    display_name: format!("{name}{}（演示）", role.zh()),
                    unit: unit.clone(),
                    role,
                    password: password.clone(),
                };
                users.create_user(&system, new, now).await?;
            }
            out.push(DemoUser {
                username,
                unit: unit.as_str().to_owned(),
                role: role_word(role).to_owned(),
                password,
            });
        }
    }
    for &(code, name, state) in DEMO_MINES {
        let mine = MineCode::parse(code)
            .map_err(|e| Error::Internal(format!("demo mine code {code}: {e}")))?;
        let state = MineState::parse(state)
            .ok_or_else(|| Error::Internal(format!("demo mine state {state}")))?;
        let filed = sup
            .db()
            .query_opt(
                "SELECT mine FROM mine_configs WHERE mine = $1",
                vec![code.into()],
            )
            .await?;
        if filed.is_some() {
            // Kept as an administrator may have changed it since.
            continue;
        }
        sup.desk()
            .file_mine(&system, MineConfig::new(mine, name, state), now)
            .await
            .map_err(|e| Error::Internal(format!("demo mine {code}: {e}")))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::db::Db;
    use crate::db::testing::on_both_backends;

    on_both_backends!(seeds_idempotently_and_credentials_work);

    async fn seeds_idempotently_and_credentials_work(db: Db) {
        let store = Store::from_db(db);
        let a = seed_demo(&store).await.unwrap();
        let b = seed_demo(&store).await.unwrap();
        assert_eq!(a, b);
        assert!(
            a.iter()
                .any(|d| d.mine == "140421007866" && d.county == "140421")
        );
        let accounts = Accounts::new(store.clone());
        let d = &a[0];
        let ok = accounts
            .verify_password(&d.username, &d.password)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ok.mine.as_str(), d.mine);
        assert!(
            accounts
                .verify_password(&d.username, "wrong")
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            accounts
                .verify_token(&d.token)
                .await
                .unwrap()
                .unwrap()
                .username,
            d.username
        );
        assert!(accounts.verify_token("nope").await.unwrap().is_none());
        // A second account for a mine, and one for an unknown mine, are refused by name.
        let mine = MineCode::parse(&d.mine).unwrap();
        let e = accounts
            .create_account(&mine)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("already has the account"), "{e}");
        let unknown = MineCode::parse("140421999999").unwrap();
        let e = accounts
            .create_account(&unknown)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("is not registered"), "{e}");
        let counties = store
            .read(|c| {
                c.query_one(
                    "SELECT COUNT(*) AS n FROM regions WHERE level = 'county'",
                    &[],
                )?
                .i64("n")
            })
            .await
            .unwrap();
        assert_eq!(counties, 3);
    }
}

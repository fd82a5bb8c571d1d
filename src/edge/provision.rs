//! The reference platform made ready for a scenario's mine (issue 15, item 10): the mine of the
//! scenario's `[mine]` table (code, name, region, state) registered with a fresh account, and
//! its county's regulators (admin, inspector, supervisor; the city's supervisor) with fresh
//! passwords, so the judge can act as the county for any mine a lab writes — not only the
//! demo mines.
//!
//! Key design decision: **a certification platform holds nothing but the scenario's mine.** It is
//! not seeded with the demo data (whose credentials derive from a public seed): every password
//! and token here comes from the operating system's random source and lives only as long as the
//! run. The region hierarchy (province → city → county, the county being the mine code's first
//! six digits, R1) is created as far as it is missing, named from the scenario's `region` text
//! where it splits into three parts (`山西省忻州市代县`), else by code.

use anyhow::{Context, Result, bail};
use eseal_platform::Platform;
use eseal_platform::accounts::username_for;
use eseal_platform::store::RegionLevel;
use eseal_platform::supervision::mines::{MineConfig, MineState};
use eseal_platform::supervision::users::{NewUser, Username};
use eseal_platform::supervision::{Actor, Role, UnitCode, UnitLevel};
use eseal_simulator::scenario::Mine;
use rand::TryRngCore;

use crate::judge::alarm_closure::Regulators;

/// What a run's device and judge need of the provisioned mine.
#[derive(Debug, Clone)]
pub struct Provisioned {
    /// FTP user name, password and HTTPS bearer token of the mine's account (U7).
    pub username: String,
    pub password: String,
    pub token: String,
    /// The county's (and its city's) regulators the judge acts as (P4).
    pub regulators: Regulators,
}

/// `n` random bytes from the operating system, as lowercase hex.
fn os_random_hex(n: usize) -> Result<String> {
    let mut bytes = vec![0u8; n];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .context("the operating system's random source")?;
    Ok(hex::encode(bytes))
}

/// The parts of a region text: `山西省忻州市代县` → `[山西省, 忻州市, 代县]`. A part ends with one
/// of 省 市 县 区 旗 盟 (so 自治区 and 地区 do too) or with 自治州 (a 州 alone is in names like
/// 忻州); `None` unless there are exactly three.
pub fn region_parts(region: &str) -> Option<[String; 3]> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    for c in region.trim().chars() {
        cur.push(c);
        if matches!(c, '省' | '市' | '县' | '区' | '旗' | '盟') || cur.ends_with("自治州")
        {
            parts.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        parts.push(cur);
    }
    <[String; 3]>::try_from(parts).ok()
}

/// Registers the scenario's mine with a fresh account and its county's regulators with fresh
/// passwords. Run once on a new platform; what already exists of the region hierarchy is kept.
pub(crate) async fn provision(platform: &Platform, mine: &Mine) -> Result<Provisioned> {
    let code = mine.code.as_str().to_owned();
    let county_code = mine.code.county_code().to_owned();
    let county = UnitCode::parse(&county_code)
        .ok()
        .filter(|u| u.level() == UnitLevel::County)
        .with_context(|| {
            format!("mine {code}: its first six digits {county_code} are not a county code (R1)")
        })?;
    // national, province, city, county
    let mut units = county.ancestry();
    units.reverse();
    let names = region_parts(&mine.region);
    let name_of = |unit: &UnitCode| -> String {
        match (unit.level(), &names) {
            (UnitLevel::National, _) => "国家矿山安全监察局".to_owned(),
            (UnitLevel::Province, Some(n)) => n[0].clone(),
            (UnitLevel::City, Some(n)) => n[1].clone(),
            (UnitLevel::County, Some(n)) => n[2].clone(),
            (level, _) => format!("{}级单位 {unit}", level.zh()),
        }
    };
    let store = &platform.store;
    for unit in units.iter().skip(1) {
        let level = match unit.level() {
            UnitLevel::Province => RegionLevel::Province,
            UnitLevel::City => RegionLevel::City,
            _ => RegionLevel::County,
        };
        let parent = unit.parent().filter(|p| p.level() != UnitLevel::National);
        let known = store.read({
            let code = unit.as_str().to_owned();
            move |c| {
                Ok(c.query_opt(
                    "SELECT code FROM regions WHERE code = $1",
                    &[code.as_str().into()],
                )?
                .is_some())
            }
        });
        if !known.await? {
            store
                .upsert_region(
                    unit.as_str(),
                    &name_of(unit),
                    level,
                    parent.as_ref().map(UnitCode::as_str),
                )
                .await?;
        }
    }
    let state = MineState::parse(mine.state.label())
        .with_context(|| format!("mine {code}: state {}", mine.state.label()))?;
    store
        .upsert_mine(&code, &mine.name, &county_code, mine.state.label())
        .await?;
    let username = username_for(&mine.code);
    if platform.accounts.get(&username).await?.is_some() {
        bail!(
            "mine {code} has an account on this platform already: provisioning is for a new platform"
        );
    }
    let (password, token) = (os_random_hex(16)?, os_random_hex(32)?);
    platform
        .accounts
        .create_account_with(
            &mine.code,
            username.clone(),
            password.clone(),
            token.clone(),
        )
        .await
        .with_context(|| format!("issuing the account of mine {code}"))?;

    let sup = &platform.supervision;
    let (users, now, system) = (sup.users(), sup.now(), Actor::System);
    for unit in &units {
        if users.unit(unit).await?.is_none() {
            users
                .create_unit(&system, unit, &name_of(unit), now)
                .await
                .with_context(|| format!("creating unit {unit}"))?;
        }
    }
    let city = county.parent().context("a county has a city")?;
    let user = async |role: Role, word: &str, unit: &UnitCode| -> Result<(String, String)> {
        let name = format!("{word}.{unit}");
        let password = os_random_hex(16)?;
        let new = NewUser {
            username: Username::parse(&name)?,
            display_name: format!("{}{}（认证）", name_of(unit), role.zh()),
            unit: unit.clone(),
            role,
            password: password.clone(),
        };
        users
            .create_user(&system, new, now)
            .await
            .with_context(|| format!("creating user {name}"))?;
        Ok((name, password))
    };
    let regulators = Regulators {
        county_admin: user(Role::Admin, "admin", &county).await?,
        county_inspector: user(Role::Inspector, "inspector", &county).await?,
        county_supervisor: user(Role::Supervisor, "supervisor", &county).await?,
        city_supervisor: user(Role::Supervisor, "supervisor", &city).await?,
    };
    sup.desk()
        .file_mine(&system, MineConfig::new(mine.code, &mine.name, state), now)
        .await
        .map_err(|e| anyhow::anyhow!("filing mine {code}: {e}"))?;
    Ok(Provisioned {
        username,
        password,
        token,
        regulators,
    })
}

#[cfg(test)]
mod tests {
    use super::region_parts;

    #[test]
    fn region_texts_split_into_province_city_county() {
        let p = |s: &str| region_parts(s).map(|a| a.join("|"));
        assert_eq!(p("山西省忻州市代县").as_deref(), Some("山西省|忻州市|代县"));
        assert_eq!(
            p("内蒙古自治区鄂尔多斯市准格尔旗").as_deref(),
            Some("内蒙古自治区|鄂尔多斯市|准格尔旗")
        );
        assert_eq!(
            p("吉林省延边朝鲜族自治州延吉市").as_deref(),
            Some("吉林省|延边朝鲜族自治州|延吉市")
        );
        assert_eq!(p("Shanxi"), None);
        assert_eq!(p("山西省代县"), None);
    }
}

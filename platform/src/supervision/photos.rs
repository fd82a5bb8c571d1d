//! Handling photos (P5): the pictures a county user takes at the on-site inspection, uploaded
//! before the handling step that names them by SHA-256 (`Action::Handle::photos`).
//!
//! Key design decision: **a photo is evidence, kept like the mines' evidence and checked like
//! it.** The bytes must be a complete JPEG that decodes ([`crate::content::check_jpeg`], the
//! check U1, U2 and U4 pictures pass), and they are written into the same content-addressed,
//! fsynced evidence tree, through [`Ingest::keep_referenced`], so that the start-up sweep keeps
//! them and a racing upload of the same bytes cannot remove them. A photo belongs to the
//! uploader's unit: a handling may name only photos of units its actor covers, and a reader sees
//! only photos of units it covers (the county's photos are seen by the city above it).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::audit::{self, Change};
use super::{Actor, UnitCode};
use crate::content::{ContentRefusal, check_jpeg};
use crate::db::Row;
use crate::error::{Error, Result};
use crate::evidence::sha256_hex;
use crate::ingest::Ingest;

/// A stored handling photo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HandlingPhoto {
    /// SHA-256 of the JPEG, lower-case hex: the id a handling names in `photos`.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub sha256: String,
    /// Size in bytes.
    pub size: i64,
    /// Pixels.
    pub width: Option<i64>,
    /// Pixels.
    pub height: Option<i64>,
    /// The uploader's unit.
    pub unit: UnitCode,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// When (first upload by this unit).
    pub uploaded_at: DateTime<Utc>,
}

/// Why a photo was not kept.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    /// The bytes are not a complete JPEG.
    #[error("{}", .0.reason)]
    Content(ContentRefusal),
    /// Only users (not the platform) upload photos.
    #[error("handling photos are uploaded by users")]
    NotAUser,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] Error),
}

fn photo_from(r: &Row) -> Result<HandlingPhoto> {
    Ok(HandlingPhoto {
        sha256: r.text("sha256")?,
        size: r.i64("size")?,
        width: r.get("width")?,
        height: r.get("height")?,
        unit: r.get("unit")?,
        uploaded_by: r.text("uploaded_by")?,
        uploaded_at: r.time("uploaded_at")?,
    })
}

const COLUMNS: &str = "sha256, unit, size, width, height, uploaded_by, uploaded_at";

/// Checks `bytes` as a JPEG and keeps them as a photo of `actor`'s unit (idempotent: the same
/// bytes again return the photo as first stored). Audited.
pub async fn store(
    ingest: &Ingest,
    actor: &Actor,
    bytes: Vec<u8>,
    now: DateTime<Utc>,
) -> std::result::Result<HandlingPhoto, PhotoError> {
    let Actor::User { unit, .. } = actor else {
        return Err(PhotoError::NotAUser);
    };
    let (ingest, actor, unit) = (ingest.clone(), actor.clone(), unit.clone());
    tokio::task::spawn_blocking(move || {
        let info = check_jpeg(&bytes).map_err(PhotoError::Content)?;
        let sha = sha256_hex(&bytes);
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        let photo = ingest.keep_referenced(&sha, &bytes, |tx| {
            let inserted = tx.query_opt(
                "INSERT INTO handling_photos (sha256, unit, size, width, height, uploaded_by, uploaded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (sha256, unit) DO NOTHING RETURNING sha256",
                &[
                    sha.as_str().into(),
                    unit.as_str().into(),
                    size.into(),
                    info.width.map(i64::from).into(),
                    info.height.map(i64::from).into(),
                    actor.name().into(),
                    now.into(),
                ],
            )?;
            if inserted.is_some() {
                audit::record(tx, &actor, now, Change {
                    action: "handling_photo.upload",
                    object_kind: "handling_photo",
                    object_id: &sha,
                    unit: &unit,
                    before: None,
                    after: Some(json!({ "sha256": sha, "size": size, "width": info.width, "height": info.height })),
                })?;
            }
            let row = tx.query_one(
                &format!("SELECT {COLUMNS} FROM handling_photos WHERE sha256 = $1 AND unit = $2"),
                &[sha.as_str().into(), unit.as_str().into()],
            )?;
            photo_from(&row)
        })?;
        Ok(photo)
    })
    .await
    .map_err(|e| PhotoError::Store(e.into()))?
}

/// The photo with this digest that `reader` may see (a unit it covers uploaded it), if any.
pub async fn visible(
    ingest: &Ingest,
    reader: &Actor,
    sha256: &str,
) -> Result<Option<HandlingPhoto>> {
    let rows = ingest
        .store()
        .db()
        .query(
            format!(
                "SELECT {COLUMNS} FROM handling_photos WHERE sha256 = $1 ORDER BY uploaded_at, unit"
            ),
            vec![sha256.into()],
        )
        .await?;
    for r in &rows {
        let p = photo_from(r)?;
        let seen = match reader {
            Actor::User { unit, .. } => unit.covers(&p.unit),
            Actor::System => true,
        };
        if seen {
            return Ok(Some(p));
        }
    }
    Ok(None)
}

/// The index of the first of `photos` that `actor` may not name (no photo with that digest was
/// uploaded by a unit the actor covers), if any.
pub async fn first_unknown(
    ingest: &Ingest,
    actor: &Actor,
    photos: &[String],
) -> Result<Option<usize>> {
    for (i, sha) in photos.iter().enumerate() {
        if visible(ingest, actor, sha).await?.is_none() {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

//! The platform's HTTPS API: U5 lock-event uploads, U6 stream registration, and the read side
//! (events, violations, evidence, streams), plus health, metrics and the OpenAPI document.
//!
//! Key design decision: **the OpenAPI document is generated from the handlers** (`utoipa`
//! attributes collected by `utoipa-axum`'s router), so a route cannot exist without being
//! documented. The spec leaves the U5 JSON fields and the whole U6 API open (U5, U6, U8); this
//! document *is* the reference profile for them. A copy is committed at
//! `platform/openapi.json` and a test fails when the two differ.
//!
//! Uploads take the same path as FTP ones: after the HTTP-specific checks (token, multipart
//! parts, JSON, name/JSON consistency) the bytes go to [`crate::ingest::Ingest::accept`]. Every
//! refusal, including those made here before the ingest, is recorded as a violation.

pub mod auth;
pub mod error;
mod lock_events;
pub mod metrics;
mod read;
mod record;
pub mod schema;
mod streams;
mod supervision;
pub mod tls;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::accounts::Accounts;
use crate::config::PlatformConfig;
use crate::error::{Error, Result};
use crate::evidence::EvidenceStore;
use crate::ingest::Ingest;
use crate::store::Store;
use crate::supervision::service::Supervision;
pub use error::ApiError;
pub use metrics::HttpMetrics;

/// Version prefix of every API route.
pub const API_PREFIX: &str = "/api/v1";

/// Slack above the largest upload for the multipart envelope and the JSON part.
const MULTIPART_SLACK: usize = 1 << 20;

/// Everything a handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    store: Store,
    accounts: Accounts,
    ingest: Ingest,
    evidence: EvidenceStore,
    http_metrics: Arc<HttpMetrics>,
    admin_token_sha256: Option<[u8; 32]>,
    max_upload_size: u64,
    /// The regulators' side; without it their routes answer 503.
    supervision: Option<Supervision>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store)
            .field("admin_token", &self.admin_token_sha256.map(|_| "<set>"))
            .field("max_upload_size", &self.max_upload_size)
            .field("supervision", &self.supervision.is_some())
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over the platform's ingest (and through it its store, evidence files, maximum
    /// upload size and the metrics registry `/metrics` renders). No administrator token (mine
    /// tokens only) until set with [`AppState::with_admin_token`].
    pub fn new(ingest: Ingest) -> AppState {
        let store = ingest.store().clone();
        AppState {
            accounts: Accounts::new(store.clone()),
            evidence: ingest.evidence().clone(),
            max_upload_size: ingest.max_upload_size(),
            store,
            ingest,
            http_metrics: Arc::new(HttpMetrics::new()),
            admin_token_sha256: None,
            supervision: None,
        }
    }

    /// Serves the regulators' routes (`/api/v1/session`, `/api/v1/alarms` …) over `sup`, which
    /// must run on the same database as the ingest. Without it they answer 503.
    pub fn with_supervision(mut self, sup: Supervision) -> AppState {
        self.supervision = Some(sup);
        self
    }

    /// The token that reads every mine's data.
    pub fn with_admin_token(mut self, token: &str) -> AppState {
        self.admin_token_sha256 = Some(auth::token_digest(token));
        self
    }

    /// The HTTP request counters (uploads are counted by the ingest: [`Ingest::metrics`]).
    pub fn http_metrics(&self) -> &HttpMetrics {
        &self.http_metrics
    }

    /// The exposition text `/metrics` serves: the ingest's registry (every channel), then the
    /// HTTP request counters.
    pub fn render_metrics(&self) -> String {
        let mut out = self.ingest.metrics().render();
        self.http_metrics.render_into(&mut out);
        out
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "eseal reference platform API",
        description = "HTTPS API of the eseal reference regulators' platform (矿山电子封条 智能监管平台).\n\n\
            The spec (attachment 3 §4.2) requires U5 lock events to be sent by HTTPS POST with UTF-8 JSON \
            but gives no JSON fields, and requires a platform API for U6 live-stream addresses without \
            specifying it (U5, U6, U8). This document is the reference profile for both; clause IDs refer \
            to REQUIREMENTS.md.\n\n\
            Authentication: `Authorization: Bearer <token>`. A mine's token (issued with its account, U7) \
            uploads for that mine and reads only that mine; the administrator token reads every mine. \
            The regulators' routes (tag `supervision`, P2–P5, P8–P10, P12, P14, L1–L3) take a session \
            token from `POST /api/v1/session` instead, and see the jurisdiction of the user's unit only: \
            a unit or mine outside it is a 403 naming it (R1).\n\n\
            Errors: every non-2xx response is `{\"error\": {\"code\", \"message\", \"field\", \"clause\", \
            \"violation_id\"}}`; `field` names the offending JSON member, multipart part, query parameter \
            or file-name field. Every refused upload or registration is recorded as a violation.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "uploads", description = "Mine-side uploads: U5 lock events, U6 stream addresses"),
        (name = "read", description = "Events, violations, evidence and streams, scoped by token"),
        (name = "ops", description = "Health, metrics and this document"),
        (name = "supervision", description = "The regulators' platform: sessions, alarms and their handling, \
            the live feed, mine configuration and lifecycle, statistics and reports, network status, units, \
            users and the audit log (session token)"),
    ),
    components(schemas(error::ErrorBody, schema::FindingDoc))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A mine's token (U7) or the administrator token; on the supervision routes, \
                         a regulator's session token (POST /api/v1/session)",
                    ))
                    .build(),
            ),
        );
    }
}

fn api_router(max_upload_size: u64) -> OpenApiRouter<AppState> {
    let body_limit = usize::try_from(max_upload_size)
        .unwrap_or(usize::MAX)
        .saturating_add(MULTIPART_SLACK);
    let photo_limit = usize::try_from(max_upload_size).unwrap_or(usize::MAX);
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(
            routes!(lock_events::post_lock_event)
                .map(|r| r.layer(axum::extract::DefaultBodyLimit::max(body_limit))),
        )
        .routes(routes!(streams::put_stream, streams::get_stream))
        .routes(routes!(streams::list_streams))
        .routes(routes!(read::list_events))
        .routes(routes!(read::get_event))
        .routes(routes!(read::list_violations))
        .routes(routes!(read::get_violation))
        .routes(routes!(read::get_evidence))
        .routes(routes!(
            supervision::session::post_session,
            supervision::session::delete_session
        ))
        .routes(routes!(supervision::session::get_me))
        .routes(routes!(supervision::alarms::list_alarms))
        .routes(routes!(supervision::alarms::get_alarm))
        .routes(routes!(supervision::alarms::post_action))
        .routes(routes!(supervision::alarms::get_alarm_evidence))
        .routes(routes!(supervision::alarms::get_alarm_evidence_file))
        .routes(
            routes!(supervision::alarms::post_handling_photo)
                .map(|r| r.layer(axum::extract::DefaultBodyLimit::max(photo_limit))),
        )
        .routes(routes!(supervision::alarms::get_handling_photo))
        .routes(routes!(supervision::alarms::get_feed))
        .routes(routes!(
            supervision::mines::get_mine_config,
            supervision::mines::put_mine_config
        ))
        .routes(routes!(supervision::mines::post_import))
        .routes(routes!(
            supervision::mines::get_county_defaults,
            supervision::mines::put_county_defaults
        ))
        .routes(routes!(supervision::mines::get_lifecycle))
        .routes(routes!(supervision::mines::post_scope_change))
        .routes(routes!(supervision::mines::post_seal_removal))
        .routes(routes!(supervision::mines::post_unfittable))
        .routes(routes!(supervision::mines::post_patrol))
        .routes(routes!(supervision::mines::get_overdue_patrols))
        .routes(routes!(supervision::reports::get_alarm_stats))
        .routes(routes!(supervision::reports::get_subordinate_stats))
        .routes(routes!(supervision::reports::get_kind_stats))
        .routes(routes!(supervision::reports::get_daily))
        .routes(routes!(supervision::reports::get_report))
        .routes(routes!(supervision::network::get_network_status))
        .routes(routes!(supervision::network::get_stability))
        .routes(routes!(
            supervision::users::list_units,
            supervision::users::post_unit
        ))
        .routes(routes!(
            supervision::users::list_users,
            supervision::users::post_user
        ))
        .routes(routes!(supervision::users::get_audit))
        .routes(routes!(healthz))
        .routes(routes!(metrics_text))
        .routes(routes!(openapi_json))
}

/// The OpenAPI 3.1 document of [`router`], as served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = api_router(crate::config::DEFAULT_MAX_UPLOAD)
        .split_for_parts()
        .1;
    lock_events::document_multipart_encoding(&mut doc);
    doc
}

/// The OpenAPI document as pretty JSON with a trailing newline (the committed form).
pub fn openapi_json_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| match openapi().to_pretty_json() {
        Ok(t) => t + "\n",
        Err(e) => {
            tracing::error!(error = %e, "could not serialize the OpenAPI document");
            String::from("{}\n")
        }
    })
}

/// The API as an axum router (no TLS: [`serve_https`] adds it; tests call it in process).
pub fn router(state: AppState) -> axum::Router {
    let (router, _) = api_router(state.max_upload_size).split_for_parts();
    router
        .fallback(fallback)
        .layer(axum::middleware::from_fn_with_state(state.clone(), track))
        .with_state(state)
}

async fn fallback() -> ApiError {
    ApiError::not_found("no such route; see /openapi.json")
}

/// Counts every answered request by method, matched route template and status.
async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let resp = next.run(req).await;
    state
        .http_metrics
        .http_request(&method, &route, resp.status().as_u16());
    resp
}

/// Health check result.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    #[schema(example = "ok")]
    pub status: &'static str,
    /// `ok`, or `error` when the database did not answer a trivial query.
    #[schema(example = "ok")]
    pub db: &'static str,
}

/// Liveness and database health. No token needed.
#[utoipa::path(
    get, path = "/healthz", tag = "ops",
    responses(
        (status = 200, description = "Healthy", body = Health),
        (status = 503, description = "The database does not answer", body = Health),
    )
)]
async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    match state.store.read(crate::query::ping).await {
        Ok(()) => (
            StatusCode::OK,
            Json(Health {
                status: "ok",
                db: "ok",
            }),
        ),
        Err(e) => {
            tracing::error!(error = %e, "health check: database did not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "unavailable",
                    db: "error",
                }),
            )
        }
    }
}

/// Prometheus text exposition: uploads accepted, duplicate and refused by channel (FTP and
/// HTTPS) and clause, violations by channel and kind, the ingest latency histogram by channel,
/// HTTP requests by method, route and status. No token needed.
#[utoipa::path(
    get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Prometheus text format 0.0.4", body = String,
        content_type = "text/plain; version=0.0.4"))
)]
async fn metrics_text(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.render_metrics(),
    )
}

/// This document (OpenAPI 3.1). No token needed.
#[utoipa::path(
    get, path = "/openapi.json", tag = "ops",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json"))
)]
async fn openapi_json() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        openapi_json_text(),
    )
}

/// A running HTTPS server.
#[derive(Debug)]
pub struct HttpsHandle {
    /// The address actually bound (the real port when the configuration asked for port 0).
    pub addr: SocketAddr,
    /// The certificate served, PEM (clients that pin it load this as a root).
    pub cert_pem: Vec<u8>,
    /// SHA-256 of the certificate's DER, lower-case hex.
    pub fingerprint_sha256: String,
    handle: axum_server::Handle<SocketAddr>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl HttpsHandle {
    /// Stops accepting connections and lets open requests finish (up to `grace`).
    pub fn shutdown(&self, grace: Duration) {
        self.handle.graceful_shutdown(Some(grace));
    }

    /// Waits for the server to stop (after [`HttpsHandle::shutdown`] or a failure).
    pub async fn stopped(self) -> Result<()> {
        match self.task.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Error::Server(format!("HTTPS server failed: {e}"))),
            Err(e) => Err(e.into()),
        }
    }
}

/// Binds `config.https_addr` (port 0 allowed), loads or makes the certificate (see [`tls`]) and
/// serves [`router`] over TLS until [`HttpsHandle::shutdown`].
pub async fn serve_https(config: &PlatformConfig, state: AppState) -> Result<HttpsHandle> {
    tls::install_crypto_provider();
    let cfg = config.clone();
    let material = tokio::task::spawn_blocking(move || tls::load_or_generate(&cfg)).await??;
    let rustls_config = tls::server_config(&material)?;
    let listener = std::net::TcpListener::bind(config.https_addr)
        .map_err(|e| Error::io(format!("could not bind HTTPS to {}", config.https_addr), e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::io("could not read the HTTPS listener's address", e))?;
    let server = axum_server::from_tcp_rustls(
        listener,
        axum_server::tls_rustls::RustlsConfig::from_config(rustls_config),
    )
    .map_err(|e| Error::io(format!("could not serve HTTPS on {addr}"), e))?;
    let handle = axum_server::Handle::new();
    let app = router(state);
    let task = tokio::spawn(
        server
            .handle(handle.clone())
            .serve(app.into_make_service_with_connect_info::<SocketAddr>()),
    );
    tracing::info!(
        %addr,
        cert = %material.cert_path.display(),
        self_signed = material.self_signed,
        sha256 = %material.fingerprint_sha256,
        "HTTPS API listening"
    );
    Ok(HttpsHandle {
        addr,
        cert_pem: material.cert_pem.clone(),
        fingerprint_sha256: material.fingerprint_sha256.clone(),
        handle,
        task,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed `platform/openapi.json` is the document the router serves.
    /// Regenerate with `ESEAL_UPDATE_OPENAPI=1 cargo test -p eseal-platform --lib openapi`.
    #[test]
    fn openapi_document_is_committed() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
        let current = openapi_json_text();
        if std::env::var_os("ESEAL_UPDATE_OPENAPI").is_some() {
            std::fs::write(&path, current).expect("write openapi.json");
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == current,
            "platform/openapi.json differs from the document the router serves; regenerate it with\n  \
             ESEAL_UPDATE_OPENAPI=1 cargo test -p eseal-platform --lib openapi\nand commit it"
        );
    }

    #[test]
    fn openapi_documents_every_route_and_the_bodies() {
        let doc: serde_json::Value = serde_json::from_str(openapi_json_text()).expect("json");
        assert_eq!(doc["openapi"], "3.1.0");
        for (path, method) in [
            ("/api/v1/lock-events", "post"),
            ("/api/v1/mines/{mine}/cameras/{camera}/stream", "put"),
            ("/api/v1/mines/{mine}/cameras/{camera}/stream", "get"),
            ("/api/v1/streams", "get"),
            ("/api/v1/events", "get"),
            ("/api/v1/events/{id}", "get"),
            ("/api/v1/violations", "get"),
            ("/api/v1/violations/{id}", "get"),
            ("/api/v1/evidence/{sha256}", "get"),
            ("/api/v1/session", "post"),
            ("/api/v1/session", "delete"),
            ("/api/v1/me", "get"),
            ("/api/v1/alarms", "get"),
            ("/api/v1/alarms/{id}", "get"),
            ("/api/v1/alarms/{id}/actions", "post"),
            ("/api/v1/alarms/{id}/evidence", "get"),
            ("/api/v1/alarms/{id}/evidence/{sha256}", "get"),
            ("/api/v1/handling-photos", "post"),
            ("/api/v1/handling-photos/{sha256}", "get"),
            ("/api/v1/feed", "get"),
            ("/api/v1/mines/{mine}/config", "get"),
            ("/api/v1/mines/{mine}/config", "put"),
            ("/api/v1/mines/import", "post"),
            ("/api/v1/counties/{county}/defaults", "get"),
            ("/api/v1/counties/{county}/defaults", "put"),
            ("/api/v1/mines/{mine}/lifecycle", "get"),
            ("/api/v1/mines/{mine}/lifecycle/scope-changes", "post"),
            ("/api/v1/mines/{mine}/lifecycle/seal-removals", "post"),
            ("/api/v1/mines/{mine}/lifecycle/unfittable", "post"),
            ("/api/v1/mines/{mine}/lifecycle/patrols", "post"),
            ("/api/v1/lifecycle/overdue-patrols", "get"),
            ("/api/v1/stats/alarms", "get"),
            ("/api/v1/stats/subordinates", "get"),
            ("/api/v1/stats/kinds", "get"),
            ("/api/v1/stats/daily", "get"),
            ("/api/v1/reports/{kind}", "get"),
            ("/api/v1/network-status", "get"),
            ("/api/v1/stability", "get"),
            ("/api/v1/units", "get"),
            ("/api/v1/units", "post"),
            ("/api/v1/users", "get"),
            ("/api/v1/users", "post"),
            ("/api/v1/audit", "get"),
            ("/healthz", "get"),
            ("/metrics", "get"),
            ("/openapi.json", "get"),
        ] {
            assert!(
                doc["paths"][path][method].is_object(),
                "{method} {path} is not documented"
            );
        }
        let schemas = &doc["components"]["schemas"];
        for s in [
            "LockEventMetadata",
            "StreamRegistration",
            "ErrorBody",
            "EventRow",
            "Finding",
            "Login",
            "Actor",
            "AlarmView",
            "Action",
            "Step",
            "Notice",
            "MineConfig",
            "Configuration",
            "ImportReport",
            "MineLifecycle",
            "AlarmStats",
            "Report",
            "NetworkStatus",
            "Stability",
            "User",
            "Unit",
            "AuditPage",
        ] {
            assert!(schemas[s].is_object(), "schema {s} missing");
        }
        let enc = &doc["paths"]["/api/v1/lock-events"]["post"]["requestBody"]["content"]["multipart/form-data"]
            ["encoding"];
        assert_eq!(enc["video"]["contentType"], "video/mp4");
        assert_eq!(enc["metadata"]["contentType"], "application/json");
        // The regulators' routes take a session token, are tagged, and say what they refuse.
        for (path, method) in [
            ("/api/v1/alarms/{id}/actions", "post"),
            ("/api/v1/feed", "get"),
        ] {
            let op = &doc["paths"][path][method];
            assert_eq!(op["tags"][0], "supervision", "{method} {path}");
            assert!(op["security"].is_array(), "{method} {path} has no security");
        }
        let action = &doc["paths"]["/api/v1/alarms/{id}/actions"]["post"]["responses"];
        for status in ["200", "403", "404", "409", "422"] {
            assert!(action[status].is_object(), "actions: {status} undocumented");
        }
        assert!(
            doc["paths"]["/api/v1/feed"]["get"]["responses"]["200"]["content"]["text/event-stream"]
                .is_object(),
            "the feed is documented as text/event-stream"
        );
        let report = &doc["paths"]["/api/v1/reports/{kind}"]["get"]["responses"]["200"]["content"];
        for media in [
            "application/json",
            "text/csv",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ] {
            assert!(report[media].is_object(), "report as {media} undocumented");
        }
    }
}

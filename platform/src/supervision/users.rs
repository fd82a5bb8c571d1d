//! (being written)

/// Why a login or a session token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Unknown user name or wrong password (which of the two is not told).
    #[error("wrong user name or password")]
    BadCredentials,
}

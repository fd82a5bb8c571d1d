//! The uploader: sends spooled items to the platform in order, FTP (U1–U4) and HTTPS (U5, U6).

//! FTP front (in progress).

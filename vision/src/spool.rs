//! The durable spool: every piece of evidence is written here before any upload is tried.

//! Script.

//! Mappings: the file format ([`file`]), where files come from ([`load`]).

pub mod file;
pub mod load;

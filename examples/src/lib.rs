//! Examples live beside this crate; see `embedded.rs`.

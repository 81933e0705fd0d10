//! The test host's pieces, shared by the `kwhost` binary and its tests.

pub mod admission;
pub mod annotate;
pub mod bench;
pub mod callbacks;
pub mod engine;
pub mod manifest;
pub mod request;

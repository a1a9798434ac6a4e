//! Every compile-time diagnostic of the macros, one mistake per file: `tests/ui/` for
//! those that do not depend on the `tokio` feature, `tests/ui-tokio/` for those of the
//! time options (which need it), `tests/ui-stream/` for stream chains (the `stream`
//! feature), `tests/ui-no-tokio/` for the errors of an option without its feature (run
//! by `cargo test --test compiletest`, without features).

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    #[cfg(feature = "tokio")]
    cases.compile_fail("tests/ui-tokio/*.rs");
    #[cfg(feature = "stream")]
    cases.compile_fail("tests/ui-stream/*.rs");
    #[cfg(not(feature = "tokio"))]
    cases.compile_fail("tests/ui-no-tokio/*.rs");
}

//! Every compile-time diagnostic of the macros, one mistake per file: `tests/ui/` for
//! those that do not depend on the `tokio` feature, `tests/ui-tokio/` for those of the
//! time options (which need it), `tests/ui-no-tokio/` for the error of a time option
//! without it (run by `cargo test --test compiletest`, without features).

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    #[cfg(feature = "tokio")]
    cases.compile_fail("tests/ui-tokio/*.rs");
    #[cfg(not(feature = "tokio"))]
    cases.compile_fail("tests/ui-no-tokio/*.rs");
}

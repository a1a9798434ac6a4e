//! Golden tests of the expansion: each `snapshots/NAME.input` (a `#[fallback(..)]`
//! function or a `fallback_chain!(..)` call) is expanded and compared with
//! `snapshots/NAME.expanded`. They pin the code the macros write, so that a refactor
//! that was meant to change nothing changes nothing: the plain engine's output is the
//! one that was measured.
//!
//! Each input is expanded twice: with the `tracing` feature (`NAME.expanded`) and
//! without it; where the two differ (a plain chain, whose untraced code leaves the
//! reports out), the second is `NAME.untraced.expanded`.
//!
//! After a deliberate change, rewrite the files with
//! `SNAPSHOTS=overwrite cargo test -p fallback-macros snapshots` and read the diff.

use std::fs;
use std::path::{Path, PathBuf};

use proc_macro2::{Delimiter, TokenStream, TokenTree};

/// Expands one input file's text.
fn expand(input: &str) -> TokenStream {
    let tokens: TokenStream = input.parse().expect("a snapshot input is valid tokens");
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    match trees.as_slice() {
        // `#[fallback(args)] item`
        [TokenTree::Punct(pound), TokenTree::Group(attribute), item @ ..]
            if pound.as_char() == '#' && attribute.delimiter() == Delimiter::Bracket =>
        {
            let inner: Vec<TokenTree> = attribute.stream().into_iter().collect();
            let [TokenTree::Ident(name), TokenTree::Group(args)] = inner.as_slice() else {
                panic!("a snapshot attribute is `#[fallback(..)]`");
            };
            assert_eq!(name, "fallback");
            crate::attribute::expand(args.stream(), item.iter().cloned().collect())
        }
        // `fallback_chain!(input)`
        [TokenTree::Ident(name), TokenTree::Punct(bang), TokenTree::Group(input)]
            if name == "fallback_chain" && bang.as_char() == '!' =>
        {
            crate::chain::expand(input.stream())
        }
        _ => panic!("a snapshot input is `#[fallback(..)] fn ..` or `fallback_chain!(..)`"),
    }
}

/// The tokens' text, one statement a line, indented by braces: only newlines and
/// spaces are added to `TokenStream::to_string`, so equal text is equal tokens.
fn layout(tokens: &TokenStream) -> String {
    let text = tokens.to_string();
    let mut out = String::new();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut chars = text.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        while out.ends_with(' ') {
            out.pop();
        }
        out.push('\n');
        out.push_str(&"    ".repeat(depth));
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => out.extend(chars.next()),
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' => {
                out.push(c);
                depth += 1;
                newline(&mut out, depth);
            }
            '}' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
                if chars.peek() == Some(&' ') {
                    chars.next();
                    newline(&mut out, depth);
                }
            }
            ';' => {
                out.push(c);
                if chars.peek() == Some(&' ') {
                    chars.next();
                }
                newline(&mut out, depth);
            }
            // No space at the start of a line.
            ' ' if out
                .rsplit('\n')
                .next()
                .is_some_and(|line| line.trim().is_empty()) => {}
            _ => out.push(c),
        }
    }
    let mut lines: Vec<&str> = out
        .lines()
        .map(str::trim_end)
        .filter(|line| !line.trim().is_empty())
        .collect();
    lines.push("");
    lines.join("\n")
}

fn directory() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots")
}

/// The laid-out expansion of an input's text, with the `tracing` feature on or off.
fn expanded_with(text: &str, traced: bool) -> String {
    crate::expand::TRACED.with(|cell| cell.set(Some(traced)));
    let expanded = layout(&expand(text));
    crate::expand::TRACED.with(|cell| cell.set(None));
    expanded
}

/// How `expanded` differs from the file `golden`, if it does.
fn compare(golden: &Path, expanded: &str) -> Option<String> {
    let expected = match fs::read_to_string(golden) {
        Ok(expected) if expected == expanded => return None,
        Ok(expected) => expected,
        Err(_) => return Some(format!("{}: missing", golden.display())),
    };
    let line = expected
        .lines()
        .zip(expanded.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| expected.lines().count().min(expanded.lines().count()));
    Some(format!(
        "{}: differs from line {}\n  expected: {}\n  actual:   {}",
        golden.display(),
        line + 1,
        expected.lines().nth(line).unwrap_or("<end>"),
        expanded.lines().nth(line).unwrap_or("<end>"),
    ))
}

#[test]
fn snapshots() {
    let overwrite = std::env::var("SNAPSHOTS").is_ok_and(|value| value == "overwrite");
    let mut inputs: Vec<PathBuf> = fs::read_dir(directory())
        .expect("the snapshots directory")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "input"))
        .collect();
    inputs.sort();
    assert!(
        inputs.len() >= 25,
        "the snapshots are there: {}",
        inputs.len()
    );
    let mut differ = Vec::new();
    for input in &inputs {
        let text = fs::read_to_string(input).expect("a snapshot input");
        // The code with `tracing` on, and off: the two differ only in a plain chain,
        // whose untraced code has its own file.
        let traced = expanded_with(&text, true);
        let untraced = expanded_with(&text, false);
        let golden = input.with_extension("expanded");
        let golden_untraced = input.with_extension("untraced.expanded");
        if overwrite {
            fs::write(&golden, &traced).expect("a snapshot written");
            if untraced == traced {
                let _ = fs::remove_file(&golden_untraced);
            } else {
                fs::write(&golden_untraced, &untraced).expect("a snapshot written");
            }
            continue;
        }
        differ.extend(compare(&golden, &traced));
        if untraced != traced {
            differ.extend(compare(&golden_untraced, &untraced));
        } else if golden_untraced.exists() {
            differ.push(format!(
                "{}: the expansion without `tracing` is the same as with it now",
                golden_untraced.display()
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} expansions changed (SNAPSHOTS=overwrite rewrites them):\n{}",
        differ.len(),
        inputs.len(),
        differ.join("\n")
    );
}

#[test]
fn the_layout_only_adds_whitespace() {
    for text in [
        "#[fallback(primary = a, then = [b])] async fn f(p: &str) -> Result<u8, E>;",
        "fallback_chain!(a(\"{;}\") | b(), timeout = \"1s\")",
    ] {
        let expanded = expand(text);
        let squeezed = |s: &str| s.split_whitespace().collect::<String>();
        assert_eq!(
            squeezed(&layout(&expanded)),
            squeezed(&expanded.to_string())
        );
    }
}

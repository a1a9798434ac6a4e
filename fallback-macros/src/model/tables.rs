//! The option tables of both macros: every valid key with what it takes, as an unknown
//! option's error lists them, and that error.

use proc_macro2::Ident;

/// An option a front end accepts, with what it takes: the list an unknown-option error
/// shows.
pub type OptionTable = &'static [(&'static str, &'static str)];

/// The options of `#[fallback(...)]`.
pub static ATTRIBUTE_OPTIONS: OptionTable = &[
    ("primary", "the first alternative: `primary = openai`"),
    (
        "then",
        "the fallbacks, in order: `then = [anthropic, local]` \
         (`then = [err => repair(prompt, err)]` gets the previous error)",
    ),
    (
        "on",
        "which errors move on to the next alternative: `on = is_transient`",
    ),
    (
        "crate",
        "the path of the `fallbacks` crate: `crate = my_reexport::fallbacks`",
    ),
    TIMEOUT,
    DEADLINE,
    RETRIES,
    BACKOFF,
    RETRY_ON,
    RETRY_AFTER,
    COOLDOWN,
    TRIP_AFTER,
    HEALTH,
    REJECT,
    CATCH_PANIC,
    HEDGE,
    OBSERVE,
    STREAM,
    FIRST_ITEM_TIMEOUT,
    IDLE_TIMEOUT,
    EMPTY_IS_FAILURE,
];

const STREAM: (&str, &str) = (
    "stream",
    "the alternatives open streams (futures of `Result<S, E>`): the chain is a stream, committed \
     after its first item (`stream`), all or nothing (`stream = \"buffered\"`) or \
     restarting (`stream = \"restart\"`); needs the `stream` feature",
);
const FIRST_ITEM_TIMEOUT: (&str, &str) = (
    "first_item_timeout",
    "with `stream`: no first item within it falls back: `first_item_timeout = \"5s\"`",
);
const IDLE_TIMEOUT: (&str, &str) = (
    "idle_timeout",
    "with `stream`: no next item within it ends the stream: `idle_timeout = \"10s\"`",
);

const EMPTY_IS_FAILURE: (&str, &str) = (
    "empty_is_failure",
    "with `stream`: a stream that ends without any item (an answer with no tokens) is a \
     failure that falls back, `E::from(fallbacks::Rejected)`: `empty_is_failure`",
);

const RETRY_ON: (&str, &str) = (
    "retry_on",
    "which errors retry the same alternative (default: all that move on): `retry_on = |e| e.is_rate_limit()`",
);
const RETRY_AFTER: (&str, &str) = (
    "retry_after",
    "the wait an error asks for before a retry (a `Retry-After`): `retry_after = LlmError::retry_after`",
);

const CATCH_PANIC: (&str, &str) = (
    "catch_panic",
    "a panic in an alternative is a failure that moves on (`E: From<fallbacks::Panicked>`): `catch_panic`",
);
const REJECT: (&str, &str) = (
    "reject",
    "an `Ok` answer it accepts is a failure (`E: From<fallbacks::Rejected>`): `reject = |reply| reply.is_empty()`",
);

const HEALTH: (&str, &str) = (
    "health",
    "where the cooldown state lives (default: one `static` per chain): `health = &self.health`, a `fallbacks::Health<N>`",
);

const HEDGE: (&str, &str) = (
    "hedge",
    "start the next alternative alongside one slower than this; the first `Ok` wins: `hedge = \"300ms\"`",
);
const COOLDOWN: (&str, &str) = (
    "cooldown",
    "how long an alternative is skipped after it trips: `cooldown = \"30s\"`",
);
const TRIP_AFTER: (&str, &str) = (
    "trip_after",
    "consecutive failures that trip an alternative (default 3): `trip_after = 5`",
);

const TIMEOUT: (&str, &str) = (
    "timeout",
    "a time limit per attempt; a slow attempt fails and the chain moves on: `timeout = \"250ms\"` or `timeout = config.timeout`",
);
const DEADLINE: (&str, &str) = (
    "deadline",
    "a time limit for the whole chain: `deadline = \"2s\"`",
);
const RETRIES: (&str, &str) = (
    "retries",
    "try each alternative up to N more times, for errors the filter accepts: `retries = 2`",
);
const BACKOFF: (&str, &str) = (
    "backoff",
    "the base pause before a retry, doubled each time, with full jitter: `backoff = \"50ms\"`",
);
const OBSERVE: (&str, &str) = (
    "observe",
    "a hook called with each attempt's start and end (success, failure, cancelled), and each skip: `observe = log_attempt`",
);

/// The options of `fallback_chain!(... , options)`.
pub static CHAIN_OPTIONS: OptionTable = &[
    (
        "on",
        "which errors move on to the next operand: `on = is_transient`",
    ),
    (
        "error",
        "the chain's error type, each operand's converted with `From`: `error = LlmError`; \
         `error = AllFailed<LlmError>` for every error",
    ),
    (
        "crate",
        "the path of the `fallbacks` crate: `crate = my_reexport::fallbacks`",
    ),
    TIMEOUT,
    DEADLINE,
    RETRIES,
    BACKOFF,
    RETRY_ON,
    RETRY_AFTER,
    COOLDOWN,
    TRIP_AFTER,
    HEALTH,
    REJECT,
    CATCH_PANIC,
    HEDGE,
    OBSERVE,
    STREAM,
    FIRST_ITEM_TIMEOUT,
    IDLE_TIMEOUT,
    EMPTY_IS_FAILURE,
];

/// The error of an option `table` does not have: the near miss meant, or every valid
/// option with what it takes.
pub(super) fn unknown_option(key: &Ident, table: OptionTable) -> syn::Error {
    let valid: Vec<String> = table.iter().map(|(name, _)| format!("`{name}`")).collect();
    let mut message = format!("unknown option `{key}`");
    // Asked of an inline chain, which has no declared type to say it. (Each table is a
    // `static`, so the address of the slice it holds tells the two apart.)
    if key == "served" && std::ptr::eq(table, CHAIN_OPTIONS) {
        message.push_str(
            ": `fallback_chain!` answers with the value alone; to learn which alternative \
             served, use `observe = |event| ..` (its `EventKind::Succeeded`), or a \
             `#[fallback]` function declared `-> Result<fallbacks::Served<T>, E>`, or \
             `fallbacks::try_each`, which answers with a `Served`",
        );
        return syn::Error::new(key.span(), message);
    }
    // A near miss: the option meant, alone, rather than every option's meaning.
    if let Some((near, meaning)) = closest(&key.to_string(), table)
        .and_then(|near| table.iter().find(|(name, _)| *name == near))
    {
        message.push_str(&format!("; did you mean `{near}`?\n  {near}: {meaning}"));
        return syn::Error::new(key.span(), message);
    }
    message.push_str(&format!("\nvalid options: {}", valid.join(", ")));
    for (name, meaning) in table {
        message.push_str(&format!("\n  {name}: {meaning}"));
    }
    syn::Error::new(key.span(), message)
}

/// The valid option closest to a misspelt one, if any is close.
pub(super) fn closest(key: &str, table: OptionTable) -> Option<&'static str> {
    table
        .iter()
        .map(|(name, _)| (edit_distance(key, name), *name))
        .filter(|(distance, name)| *distance <= name.len() / 3 + 1)
        .min()
        .map(|(_, name)| name)
}

/// Levenshtein's distance between `a` and `b`.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_option_finds_its_neighbour() {
        let closest = |key| closest(key, ATTRIBUTE_OPTIONS);
        assert_eq!(closest("them"), Some("then"));
        assert_eq!(closest("primay"), Some("primary"));
        assert_eq!(closest("onn"), Some("on"));
        assert_eq!(closest("timeout_everything"), None);
    }
}

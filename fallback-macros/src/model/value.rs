//! The value of a duration or a count: a literal checked at compile time, or an
//! expression evaluated when the chain starts.

use syn::{Expr, Ident};

use super::options::single;
use crate::parse::RawValue;

/// The value of a duration or a count: a literal, checked when the program is
/// compiled, or an expression of type `Duration` (or `u32`), evaluated when the chain
/// starts.
pub enum Value {
    Duration(std::time::Duration),
    Count(u32),
    Expr(Box<Expr>),
}

/// `"250ms"`: a duration in quotes, more than zero, read at compile time; or any other
/// expression, of type `Duration`, evaluated when the chain starts.
pub(super) fn duration(key: &Ident, value: RawValue) -> syn::Result<Value> {
    let example = "e.g. \"250ms\", \"2s\" or \"1.5s\" (units: ns, us, ms, s, m, h)";
    let text = match single(key, value)? {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(text),
            ..
        }) => text,
        Expr::Lit(other) => {
            return Err(syn::Error::new_spanned(
                other,
                format!(
                    "`{key}` takes a duration in quotes, {example}, or an expression of type \
                     `Duration` (`{key} = Duration::from_millis(250)`, `{key} = config.{key}`)"
                ),
            ))
        }
        expr => return Ok(Value::Expr(Box::new(expr))),
    };
    match parse_duration(&text.value()) {
        // A zero pause is a choice: retry at once, start the next alternative at once.
        Ok(value) if !value.is_zero() || key == "backoff" || key == "hedge" => {
            Ok(Value::Duration(value))
        }
        Ok(_) => Err(syn::Error::new(
            text.span(),
            format!("`{key}` must be more than zero: {}", zero_hint(key)),
        )),
        Err(why) => Err(syn::Error::new(
            text.span(),
            format!("{why}: write a number and a unit, {example}"),
        )),
    }
}

/// What to write instead of a zero `key`, which would make every attempt (or the
/// option) pointless.
fn zero_hint(key: &Ident) -> &'static str {
    if key == "cooldown" {
        "a tripped alternative would never be skipped; leave `cooldown` out to never skip"
    } else {
        "every attempt would fail at once; leave the option out for no limit"
    }
}

/// Reads `"250ms"`, `"2s"`, `"1.5s"`, `"100us"`...
pub(crate) fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    if number.is_empty() {
        return Err(format!("{text:?} is not a duration"));
    }
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{number:?} is not a number"))?;
    let seconds = match unit {
        "ns" => 1e-9,
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "" => return Err(format!("{text:?} has no unit")),
        other => return Err(format!("{other:?} is not a unit of time")),
    };
    std::time::Duration::try_from_secs_f64(number * seconds)
        .map_err(|_| format!("{text:?} is out of range"))
}

/// `retries = N`, `trip_after = N`: a whole number from 1 to `max`, checked at compile
/// time; or any other expression, of type `u32`, evaluated when the chain starts.
pub(super) fn count(key: &Ident, value: RawValue, max: u32, meaning: &str) -> syn::Result<Value> {
    match single(key, value)? {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(count),
            ..
        }) => match count.base10_parse::<u32>() {
            Ok(count) if (1..=max).contains(&count) => Ok(Value::Count(count)),
            _ => Err(syn::Error::new(
                count.span(),
                format!("`{key}` takes a whole number from 1 to {max} ({meaning})"),
            )),
        },
        Expr::Lit(other) => Err(syn::Error::new_spanned(
            other,
            format!(
                "`{key}` takes a whole number (`{key} = 2`) or an expression of type `u32` \
                 (`{key} = config.{key}`)"
            ),
        )),
        expr => Ok(Value::Expr(Box::new(expr))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_read_with_their_units() {
        use std::time::Duration;
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("100us"), Ok(Duration::from_micros(100)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("2 secs").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("1.2.3s").is_err());
    }
}

// `when_empty` after `all_failed` would throw away the errors `all_failed` collects:
// it is not there to call (an empty list is the `AllFailed` chain's `NoItems`).
use fallbacks::try_each;

fn main() {
    let providers = ["openai", "anthropic"];
    let _chain = try_each(&providers, |name| async move { Err::<String, _>(format!("{name} down")) })
        .all_failed()
        .when_empty(|| "no providers".to_string());
}

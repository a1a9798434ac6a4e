//! `fallbacks-chat`: an OpenAI-compatible chat client whose fallbacks, retries and time
//! limits are written with `fallbacks`.
//!
//! - With no arguments, the embedded demo: the client through one scenario per fault,
//!   against misbehaving providers it starts on loopback.
//! - With `--base-url URL --model M PROMPT`, a call to a real provider: the answer on
//!   stdout; on failure exit 1 with the reason on stderr. The last stderr line is a JSON
//!   report: `served_by`, `attempts`, `usage`, `elapsed_ms`.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser};
use fallbacks::TryEachError;
use fallbacks_chat::{demo, Chat, ChatError, Limits, Provider, Report};

/// An OpenAI-compatible chat client that falls back to another model when the first
/// fails. Run it with no arguments for the demo against misbehaving local providers.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The provider's OpenAI-compatible base URL, up to `/v1`
    /// (`https://api.openai.com/v1`).
    #[arg(long, requires_all = ["model", "prompt"], value_parser = http_url)]
    base_url: Option<String>,
    /// The model to ask first.
    #[arg(long, requires = "base_url")]
    model: Option<String>,
    /// The model to ask when the first fails.
    #[arg(long, requires = "base_url")]
    fallback_model: Option<String>,
    /// The fallback model's base URL, when it is another provider's.
    #[arg(long, requires = "fallback_model", value_parser = http_url)]
    fallback_base_url: Option<String>,
    /// Ask for a streamed answer and print it as it arrives (after the first token the
    /// answer is committed to its model: a cut ends the call with an error). Without
    /// it, the answer comes in one response, and --first-token-timeout and
    /// --idle-timeout do not apply.
    #[arg(long, requires = "base_url")]
    stream: bool,
    /// The time limit per attempt: for the whole response without --stream, for its
    /// headers with --stream (set it below --first-token-timeout to matter): `30s`,
    /// `500ms`.
    #[arg(long, requires = "base_url", value_parser = humantime::parse_duration, default_value = "30s")]
    timeout: Duration,
    /// The time limit for the first token, per attempt.
    #[arg(long, requires = "base_url", value_parser = humantime::parse_duration, default_value = "20s")]
    first_token_timeout: Duration,
    /// The longest pause between two tokens.
    #[arg(long, requires = "base_url", value_parser = humantime::parse_duration, default_value = "30s")]
    idle_timeout: Duration,
    /// Further tries of the same model after a 429, a 5xx, a reset or a broken stream.
    #[arg(long, requires = "base_url", default_value_t = 2)]
    retries: u32,
    /// The time limit for the whole call, every attempt and pause included (none by
    /// default): `1m`, `45s`.
    #[arg(long, requires = "base_url", value_parser = humantime::parse_duration)]
    deadline: Option<Duration>,
    /// The API key, sent as a bearer token (to the fallback model too, unless it has a
    /// base URL of its own).
    #[arg(long, env = "OPENAI_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// The API key for --fallback-base-url: a key is never sent to another provider.
    #[arg(
        long,
        env = "FALLBACK_API_KEY",
        hide_env_values = true,
        requires = "fallback_base_url"
    )]
    fallback_api_key: Option<String>,
    /// What to ask.
    #[arg(requires = "base_url")]
    prompt: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match (&args.base_url, &args.model, &args.prompt) {
        (Some(base_url), Some(model), Some(prompt)) => ask(&args, base_url, model, prompt).await,
        (None, ..) => run_demo().await,
        _ => Args::command()
            .error(
                clap::error::ErrorKind::MissingRequiredArgument,
                "give --base-url, --model and a prompt, or nothing for the demo",
            )
            .exit(),
    }
}

/// A base URL: `http` or `https`, with a host.
fn http_url(text: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(text).map_err(|error| format!("not a URL ({error})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("expected an http:// or https:// URL with a host".into());
    }
    Ok(text.to_owned())
}

async fn run_demo() -> ExitCode {
    println!(
        "{:<30} {:<18} {:<19} {:>9}  outcome",
        "the primary provider", "served", "requests", "time"
    );
    let progress = std::io::stderr().is_terminal();
    let total = demo::SCENARIOS.len();
    for (n, scenario) in demo::SCENARIOS.iter().enumerate() {
        if progress {
            eprint!("\r[{}/{total}] {}…\x1b[K", n + 1, scenario.name);
        }
        let run = demo::run(*scenario).await;
        if progress {
            eprint!("\r\x1b[K");
        }
        match run {
            Ok(run) => println!("{}", run.line()),
            Err(error) => {
                eprintln!("fallbacks-chat: cannot bind a loopback port: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

async fn ask(args: &Args, base_url: &str, model: &str, prompt: &str) -> ExitCode {
    let http = match reqwest::Client::builder().build() {
        Ok(http) => http,
        Err(error) => {
            eprintln!("fallbacks-chat: cannot make an HTTP client: {error}");
            return ExitCode::FAILURE;
        }
    };
    // The models name their providers in errors and reports for the whole run.
    let leak = |name: &str| -> &'static str { Box::leak(name.to_owned().into_boxed_str()) };
    let provider = |base_url: &str, model: &str, key: Option<&String>| {
        let provider = Provider::new(http.clone(), base_url, leak(model));
        match key {
            Some(key) => provider.with_api_key(key),
            None => provider,
        }
    };
    let mut providers = vec![provider(base_url, model, args.api_key.as_ref())];
    if let Some(fallback) = &args.fallback_model {
        providers.push(match &args.fallback_base_url {
            Some(url) => provider(url, fallback, args.fallback_api_key.as_ref()),
            None => provider(base_url, fallback, args.api_key.as_ref()),
        });
    }
    let chat = Chat::new(
        providers,
        Limits {
            timeout: args.timeout,
            first_token: args.first_token_timeout,
            idle: args.idle_timeout,
            retries: args.retries,
            backoff: Duration::from_millis(250),
            trip_after: 3,
            cooldown: Duration::from_secs(30),
            deadline: args.deadline.unwrap_or(Duration::MAX),
        },
    );
    let report = if args.stream {
        let mut stdout = std::io::stdout();
        chat.stream(prompt, |token| {
            // A closed stdout (a pipe into `head`) is no reason to stop reading.
            let _ = stdout.write_all(token.as_bytes());
            let _ = stdout.flush();
        })
        .await
    } else {
        let report = chat.request(prompt).await;
        if let Ok(text) = &report.answer {
            // As above: a closed stdout does not hide the report.
            let _ = std::io::stdout().write_all(text.as_bytes());
        }
        report
    };
    let _ = writeln!(std::io::stdout());
    let code = match &report.answer {
        Ok(_) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("fallbacks-chat: {}", reason(error));
            ExitCode::FAILURE
        }
    };
    eprintln!("{}", json_report(&chat, &report));
    code
}

/// The one-line reason for a failure, naming the model.
fn reason(error: &TryEachError<ChatError>) -> String {
    match error {
        // The chain names its items by model.
        TryEachError::Failed { error, name, .. } => format!("{name}: {error}"),
        other => other.to_string(),
    }
}

/// The report's JSON line: `served_by`, `attempts`, `usage`, `elapsed_ms`.
fn json_report(chat: &Chat, report: &Report) -> serde_json::Value {
    let model = |index: usize| chat.providers().get(index).map(Provider::model);
    let attempts: Vec<serde_json::Value> = report
        .tries
        .iter()
        .map(|t| {
            serde_json::json!({
                "model": model(t.index),
                "outcome": t.failure.as_deref().unwrap_or("ok"),
            })
        })
        .collect();
    serde_json::json!({
        "served_by": report.served_by.and_then(model),
        "attempts": attempts,
        "usage": report.usage,
        "elapsed_ms": u64::try_from(report.elapsed.as_millis()).unwrap_or(u64::MAX),
    })
}

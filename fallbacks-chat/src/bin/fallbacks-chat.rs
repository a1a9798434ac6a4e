//! `fallbacks-chat`: with no arguments, the embedded demo: an OpenAI-compatible client
//! through one scenario per fault, against misbehaving providers on loopback.

use std::process::ExitCode;

use fallbacks_chat::demo;

#[tokio::main]
async fn main() -> ExitCode {
    if std::env::args().len() > 1 {
        eprintln!(
            "fallbacks-chat: takes no arguments yet; run it bare for the demo \
             (pointing it at a provider is not built yet)"
        );
        return ExitCode::FAILURE;
    }
    println!(
        "{:<30} {:<18} {:<19} {:>9}  outcome",
        "the primary provider", "served", "requests", "time"
    );
    for scenario in demo::SCENARIOS {
        match demo::run(*scenario).await {
            Ok(run) => println!("{}", run.line()),
            Err(error) => {
                eprintln!("fallbacks-chat: cannot bind a loopback port: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

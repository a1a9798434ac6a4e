// `retries` calls the closure again with a clone of the item: items must be `Clone`.
// The error is on `.retries`, not "`TryEach` is not a future" at the `.await`.
use std::time::Duration;

trait Provider {
    fn name(&self) -> &'static str;
}

struct Openai;

impl Provider for Openai {
    fn name(&self) -> &'static str {
        "openai"
    }
}

#[derive(Debug)]
struct Down;

impl From<fallbacks::Elapsed> for Down {
    fn from(_: fallbacks::Elapsed) -> Self {
        Down
    }
}

async fn complete(providers: Vec<Box<dyn Provider>>) -> Result<String, Down> {
    fallbacks::try_each(providers, |provider| async move {
        Ok::<_, Down>(provider.name().to_string())
    })
    .timeout(Duration::from_secs(1))
    .retries(1)
    .await
    .map(|served| served.into_value())
    .map_err(|_| Down)
}

fn main() {
    let _ = complete(vec![Box::new(Openai)]);
}

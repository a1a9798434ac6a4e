// A method taking `self` by value whose body is the primary: it would consume `self`.
use fallbacks::fallback;

#[derive(Debug)]
struct MyError;

struct Client {
    name: String,
}

impl Client {
    fn backup(self) -> Result<String, MyError> {
        Ok(format!("backup: {}", self.name))
    }

    #[fallback(then = [Client::backup])]
    fn complete(self) -> Result<String, MyError> {
        Ok(format!("primary: {}", self.name))
    }
}

fn main() {
    let _ = Client::backup;
    let _ = Client { name: "rust".to_owned() }.complete();
}

//! Collects every mistake in a macro's input, so one compile reports them all.

/// A bag of errors, folded into one [`syn::Error`] with [`syn::Error::combine`].
#[derive(Default)]
pub struct Errors {
    collected: Option<syn::Error>,
}

impl Errors {
    /// Records one more mistake.
    pub fn push(&mut self, error: syn::Error) {
        match &mut self.collected {
            Some(collected) => collected.combine(error),
            None => self.collected = Some(error),
        }
    }

    /// Records the error of `result`, if any, and passes its value on.
    pub fn take<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.push(error);
                None
            }
        }
    }

    /// Records a mistake, if there is one.
    pub fn extend(&mut self, error: Option<syn::Error>) {
        if let Some(error) = error {
            self.push(error);
        }
    }

    /// `Ok` when nothing was recorded.
    pub fn finish(self) -> syn::Result<()> {
        match self.collected {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

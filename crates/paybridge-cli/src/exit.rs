//! Exit codes and error output (the README's "The command line and the sandbox" lists them): 0
//! ok; 2 bad input or config (nothing was sent); 3 the provider rejected the request; 4 transport failure or outcome unknown; 5
//! signature verification failed.

use std::process::ExitCode;

use paybridge::Error;

/// A command's failure: the code to exit with and what to say.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: u8,
    pub(crate) kind: &'static str,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn input(message: impl Into<String>) -> Failure {
        Failure {
            code: 2,
            kind: "invalid_input",
            message: message.into(),
        }
    }

    /// Prints the failure (a JSON line on stdout, a sentence on stderr) and gives the exit code.
    pub(crate) fn report(&self) -> ExitCode {
        let json = serde_json::json!({ "error": { "kind": self.kind, "message": self.message } });
        crate::output::line(&json);
        crate::output::say(&format!("paybridge: {}", self.message));
        ExitCode::from(self.code)
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        let code = match &error {
            // Before anything else: an ambiguous refusal is an unknown outcome.
            _ if error.outcome_unknown() => 4,
            Error::InvalidRequest { .. }
            | Error::Config { .. }
            | Error::Key { .. }
            | Error::Signing { .. }
            | Error::UnsupportedScene { .. }
            | Error::Unsupported { .. } => 2,
            Error::Rejected { .. }
            | Error::RefundNotFound { .. }
            | Error::PaymentNotFound { .. } => 3,
            Error::Verification { .. } => 5,
            _ => 4,
        };
        Failure {
            code,
            kind: error.kind_name(),
            message: error.to_string(),
        }
    }
}

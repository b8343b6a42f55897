//! Exit codes (listed in `--help`) and the failures that lead to them.

use serde_json::json;
use tocsin_client::Error;

/// How the program ends; the number is the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Accepted = 0,
    BadInput = 2,
    AuthRefused = 3,
    NotFound = 4,
    ServerOrNetwork = 5,
    DeliveriesFailed = 6,
    TimedOut = 7,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// Why a command did not succeed, with the exit code it leads to.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
    /// The server's machine code (`not_found`, …), or one of ours for failures
    /// without an answer (`unreachable`, `timed_out`, …).
    pub code: &'static str,
    /// The server's error answer, when there was one.
    pub status: Option<u16>,
    pub server_code: Option<String>,
    pub details: Option<serde_json::Value>,
}

impl Failure {
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        let code = match exit {
            Exit::Accepted => "none",
            Exit::BadInput => "bad_input",
            Exit::AuthRefused => "unauthorized",
            Exit::NotFound => "not_found",
            Exit::ServerOrNetwork => "unreachable",
            Exit::DeliveriesFailed => "deliveries_failed",
            Exit::TimedOut => "timed_out",
        };
        Failure { exit, message: message.into(), code, status: None, server_code: None, details: None }
    }

    /// What `--json` prints on stderr: the server's error shape, plus the status.
    pub fn to_json(&self) -> serde_json::Value {
        let code = self.server_code.as_deref().unwrap_or(self.code);
        json!({"error": code, "message": self.message, "details": self.details, "status": self.status})
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let (exit, code) = match &e {
            Error::Api(api) => match api.status {
                401 | 403 => (Exit::AuthRefused, "unauthorized"),
                404 => (Exit::NotFound, "not_found"),
                400..=499 if api.status != 429 => (Exit::BadInput, "bad_input"),
                _ => (Exit::ServerOrNetwork, "server_error"),
            },
            Error::Timeout => (Exit::TimedOut, "timed_out"),
            Error::Transport(_) => (Exit::ServerOrNetwork, "unreachable"),
            Error::Decode { .. } => (Exit::ServerOrNetwork, "bad_answer"),
            Error::InvalidRequest(_) => (Exit::BadInput, "bad_input"),
        };
        let api = e.api();
        Failure {
            exit,
            message: e.to_string(),
            code,
            status: api.map(|a| a.status),
            server_code: api.map(|a| a.code().to_owned()),
            details: api.and_then(|a| a.details().cloned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tocsin_client::types::ErrorBody;
    use tocsin_client::ApiError;

    fn exit_for(status: u16) -> Exit {
        let body = ErrorBody { error: "x".into(), message: "m".into(), details: None };
        Failure::from(Error::Api(ApiError { status, body })).exit
    }

    #[test]
    fn statuses_map_to_the_documented_exit_codes() {
        assert_eq!(exit_for(401), Exit::AuthRefused);
        assert_eq!(exit_for(403), Exit::AuthRefused);
        assert_eq!(exit_for(404), Exit::NotFound);
        assert_eq!(exit_for(400), Exit::BadInput);
        assert_eq!(exit_for(409), Exit::BadInput);
        assert_eq!(exit_for(422), Exit::BadInput);
        assert_eq!(exit_for(429), Exit::ServerOrNetwork);
        assert_eq!(exit_for(500), Exit::ServerOrNetwork);
        assert_eq!(exit_for(503), Exit::ServerOrNetwork);
        assert_eq!(Failure::from(Error::Timeout).exit, Exit::TimedOut);
        assert_eq!(Failure::from(Error::Transport("refused".into())).exit, Exit::ServerOrNetwork);
    }
}

//! The command line: commands, options, and the exit codes scripts branch on.

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "\
Exit codes:
  0  accepted (with --wait: every delivery went out)
  2  bad input: wrong or missing arguments (also no URL or API key), or the
     server refused the request as invalid (400, 409, 422)
  3  authentication refused: unknown, revoked or insufficient API key (401, 403)
  4  not found: no such event, contact, group or notification
  5  server or network error: no answer, or the server failed
  6  with --wait: a delivery failed or expired
  7  timed out: no answer in time, or deliveries still pending when --timeout ran out

Examples:
  tocsin-cli notify group ops \"db1 is down\" --wait || echo \"paging failed: $?\"
  tocsin-cli fire disk-full --arg host=db1 --arg percent=97 --dedup-key db1:/var
  tocsin-cli --json status 4f9c2a1b7e3d4c5a8b6f0e1d2c3b4a59";

/// Fire events, page contacts and groups, and follow notifications on a Tocsin server.
#[derive(Debug, Parser)]
#[command(name = "tocsin-cli", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// The server's base URL, e.g. https://tocsin.example.org.
    #[arg(long, env = "TOCSIN_URL", hide_env_values = true, global = true)]
    pub url: Option<String>,

    /// An API key (tsk_…): `send` to fire and notify, `read` to look things up (and for --wait).
    #[arg(long, env = "TOCSIN_API_KEY", hide_env_values = true, global = true)]
    pub api_key: Option<String>,

    /// Print JSON for machines instead of text for people (errors go to stderr as JSON too).
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fire an event, its templates rendered with the --arg values.
    Fire {
        /// The event's slug.
        event: String,
        /// A template argument, as name=value (repeatable).
        #[arg(long = "arg", value_name = "NAME=VALUE", value_parser = parse_arg)]
        args: Vec<(String, String)>,
        /// While a notification of this event with the same key is open, attach to it instead of paging again.
        #[arg(long)]
        dedup_key: Option<String>,
        #[command(flatten)]
        wait: Wait,
    },
    /// Send a message straight to a contact or to every member of a group.
    Notify {
        /// Whom to notify.
        kind: Target,
        /// The contact's or group's slug.
        slug: String,
        /// The message text.
        message: String,
        /// A subject line (email, chat).
        #[arg(long)]
        subject: Option<String>,
        #[command(flatten)]
        wait: Wait,
    },
    /// Acknowledge a notification: escalation stops.
    Ack {
        /// The notification id (32 hex).
        id: String,
    },
    /// Resolve a notification: the problem is over.
    Resolve {
        /// The notification id (32 hex).
        id: String,
    },
    /// Show a notification: its deliveries and timeline, as tables.
    Status {
        /// The notification id (32 hex).
        id: String,
    },
    /// List the events.
    Events,
    /// List the contacts.
    Contacts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    Contact,
    Group,
}

#[derive(Debug, Clone, Copy, Args)]
pub struct Wait {
    /// Wait until no delivery is queued or sending; exit 6 if one failed or expired.
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits, e.g. 90s, 5m.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = crate::duration::parse, requires = "wait")]
    pub timeout: Duration,
}

fn parse_arg(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => Ok((name.trim().to_owned(), value.to_owned())),
        _ => Err(format!("{text:?} is not NAME=VALUE")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn args_are_name_equals_value_and_the_value_may_hold_equals_signs() {
        assert_eq!(parse_arg("host=db1").unwrap(), ("host".into(), "db1".into()));
        assert_eq!(parse_arg("q=a=b").unwrap(), ("q".into(), "a=b".into()));
        assert_eq!(parse_arg("empty=").unwrap(), ("empty".into(), String::new()));
        assert!(parse_arg("novalue").is_err());
        assert!(parse_arg("=x").is_err());
    }
}

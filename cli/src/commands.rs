//! What each command does: one or two client calls, then the output.

use serde_json::{json, Value};
use tocsin_client::types::{FireRequest, FireResponse, ListQuery, NotifyRequest, Page};
use tocsin_client::{Client, Error};

use crate::args::{Cli, Command, Target, Wait};
use crate::exit::{Exit, Failure};
use crate::output;
use crate::wait::{self, Settled};

pub async fn run(cli: Cli) -> Result<(), Failure> {
    let client = &connect(&cli)?;
    let json = cli.json;
    match cli.command {
        Command::Fire { event, args, dedup_key, wait } => {
            let mut request = FireRequest { dedup_key, ..FireRequest::default() };
            for (name, value) in args {
                request.args.insert(name, Value::String(value));
            }
            let fired = client.fire_event(&event, &request, Some(&idempotency_key())).await?;
            accepted(client, fired, wait, json).await
        }
        Command::Notify { kind, slug, message, subject, wait } => {
            let request = NotifyRequest { message, subject };
            let key = idempotency_key();
            let fired = match kind {
                Target::Contact => client.notify_contact(&slug, &request, Some(&key)).await?,
                Target::Group => client.notify_group(&slug, &request, Some(&key)).await?,
            };
            accepted(client, fired, wait, json).await
        }
        Command::Ack { id } => {
            let n = client.acknowledge_notification(&id).await?;
            print(json, &n, || format!("acknowledged {} (state: {})\n", n.id, n.state));
            Ok(())
        }
        Command::Resolve { id } => {
            let n = client.resolve_notification(&id).await?;
            print(json, &n, || format!("resolved {} (state: {})\n", n.id, n.state));
            Ok(())
        }
        Command::Status { id } => {
            let n = client.get_notification(&id).await?;
            print(json, &n, || output::notification(&n));
            Ok(())
        }
        Command::Events => {
            let events = all(|query| async move { client.list_events(&query).await }).await?;
            print(json, &events, || output::events(&events));
            Ok(())
        }
        Command::Contacts => {
            let contacts = all(|query| async move { client.list_contacts(&query).await }).await?;
            print(json, &contacts, || output::contacts(&contacts));
            Ok(())
        }
    }
}

fn connect(cli: &Cli) -> Result<Client, Failure> {
    let url = cli
        .url
        .as_deref()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| Failure::new(Exit::BadInput, "no server URL: set TOCSIN_URL or pass --url"))?;
    let key = cli
        .api_key
        .as_deref()
        .filter(|k| !k.is_empty())
        .ok_or_else(|| Failure::new(Exit::BadInput, "no API key: set TOCSIN_API_KEY or pass --api-key"))?;
    Ok(Client::new(url)?.with_token(key))
}

/// A fresh key per invocation: the client may then repeat the fire after a
/// lost answer without paging anyone twice.
fn idempotency_key() -> String {
    format!("tocsin-cli-{:032x}", rand::random::<u128>())
}

fn print<T: serde::Serialize>(json: bool, value: &T, human: impl FnOnce() -> String) {
    if json {
        println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
    } else {
        print!("{}", human());
    }
}

/// Every item of a paged list.
async fn all<T, F, Fut>(mut page: F) -> Result<Vec<T>, Error>
where
    F: FnMut(ListQuery) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, Error>>,
{
    let mut items = Vec::new();
    loop {
        let query = ListQuery { limit: Some(500), offset: Some(items.len() as i64), ..ListQuery::default() };
        let got = page(query).await?;
        let done = got.items.is_empty() || items.len() as i64 + got.items.len() as i64 >= got.total;
        items.extend(got.items);
        if done {
            return Ok(items);
        }
    }
}

/// Reports an accepted fire or notify, and with `--wait` follows it.
async fn accepted(client: &Client, fired: FireResponse, wait: Wait, json: bool) -> Result<(), Failure> {
    if !wait.wait {
        print(json, &fired, || output::fired(&fired));
        return Ok(());
    }
    if !json {
        print!("{}", output::fired(&fired));
    }
    let settled = wait::until_settled(client, &fired.notification_id, wait.timeout).await?;
    let (notification, failure) = match settled {
        Settled::Done(n) => {
            let failed = wait::failed(&n);
            let failure = (failed > 0).then(|| {
                let total = n.deliveries.len();
                Failure::new(Exit::DeliveriesFailed, format!("{failed} of {total} deliveries failed or expired"))
            });
            (Some(n), failure)
        }
        Settled::Pending(n) => {
            let still = n.as_ref().map(wait::pending).unwrap_or(0);
            let message = format!(
                "timed out after {:?}: {still} deliveries still queued or sending (notification {})",
                wait.timeout, fired.notification_id
            );
            (n, Some(Failure::new(Exit::TimedOut, message)))
        }
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"accepted": fired, "notification": notification})).unwrap_or_default()
        );
    } else if let Some(n) = &notification {
        print!("\n{}", output::notification(n));
    }
    match failure {
        Some(failure) => Err(failure),
        None => Ok(()),
    }
}

//! Email through the configured SMTP relay.
//!
//! SMTP has no delivery receipts that reach us reliably, so the relay's 250
//! after DATA is the end of the road: [`Outcome::Sent`], final for email. A 5xx
//! reply can never succeed and fails at once; 4xx replies and anything that
//! goes wrong on the connection are worth retrying.

mod relay;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::TlsParameters;
use lettre::{Address, Message};
use secrecy::{ExposeSecret, SecretString};

use self::relay::{IdlePolicy, Relay, RelayError, RelaySettings, Security};
use crate::delivery::message::{Outcome, OutgoingMessage};

/// Longest subject taken from the first line of a body, in characters.
const SUBJECT_FROM_BODY_CHARS: usize = 120;
/// Subject used when both the subject and the body are empty.
const FALLBACK_SUBJECT: &str = "Tocsin notification";
/// Longest account of an SMTP error kept in an outcome, in characters.
const ERROR_CHARS: usize = 300;

/// SMTP relay settings (`smtp` section, `TOCSIN_SMTP__*`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SmtpSettings {
    /// Relay host name; `None` means email is not configured.
    pub host: Option<String>,
    /// Relay port (default 587, the submission port).
    pub port: u16,
    /// How the connection is encrypted (default STARTTLS).
    pub tls: SmtpTls,
    /// User name for SMTP AUTH; no authentication when unset.
    pub username: Option<String>,
    /// Password for SMTP AUTH; never serialized or printed.
    #[serde(skip_serializing)]
    pub password: Option<SecretString>,
    /// The From header, a mailbox such as `"Tocsin <tocsin@example.com>"`.
    pub from: String,
    /// How long one message may take, connecting included, in milliseconds
    /// (default 10000); a relay that has not confirmed by then is retried later.
    pub timeout_ms: u64,
    /// Idle connections kept open to the relay for the next mails (default 8).
    pub pool_size: u32,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        Self {
            host: None,
            port: 587,
            tls: SmtpTls::Starttls,
            username: None,
            password: None,
            from: "Tocsin <tocsin@localhost>".to_owned(),
            timeout_ms: 10_000,
            pool_size: 8,
        }
    }
}

/// How the SMTP connection is encrypted.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text throughout; only for relays on the same host or network.
    None,
    /// Plain connection upgraded with STARTTLS, which is required (usually port 587).
    Starttls,
    /// TLS from the first byte (implicit TLS, usually port 465).
    Tls,
}

/// Delivers [`Medium::Email`](crate::domain::media::Medium::Email) messages over connections kept open to the relay.
///
/// Cloning is cheap and shares the connections, so the SMS email gateway can
/// use them too.
#[derive(Clone)]
pub struct EmailChannel {
    relay: Arc<Relay>,
    from: Mailbox,
    /// Right-hand side of the Message-IDs we make: the From address's domain.
    id_domain: String,
    timeout: Duration,
    host: String,
    port: u16,
}

// Shows only what identifies the relay, never the credentials.
impl fmt::Debug for EmailChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailChannel")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

/// One mail as the channel sends it.
pub(crate) struct Mail<'a> {
    /// Bare recipient address.
    pub(crate) to: &'a str,
    /// Subject header; `None` sends none.
    pub(crate) subject: Option<&'a str>,
    /// text/plain body.
    pub(crate) body: &'a str,
}

impl EmailChannel {
    /// Checks the settings; `Ok(None)` when no host is configured. Nothing is
    /// contacted here: connections are opened by the first send.
    pub fn new(settings: &SmtpSettings) -> Result<Option<Self>, String> {
        let Some(host) = settings.host.as_deref().map(str::trim).filter(|host| !host.is_empty()) else {
            return Ok(None);
        };
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|err| format!("invalid smtp.from {:?}: {err} (TOCSIN_SMTP__FROM)", settings.from))?;
        if settings.port == 0 {
            return Err("invalid smtp.port 0 (TOCSIN_SMTP__PORT)".to_owned());
        }
        if settings.timeout_ms == 0 {
            return Err("smtp.timeout_ms must be at least 1 (TOCSIN_SMTP__TIMEOUT_MS)".to_owned());
        }
        if settings.pool_size == 0 {
            return Err("smtp.pool_size must be at least 1 (TOCSIN_SMTP__POOL_SIZE)".to_owned());
        }

        let security = match settings.tls {
            SmtpTls::None => Security::Plain,
            // Certificates are checked against the configured host name with
            // the platform verifier, as reqwest does for the HTTP channels.
            // STARTTLS is required, not opportunistic: a relay that stops
            // offering it (or an attacker stripping it) must not get the
            // password and the messages in clear text.
            tls => {
                let parameters = TlsParameters::new(host.to_owned())
                    .map_err(|err| format!("cannot set up TLS for the SMTP relay {host}: {err}"))?;
                if tls == SmtpTls::Tls {
                    Security::Implicit(parameters)
                } else {
                    Security::Starttls(parameters)
                }
            }
        };
        let username = settings.username.as_deref().filter(|name| !name.is_empty());
        let password =
            settings.password.as_ref().map(ExposeSecret::expose_secret).filter(|password| !password.is_empty());
        let credentials = match (username, password) {
            (Some(username), Some(password)) => Some(Credentials::new(username.to_owned(), password.to_owned())),
            (Some(_), None) => {
                return Err("smtp.username is set but smtp.password is not (TOCSIN_SMTP__PASSWORD)".to_owned())
            }
            (None, Some(_)) => {
                return Err("smtp.password is set but smtp.username is not (TOCSIN_SMTP__USERNAME)".to_owned())
            }
            (None, None) => None,
        };
        let relay = Relay::new(RelaySettings {
            host: host.to_owned(),
            port: settings.port,
            security,
            credentials,
            connect_timeout: Duration::from_millis(settings.timeout_ms),
            keep: settings.pool_size as usize,
            idle: IdlePolicy::default(),
        });
        let id_domain = from.email.domain().to_ascii_lowercase();
        Ok(Some(Self {
            relay: Arc::new(relay),
            from,
            id_domain,
            timeout: Duration::from_millis(settings.timeout_ms),
            host: host.to_owned(),
            port: settings.port,
        }))
    }

    /// Sends `msg` to `msg.address` as a text/plain mail; the subject is
    /// `msg.subject`, or the first line of the body when that is empty.
    pub async fn send(&self, msg: &OutgoingMessage) -> Outcome {
        let subject = subject_for(msg);
        self.send_mail(msg, Mail { to: &msg.address, subject: Some(&subject), body: &msg.body }).await
    }

    /// Sends one mail on behalf of the delivery `msg`, which supplies the
    /// Message-ID and the notification header.
    pub(crate) async fn send_mail(&self, msg: &OutgoingMessage, mail: Mail<'_>) -> Outcome {
        let to: Address = match mail.to.trim().parse() {
            Ok(address) => address,
            Err(err) => return Outcome::Failed { error: format!("invalid recipient address {:?}: {err}", mail.to) },
        };
        let message_id = self.message_id(msg);
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .message_id(Some(message_id.clone()))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("X-Tocsin-Notification"),
                msg.notification_id.clone(),
            ))
            // RFC 3834: tells vacation responders and mailing lists not to answer.
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ));
        if let Some(subject) = mail.subject {
            builder = builder.subject(subject);
        }
        let email = match builder.singlepart(SinglePart::plain(mail.body.to_owned())) {
            Ok(email) => email,
            Err(err) => return Outcome::Failed { error: format!("cannot build the email: {err}") },
        };
        // lettre bounds no reply, so the whole send is bounded here. A send
        // stopped halfway closes its connection (see `Relay::send`).
        let bytes = email.formatted();
        let result = match tokio::time::timeout(self.timeout, self.relay.send(email.envelope(), &bytes)).await {
            Ok(result) => result,
            Err(_) => {
                let error = format!("SMTP relay did not confirm within {} ms", self.timeout.as_millis());
                return Outcome::Retry { error, after: None };
            }
        };
        match result {
            Ok(response) => {
                let text = response.first_line().map(collapse).unwrap_or_default();
                let detail = format!("SMTP {} {text}", response.code()).trim_end().to_owned();
                Outcome::Sent { provider_id: Some(message_id), detail, via: None }
            }
            Err(err) => classify_smtp(&err),
        }
    }

    /// `<tocsin-<delivery>.<notification>@<from domain>>`: the same for every
    /// attempt at one delivery, so a receiver can drop a retried duplicate.
    fn message_id(&self, msg: &OutgoingMessage) -> String {
        format!("<tocsin-{}.{}@{}>", msg.delivery_id, msg.notification_id, self.id_domain)
    }
}

/// The subject, else the first non-blank line of the body (shortened), else a
/// generic one: a mail without a subject looks like spam in most inboxes.
fn subject_for(msg: &OutgoingMessage) -> String {
    let subject = msg.subject.trim();
    if !subject.is_empty() {
        return subject.to_owned();
    }
    let Some(line) = msg.body.lines().map(str::trim).find(|line| !line.is_empty()) else {
        return FALLBACK_SUBJECT.to_owned();
    };
    let mut short: String = line.chars().take(SUBJECT_FROM_BODY_CHARS).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    short
}

/// 5xx replies fail at once (the relay will say the same next time); 4xx,
/// timeouts, refused connections and TLS problems are retried; errors of our
/// own client (no usable AUTH mechanism, a message it cannot encode) fail.
fn classify_smtp(err: &RelayError) -> Outcome {
    // lettre's messages carry the server's reply text and I/O causes, never
    // the credentials.
    let (text, retry) = match err {
        RelayError::Connect(cause) => (format!("cannot connect to the relay: {cause}"), true),
        RelayError::Smtp(err) => (err.to_string(), !(err.is_permanent() || err.is_client())),
    };
    let mut error = format!("SMTP {}", collapse(&text));
    if error.chars().count() > ERROR_CHARS {
        error = error.chars().take(ERROR_CHARS).collect();
        error.push('…');
    }
    if retry {
        Outcome::Retry { error, after: None }
    } else {
        Outcome::Failed { error }
    }
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl crate::delivery::channels::Channel for EmailChannel {
    fn send<'a>(&'a self, msg: &'a OutgoingMessage) -> futures_util::future::BoxFuture<'a, Outcome> {
        Box::pin(EmailChannel::send(self, msg))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub(crate) mod tests {
    use std::net::SocketAddr;
    use std::sync::{Arc, Mutex};

    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::sync::{watch, Notify};
    use tokio::task::{JoinHandle, JoinSet};

    use super::*;
    use crate::delivery::channels::tests::message;
    use crate::delivery::fake_http::FakeServer;
    use crate::domain::media::Medium;

    /// Generous bound for waiting on something the test has already caused.
    const PATIENCE: Duration = Duration::from_secs(10);
    /// The one password the sink accepts with AUTH PLAIN.
    const SINK_PASSWORD: &str = "hunter2-smtp";

    /// How the sink answers; `None` fields mean the usual 250.
    #[derive(Debug, Clone, Default)]
    pub(crate) struct Script {
        /// Reply to MAIL FROM instead of 250.
        pub(crate) mail: Option<&'static str>,
        /// Reply to RCPT TO instead of 250.
        pub(crate) rcpt: Option<&'static str>,
        /// Accept connections but never send the greeting.
        pub(crate) silent: bool,
        /// Hold the reply to the first message's data until notified.
        pub(crate) hold_first_reply: Option<Arc<Notify>>,
        /// Offer AUTH PLAIN and require it before MAIL.
        pub(crate) auth: bool,
        /// Close the connection after answering each mail, as a relay does
        /// when a client stays idle past its timeout.
        pub(crate) hang_up_after_mail: bool,
    }

    /// One mail the sink accepted.
    #[derive(Debug, Clone)]
    pub(crate) struct Received {
        pub(crate) mail_from: String,
        pub(crate) rcpt_to: Vec<String>,
        /// The DATA section, dot-unstuffed, without the final ".".
        pub(crate) data: String,
        /// The user name given with AUTH PLAIN on this connection, if any.
        pub(crate) user: Option<String>,
    }

    impl Received {
        /// The value of header `name` (case-insensitive), unfolded.
        pub(crate) fn header(&self, name: &str) -> Option<String> {
            let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
            let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
            unfolded.split("\r\n").find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
            })
        }

        /// Everything after the header block.
        pub(crate) fn body(&self) -> &str {
            self.data.split_once("\r\n\r\n").map_or("", |(_, body)| body)
        }
    }

    /// A minimal SMTP server on loopback that records what it accepts.
    pub(crate) struct SmtpSink {
        addr: SocketAddr,
        mails: Arc<Mutex<Vec<Received>>>,
        count: watch::Receiver<usize>,
        connections: Arc<Mutex<usize>>,
        noops: Arc<Mutex<usize>>,
        closed: watch::Receiver<usize>,
        task: JoinHandle<()>,
    }

    impl SmtpSink {
        pub(crate) async fn start(script: Script) -> Self {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let mails = Arc::new(Mutex::new(Vec::new()));
            let connections = Arc::new(Mutex::new(0));
            let (count_tx, count) = watch::channel(0);
            let noops = Arc::new(Mutex::new(0));
            let state =
                Arc::new(SinkState { script, mails: Arc::clone(&mails), count: count_tx, noops: Arc::clone(&noops) });
            let accepted = Arc::clone(&connections);
            let (closed_tx, closed) = watch::channel(0);
            let closed_tx = Arc::new(closed_tx);
            let task = tokio::spawn(async move {
                let mut tasks = JoinSet::new();
                while let Ok((stream, _)) = listener.accept().await {
                    *accepted.lock().unwrap() += 1;
                    let (state, closed) = (Arc::clone(&state), Arc::clone(&closed_tx));
                    tasks.spawn(async move {
                        converse(stream, state).await;
                        closed.send_modify(|n| *n += 1);
                    });
                }
            });
            Self { addr, mails, count, connections, noops, closed, task }
        }

        pub(crate) fn port(&self) -> u16 {
            self.addr.port()
        }

        pub(crate) fn mails(&self) -> Vec<Received> {
            self.mails.lock().unwrap().clone()
        }

        pub(crate) fn connections(&self) -> usize {
            *self.connections.lock().unwrap()
        }

        pub(crate) fn noops(&self) -> usize {
            *self.noops.lock().unwrap()
        }

        /// Waits until at least `n` mails were accepted; panics after a generous timeout.
        pub(crate) async fn wait_for_mails(&self, n: usize) -> Vec<Received> {
            let mut count = self.count.clone();
            tokio::time::timeout(PATIENCE, count.wait_for(|c| *c >= n)).await.unwrap().unwrap();
            self.mails()
        }

        /// Waits until the client closed at least `n` connections; panics after a generous timeout.
        pub(crate) async fn wait_for_closed(&self, n: usize) {
            let mut closed = self.closed.clone();
            tokio::time::timeout(PATIENCE, closed.wait_for(|c| *c >= n)).await.unwrap().unwrap();
        }

        /// Plain-text settings pointing at this sink.
        pub(crate) fn settings(&self) -> SmtpSettings {
            SmtpSettings {
                host: Some("127.0.0.1".to_owned()),
                port: self.port(),
                tls: SmtpTls::None,
                from: "Tocsin Alerts <alerts@tocsin.example>".to_owned(),
                ..SmtpSettings::default()
            }
        }

        /// A channel sending to this sink.
        pub(crate) fn channel(&self) -> EmailChannel {
            EmailChannel::new(&self.settings()).unwrap().unwrap()
        }
    }

    impl Drop for SmtpSink {
        fn drop(&mut self) {
            self.task.abort();
        }
    }

    struct SinkState {
        script: Script,
        mails: Arc<Mutex<Vec<Received>>>,
        count: watch::Sender<usize>,
        noops: Arc<Mutex<usize>>,
    }

    async fn converse(stream: TcpStream, state: Arc<SinkState>) {
        if state.script.silent {
            // Keeps the connection open without a word until the test ends.
            let _stream = stream;
            std::future::pending::<()>().await;
            return;
        }
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        let mut mail_from = String::new();
        let mut rcpt_to = Vec::new();
        let mut user = None;
        if write.write_all(b"220 sink.test ESMTP\r\n").await.is_err() {
            return;
        }
        while let Ok(Some(line)) = lines.next_line().await {
            let verb = line.split([' ', ':']).next().unwrap_or_default().to_ascii_uppercase();
            let reply = match verb.as_str() {
                "EHLO" | "HELO" if state.script.auth => "250-sink.test\r\n250 AUTH PLAIN".to_owned(),
                "EHLO" | "HELO" => "250 sink.test".to_owned(),
                "AUTH" => match line.strip_prefix("AUTH PLAIN ").and_then(plain_user) {
                    Some(name) => {
                        user = Some(name);
                        "235 2.7.0 Authentication successful".to_owned()
                    }
                    None => "535 5.7.8 Authentication failed".to_owned(),
                },
                "MAIL" if state.script.auth && user.is_none() => "530 5.7.0 Authentication required".to_owned(),
                "MAIL" => match state.script.mail {
                    Some(reply) => reply.to_owned(),
                    None => {
                        mail_from = angle(&line);
                        rcpt_to.clear();
                        "250 2.1.0 Ok".to_owned()
                    }
                },
                "RCPT" => match state.script.rcpt {
                    Some(reply) => reply.to_owned(),
                    None => {
                        rcpt_to.push(angle(&line));
                        "250 2.1.5 Ok".to_owned()
                    }
                },
                "DATA" => {
                    if write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await.is_err() {
                        return;
                    }
                    let mut data = Vec::new();
                    loop {
                        match lines.next_line().await {
                            Ok(Some(line)) if line == "." => break,
                            Ok(Some(line)) => data.push(line.strip_prefix('.').map_or(line.clone(), str::to_owned)),
                            _ => return,
                        }
                    }
                    let received = Received {
                        mail_from: mail_from.clone(),
                        rcpt_to: rcpt_to.clone(),
                        data: data.join("\r\n"),
                        user: user.clone(),
                    };
                    let number = {
                        let mut mails = state.mails.lock().unwrap();
                        mails.push(received);
                        mails.len()
                    };
                    state.count.send_modify(|c| *c += 1);
                    if let Some(release) = state.script.hold_first_reply.as_ref().filter(|_| number == 1) {
                        release.notified().await;
                    }
                    let reply = format!("250 2.0.0 Ok: queued as SINK{number}\r\n");
                    if write.write_all(reply.as_bytes()).await.is_err() || state.script.hang_up_after_mail {
                        return;
                    }
                    continue;
                }
                "NOOP" => {
                    *state.noops.lock().unwrap() += 1;
                    "250 2.0.0 Ok".to_owned()
                }
                "RSET" => "250 2.0.0 Ok".to_owned(),
                "QUIT" => {
                    let _ = write.write_all(b"221 2.0.0 Bye\r\n").await;
                    return;
                }
                _ => "502 5.5.2 Error: command not recognized".to_owned(),
            };
            if write.write_all(format!("{reply}\r\n").as_bytes()).await.is_err() {
                return;
            }
        }
    }

    /// The user of an AUTH PLAIN response (`\0user\0password`, base64) whose
    /// password is right; the sink knows one password.
    fn plain_user(encoded: &str) -> Option<String> {
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let mut parts = text.split('\0').skip(1);
        let (name, password) = (parts.next()?, parts.next()?);
        (password == SINK_PASSWORD).then(|| name.to_owned())
    }

    /// The address between the angle brackets of a MAIL or RCPT command.
    fn angle(line: &str) -> String {
        line.split_once('<').and_then(|(_, rest)| rest.split_once('>')).map_or_else(String::new, |(a, _)| a.to_owned())
    }

    fn email(address: &str) -> OutgoingMessage {
        message(Medium::Email, address, serde_json::json!({}))
    }

    #[tokio::test]
    async fn a_message_arrives_with_the_right_envelope_headers_and_body() {
        let sink = SmtpSink::start(Script::default()).await;
        let outcome = sink.channel().send(&email("oncall@example.com")).await;

        let message_id = "<tocsin-42.0123456789abcdef0123456789abcdef@tocsin.example>";
        assert_eq!(
            outcome,
            Outcome::Sent {
                provider_id: Some(message_id.to_owned()),
                detail: "SMTP 250 2.0.0 Ok: queued as SINK1".to_owned(),
                via: None,
            }
        );
        let mails = sink.wait_for_mails(1).await;
        assert_eq!(mails.len(), 1);
        let mail = &mails[0];
        assert_eq!(mail.mail_from, "alerts@tocsin.example");
        assert_eq!(mail.rcpt_to, ["oncall@example.com"]);
        assert_eq!(mail.header("From").as_deref(), Some("\"Tocsin Alerts\" <alerts@tocsin.example>"));
        assert_eq!(mail.header("To").as_deref(), Some("oncall@example.com"));
        assert_eq!(mail.header("Subject").as_deref(), Some("Disk full"));
        assert_eq!(mail.header("Message-ID").as_deref(), Some(message_id));
        assert_eq!(mail.header("X-Tocsin-Notification").as_deref(), Some("0123456789abcdef0123456789abcdef"));
        assert_eq!(mail.header("Auto-Submitted").as_deref(), Some("auto-generated"));
        assert_eq!(mail.header("Content-Type").as_deref(), Some("text/plain; charset=utf-8"));
        assert!(mail.header("Date").is_some());
        assert_eq!(mail.body().trim_end(), "db-1: /var is 98% full");
    }

    #[tokio::test]
    async fn an_empty_subject_is_replaced_by_the_first_line_of_the_body() {
        let sink = SmtpSink::start(Script::default()).await;
        let mut msg = email("oncall@example.com");
        msg.subject = "  ".to_owned();
        msg.body = "\n  db-1 is down  \nsince 05:06".to_owned();
        assert!(matches!(sink.channel().send(&msg).await, Outcome::Sent { .. }));
        assert_eq!(sink.wait_for_mails(1).await[0].header("Subject").as_deref(), Some("db-1 is down"));
    }

    #[test]
    fn a_long_first_line_is_shortened_and_an_empty_mail_gets_a_generic_subject() {
        let mut msg = email("oncall@example.com");
        msg.subject = String::new();
        msg.body = "x".repeat(500);
        assert_eq!(subject_for(&msg), format!("{}…", "x".repeat(SUBJECT_FROM_BODY_CHARS)));
        msg.body = " \n ".to_owned();
        assert_eq!(subject_for(&msg), FALLBACK_SUBJECT);
    }

    #[tokio::test]
    async fn a_non_ascii_subject_and_body_arrive_encoded() {
        let sink = SmtpSink::start(Script::default()).await;
        let mut msg = email("oncall@example.com");
        msg.subject = "Zürich: Festplatte voll 🔥".to_owned();
        msg.body = "Größe: 98 %".to_owned();
        assert!(matches!(sink.channel().send(&msg).await, Outcome::Sent { .. }));
        let mail = &sink.wait_for_mails(1).await[0];
        // RFC 2047 encoded words and a transfer encoding keep the mail 7-bit clean.
        assert!(mail.header("Subject").unwrap().starts_with("=?utf-8?"), "{:?}", mail.header("Subject"));
        assert!(mail.header("Content-Transfer-Encoding").is_some());
        assert!(mail.data.is_ascii());
    }

    #[tokio::test]
    async fn consecutive_messages_each_arrive_with_their_own_message_id() {
        let sink = SmtpSink::start(Script::default()).await;
        let channel = sink.channel();
        for id in 1..=3 {
            let mut msg = email("oncall@example.com");
            msg.delivery_id = id;
            assert!(matches!(channel.send(&msg).await, Outcome::Sent { .. }));
        }
        let mails = sink.wait_for_mails(3).await;
        assert_eq!(mails.len(), 3);
        // The connection is kept for the next message.
        assert_eq!(sink.connections(), 1);
        let ids: Vec<String> = mails.iter().map(|m| m.header("Message-ID").unwrap()).collect();
        assert!(ids[0].contains("tocsin-1.") && ids[1].contains("tocsin-2.") && ids[2].contains("tocsin-3."));
    }

    #[tokio::test]
    async fn the_relay_gets_the_credentials_before_the_mail() {
        let sink = SmtpSink::start(Script { auth: true, ..Script::default() }).await;
        let settings = SmtpSettings {
            username: Some("tocsin".to_owned()),
            password: Some(SINK_PASSWORD.into()),
            ..sink.settings()
        };
        let channel = EmailChannel::new(&settings).unwrap().unwrap();
        for _ in 0..2 {
            let outcome = channel.send(&email("oncall@example.com")).await;
            assert!(matches!(outcome, Outcome::Sent { .. }), "{outcome:?}");
        }
        let mails = sink.wait_for_mails(2).await;
        assert!(mails.iter().all(|mail| mail.user.as_deref() == Some("tocsin")), "{mails:?}");
        assert_eq!(sink.connections(), 1, "authenticated once, for both mails");

        let wrong = SmtpSettings { password: Some("wrong".into()), ..settings };
        let outcome = EmailChannel::new(&wrong).unwrap().unwrap().send(&email("oncall@example.com")).await;
        let Outcome::Failed { error } = outcome else { panic!("{outcome:?}") };
        assert!(error.contains("535"), "{error}");
        assert!(!error.contains("wrong") && !error.contains("hunter2"), "{error}");
    }

    #[tokio::test]
    async fn a_relay_without_starttls_gets_no_mail_when_starttls_is_required() {
        let sink = SmtpSink::start(Script::default()).await;
        let settings = SmtpSettings { tls: SmtpTls::Starttls, ..sink.settings() };
        let outcome = EmailChannel::new(&settings).unwrap().unwrap().send(&email("oncall@example.com")).await;
        let Outcome::Failed { error } = outcome else { panic!("{outcome:?}") };
        assert!(error.contains("STARTTLS"), "{error}");
        assert_eq!(sink.connections(), 1);
        assert!(sink.mails().is_empty());
    }

    #[tokio::test]
    async fn a_rejected_recipient_fails_at_once() {
        let script =
            Script { rcpt: Some("550 5.1.1 <oncall@example.com>: Recipient address rejected"), ..Script::default() };
        let sink = SmtpSink::start(script).await;
        let outcome = sink.channel().send(&email("oncall@example.com")).await;
        let Outcome::Failed { error } = outcome else { panic!("{outcome:?}") };
        assert!(error.starts_with("SMTP permanent error (550)"), "{error}");
        assert!(error.contains("Recipient address rejected"), "{error}");
        assert!(sink.mails().is_empty());
    }

    #[tokio::test]
    async fn a_temporary_refusal_is_retried() {
        let script = Script { mail: Some("451 4.3.0 Try again later"), ..Script::default() };
        let sink = SmtpSink::start(script).await;
        let outcome = sink.channel().send(&email("oncall@example.com")).await;
        let Outcome::Retry { error, after } = outcome else { panic!("{outcome:?}") };
        assert!(error.starts_with("SMTP transient error (451)"), "{error}");
        assert!(error.contains("Try again later"), "{error}");
        assert_eq!(after, None);
    }

    #[tokio::test]
    async fn a_closed_port_is_retried() {
        let port = FakeServer::unused_port().await;
        let settings = SmtpSettings {
            host: Some("127.0.0.1".to_owned()),
            port,
            tls: SmtpTls::None,
            password: Some("hunter2-smtp".into()),
            username: Some("tocsin".to_owned()),
            ..SmtpSettings::default()
        };
        let channel = EmailChannel::new(&settings).unwrap().unwrap();
        let outcome = channel.send(&email("oncall@example.com")).await;
        let Outcome::Retry { error, .. } = outcome else { panic!("{outcome:?}") };
        assert!(error.starts_with("SMTP "), "{error}");
        assert!(!error.contains("hunter2"), "{error}");
    }

    #[tokio::test]
    async fn a_relay_that_never_greets_is_retried_after_the_timeout() {
        let sink = SmtpSink::start(Script { silent: true, ..Script::default() }).await;
        let settings = SmtpSettings { timeout_ms: 300, ..sink.settings() };
        let channel = EmailChannel::new(&settings).unwrap().unwrap();
        let started = std::time::Instant::now();
        let outcome = tokio::time::timeout(PATIENCE, channel.send(&email("oncall@example.com"))).await.unwrap();
        assert!(matches!(outcome, Outcome::Retry { .. }), "{outcome:?}");
        assert!(started.elapsed() >= Duration::from_millis(300));
    }

    #[tokio::test]
    async fn a_late_reply_after_a_timeout_is_not_taken_for_the_next_messages_reply() {
        let release = Arc::new(Notify::new());
        let sink = SmtpSink::start(Script { hold_first_reply: Some(Arc::clone(&release)), ..Script::default() }).await;
        // Short enough to keep the test quick, long enough for a loaded CI
        // machine to finish the second message in time.
        let channel = EmailChannel::new(&SmtpSettings { timeout_ms: 1000, ..sink.settings() }).unwrap().unwrap();

        let outcome = channel.send(&email("first@example.com")).await;
        assert_eq!(
            outcome,
            Outcome::Retry { error: "SMTP relay did not confirm within 1000 ms".to_owned(), after: None }
        );
        sink.wait_for_mails(1).await;
        // The relay answers the first message late, on a connection that was
        // closed when the send gave up: that 250 can only belong to it.
        release.notify_one();

        let mut second = email("second@example.com");
        second.delivery_id = 43;
        let outcome = channel.send(&second).await;
        let Outcome::Sent { provider_id, detail, .. } = outcome else { panic!("{outcome:?}") };
        assert_eq!(detail, "SMTP 250 2.0.0 Ok: queued as SINK2");
        assert!(provider_id.unwrap().starts_with("<tocsin-43."));
        let mails = sink.wait_for_mails(2).await;
        assert_eq!(mails[1].rcpt_to, ["second@example.com"]);
        assert_eq!(sink.connections(), 2, "the connection left halfway is not reused");
    }

    #[tokio::test]
    async fn a_connection_the_relay_closed_while_idle_is_replaced_at_once() {
        let sink = SmtpSink::start(Script { hang_up_after_mail: true, ..Script::default() }).await;
        let channel = sink.channel();
        for id in 1..=2 {
            let mut msg = email("oncall@example.com");
            msg.delivery_id = id;
            let outcome = channel.send(&msg).await;
            assert!(matches!(outcome, Outcome::Sent { .. }), "mail {id}: {outcome:?}");
        }
        let mails = sink.wait_for_mails(2).await;
        assert!(mails[1].header("Message-ID").unwrap().contains("tocsin-2."));
        assert_eq!(sink.connections(), 2);
    }

    #[tokio::test]
    async fn an_invalid_recipient_fails_without_contacting_the_relay() {
        let sink = SmtpSink::start(Script::default()).await;
        let outcome = sink.channel().send(&email("not an address")).await;
        let Outcome::Failed { error } = outcome else { panic!("{outcome:?}") };
        assert!(error.contains("invalid recipient address"), "{error}");
        assert_eq!(sink.connections(), 0);
    }

    #[test]
    fn no_host_means_email_is_not_configured() {
        assert!(EmailChannel::new(&SmtpSettings::default()).unwrap().is_none());
        let blank = SmtpSettings { host: Some("  ".to_owned()), ..SmtpSettings::default() };
        assert!(EmailChannel::new(&blank).unwrap().is_none());
    }

    #[tokio::test]
    async fn every_tls_mode_builds_a_channel() {
        for tls in [SmtpTls::None, SmtpTls::Starttls, SmtpTls::Tls] {
            let settings = SmtpSettings { host: Some("smtp.example.com".to_owned()), tls, ..SmtpSettings::default() };
            assert!(EmailChannel::new(&settings).unwrap().is_some(), "{tls:?}");
        }
    }

    #[test]
    fn bad_settings_are_refused_with_a_message_naming_the_setting() {
        let host = Some("smtp.example.com".to_owned());
        let cases = [
            (
                SmtpSettings { host: host.clone(), from: "not a mailbox".to_owned(), ..SmtpSettings::default() },
                "TOCSIN_SMTP__FROM",
            ),
            (SmtpSettings { host: host.clone(), timeout_ms: 0, ..SmtpSettings::default() }, "TOCSIN_SMTP__TIMEOUT_MS"),
            (SmtpSettings { host: host.clone(), pool_size: 0, ..SmtpSettings::default() }, "TOCSIN_SMTP__POOL_SIZE"),
            (SmtpSettings { host: host.clone(), port: 0, ..SmtpSettings::default() }, "TOCSIN_SMTP__PORT"),
            (
                SmtpSettings { host: host.clone(), username: Some("u".to_owned()), ..SmtpSettings::default() },
                "TOCSIN_SMTP__PASSWORD",
            ),
            (
                SmtpSettings { host, password: Some("hunter2-smtp".into()), ..SmtpSettings::default() },
                "TOCSIN_SMTP__USERNAME",
            ),
        ];
        for (settings, needle) in cases {
            let err = EmailChannel::new(&settings).unwrap_err();
            assert!(err.contains(needle), "{err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
    }

    #[tokio::test]
    async fn settings_have_documented_defaults_and_never_show_the_password() {
        let settings: SmtpSettings =
            serde_json::from_value(serde_json::json!({"host": "smtp.example.com", "password": "hunter2-smtp"}))
                .unwrap();
        assert_eq!(settings.port, 587);
        assert_eq!(settings.tls, SmtpTls::Starttls);
        assert_eq!(settings.from, "Tocsin <tocsin@localhost>");
        assert_eq!(settings.timeout_ms, 10_000);
        assert_eq!(settings.pool_size, 8);
        assert_eq!(settings.password.as_ref().map(ExposeSecret::expose_secret), Some("hunter2-smtp"));
        let serialized = serde_json::to_string(&settings).unwrap();
        assert!(!serialized.contains("hunter2") && !serialized.contains("password"), "{serialized}");
        assert!(!format!("{settings:?}").contains("hunter2"));
        let channel = EmailChannel::new(&SmtpSettings { username: Some("u".to_owned()), ..settings }).unwrap().unwrap();
        assert!(!format!("{channel:?}").contains("hunter2"));
        let tls: SmtpTls = serde_json::from_value(serde_json::json!("tls")).unwrap();
        assert_eq!(tls, SmtpTls::Tls);
    }
}

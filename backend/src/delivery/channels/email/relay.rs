//! Connections to the SMTP relay: opened here with TCP_NODELAY, kept for the
//! next mail.
//!
//! lettre's client writes a message and the end-of-data marker ("\r\n.\r\n")
//! as two writes. With Nagle's algorithm on, as lettre's own pool leaves it,
//! the small marker waits until the relay acknowledges the message, and Linux
//! (like most systems) delays that ACK by up to 40 ms: every mail took ~40 ms
//! longer than the relay needed, which capped a connection at ~25 mails a
//! second. lettre lets a caller supply the socket, so the sockets are opened
//! here, and the few lines of pooling it did for us come along.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
#[allow(deprecated)] // the stream type lettre upgrades to TLS; see `ImplicitTls`
use lettre::transport::smtp::client::AsyncNetworkStream;
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// When idle connections are reused, checked first, or closed.
#[derive(Debug, Clone, Copy)]
pub(super) struct IdlePolicy {
    /// A connection unused for longer than this is asked NOOP before it
    /// carries a mail; one used just now is taken as it is, saving a round
    /// trip per mail under load.
    pub(super) check_after: Duration,
    /// A connection unused for longer than this is closed instead of reused:
    /// relays drop idle clients after a while (Postfix after 300 s), and a
    /// mail should not be the one to find out.
    pub(super) limit: Duration,
}

impl Default for IdlePolicy {
    fn default() -> Self {
        Self { check_after: Duration::from_secs(2), limit: Duration::from_secs(60) }
    }
}

/// How long the NOOP may take before the connection is given up for a new
/// one; a relay that is there answers NOOP at once.
const NOOP_PATIENCE: Duration = Duration::from_secs(2);

/// How the connection is secured.
#[derive(Clone)]
pub(super) enum Security {
    /// Plain text throughout.
    Plain,
    /// STARTTLS, required: a relay that does not offer it gets nothing.
    Starttls(TlsParameters),
    /// TLS from the first byte.
    Implicit(TlsParameters),
}

/// Why a mail could not be handed over.
#[derive(Debug)]
pub(super) enum RelayError {
    /// The TCP connection could not be opened.
    Connect(io::Error),
    /// Anything after that: TLS, AUTH, or the relay's reply to a command.
    Smtp(lettre::transport::smtp::Error),
}

impl From<lettre::transport::smtp::Error> for RelayError {
    fn from(err: lettre::transport::smtp::Error) -> Self {
        Self::Smtp(err)
    }
}

/// Where mail goes and how to get there.
pub(super) struct RelaySettings {
    pub(super) host: String,
    pub(super) port: u16,
    pub(super) security: Security,
    pub(super) credentials: Option<Credentials>,
    /// Bounds opening the TCP connection; the whole dialogue is bounded by
    /// the caller.
    pub(super) connect_timeout: Duration,
    /// Idle connections kept at most.
    pub(super) keep: usize,
    pub(super) idle: IdlePolicy,
}

/// The relay and the idle connections to it. A sweeper closes those idle
/// past the limit even when no mail comes, so a quiet hub does not hold
/// sockets the relay has long given up on.
pub(super) struct Relay {
    settings: RelaySettings,
    hello: ClientId,
    idle: Arc<Mutex<Parked>>,
}

/// The idle connections, most recently used last, and whether a sweeper is
/// watching them.
#[derive(Default)]
struct Parked {
    connections: Vec<Idle>,
    swept: bool,
}

struct Idle {
    connection: AsyncSmtpConnection,
    since: Instant,
}

impl Relay {
    pub(super) fn new(settings: RelaySettings) -> Self {
        Self { settings, hello: ClientId::default(), idle: Arc::default() }
    }

    /// Sends one mail on an idle connection or a new one. The connection goes
    /// back for the next mail only when the dialogue ended cleanly, so
    /// dropping this future halfway (a timeout) closes it instead: a relay's
    /// late reply can never be read as the answer to another mail's command.
    pub(super) async fn send(&self, envelope: &Envelope, email: &[u8]) -> Result<Response, RelayError> {
        let (mut connection, reused) = self.checkout().await?;
        let mut result = connection.send(envelope, email).await;
        if reused && matches!(&result, Err(err) if closed_while_idle(err)) {
            // The relay hung up while the connection sat idle: the mail goes
            // out on a new connection rather than waiting for a retry.
            connection = self.connect().await?;
            result = connection.send(envelope, email).await;
        }
        self.checkin(connection);
        Ok(result?)
    }

    /// An idle connection that looks alive (and `true`), else a new one.
    async fn checkout(&self) -> Result<(AsyncSmtpConnection, bool), RelayError> {
        loop {
            let parked = lock(&self.idle).connections.pop();
            let Some(Idle { mut connection, since }) = parked else {
                return Ok((self.connect().await?, false));
            };
            let unused = since.elapsed();
            // Dropping closes the socket; a polite QUIT could wait on a relay
            // that is no longer there.
            if unused > self.settings.idle.limit {
                continue;
            }
            if unused > self.settings.idle.check_after {
                let answered = tokio::time::timeout(NOOP_PATIENCE, connection.test_connected()).await;
                if answered != Ok(true) {
                    continue;
                }
            }
            return Ok((connection, true));
        }
    }

    fn checkin(&self, connection: AsyncSmtpConnection) {
        // lettre marks a connection broken when a command failed; it has
        // already said QUIT on it.
        if connection.has_broken() {
            return;
        }
        let limit = self.settings.idle.limit;
        let mut parked = lock(&self.idle);
        parked.connections.retain(|idle| idle.since.elapsed() <= limit);
        if parked.connections.len() < self.settings.keep {
            parked.connections.push(Idle { connection, since: Instant::now() });
            if !parked.swept {
                parked.swept = true;
                tokio::spawn(sweep(Arc::downgrade(&self.idle), limit));
            }
        }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, RelayError> {
        let settings = &self.settings;
        let tcp = open_socket(&settings.host, settings.port, settings.connect_timeout).await?;
        let mut connection = match &settings.security {
            Security::Plain => AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello).await?,
            Security::Starttls(parameters) => {
                let mut connection = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello).await?;
                connection.starttls(parameters.clone(), &self.hello).await?;
                connection
            }
            Security::Implicit(parameters) => {
                #[allow(deprecated)]
                let mut stream = AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
                stream.upgrade_tls(parameters.clone()).await?;
                AsyncSmtpConnection::connect_with_transport(Box::new(ImplicitTls(stream)), &self.hello).await?
            }
        };
        if let Some(credentials) = &settings.credentials {
            connection.auth(DEFAULT_MECHANISMS, credentials).await?;
        }
        Ok(connection)
    }
}

/// Closes idle connections as they pass the limit, sleeping until the oldest
/// one does; ends when none is left (the next check-in starts another) or the
/// relay is gone.
async fn sweep(idle: Weak<Mutex<Parked>>, limit: Duration) {
    loop {
        let wait = {
            let Some(idle) = idle.upgrade() else { return };
            let mut parked = lock(&idle);
            // Dropping closes the socket, as in `checkout`.
            parked.connections.retain(|idle| idle.since.elapsed() <= limit);
            // The oldest comes first: connections are parked as they are used.
            match parked.connections.first() {
                Some(oldest) => limit.saturating_sub(oldest.since.elapsed()),
                None => {
                    parked.swept = false;
                    return;
                }
            }
        };
        tokio::time::sleep(wait + Duration::from_millis(1)).await;
    }
}

fn lock(idle: &Mutex<Parked>) -> std::sync::MutexGuard<'_, Parked> {
    // A panic while the list was held cannot leave it inconsistent: it only
    // ever gains or loses whole entries.
    idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether a failure on a reused connection looks like the relay had closed
/// it while it was idle: it says 421 and hangs up (Postfix after its idle
/// timeout), or just hangs up. A 421 means the mail was not taken. A hang-up
/// without a reply could also come after the data went out, and then the
/// relay may have the mail: sending it again is what the retry would do
/// anyway, only sooner (delivery is at least once).
fn closed_while_idle(err: &lettre::transport::smtp::Error) -> bool {
    match err.status() {
        Some(code) => u16::from(code) == 421,
        None => !(err.is_client() || err.is_tls() || err.is_timeout()),
    }
}

/// A TCP connection to the relay with Nagle's algorithm off.
async fn open_socket(host: &str, port: u16, limit: Duration) -> Result<TcpStream, RelayError> {
    let tcp = match tokio::time::timeout(limit, TcpStream::connect((host, port))).await {
        Ok(connected) => connected.map_err(RelayError::Connect)?,
        Err(_) => return Err(RelayError::Connect(io::Error::new(io::ErrorKind::TimedOut, "connection timed out"))),
    };
    tcp.set_nodelay(true).map_err(RelayError::Connect)?;
    Ok(tcp)
}

/// lettre's TLS stream (implementing the `futures` I/O traits) seen as the
/// Tokio stream its connection takes: lettre opens implicit-TLS connections
/// only on sockets of its own, so the TLS layer is set up on ours first and
/// handed over like a plain socket.
#[allow(deprecated)]
#[derive(Debug)]
struct ImplicitTls(AsyncNetworkStream);

#[allow(deprecated)]
impl AsyncRead for ImplicitTls {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let read = futures_io::AsyncRead::poll_read(Pin::new(&mut self.0), cx, buf.initialize_unfilled());
        read.map_ok(|n| buf.advance(n))
    }
}

#[allow(deprecated)]
impl AsyncWrite for ImplicitTls {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        futures_io::AsyncWrite::poll_write(Pin::new(&mut self.0), cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures_io::AsyncWrite::poll_flush(Pin::new(&mut self.0), cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures_io::AsyncWrite::poll_close(Pin::new(&mut self.0), cx)
    }
}

#[allow(deprecated)]
impl AsyncTokioStream for ImplicitTls {
    fn peer_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.0.peer_addr()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use lettre::Message;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;
    use crate::delivery::channels::email::tests::{Script, SmtpSink};

    fn relay_to(sink: &SmtpSink, idle: IdlePolicy) -> Relay {
        Relay::new(RelaySettings {
            host: "127.0.0.1".to_owned(),
            port: sink.port(),
            security: Security::Plain,
            credentials: None,
            connect_timeout: Duration::from_secs(10),
            keep: 8,
            idle,
        })
    }

    async fn send_two(relay: &Relay) {
        for n in 1..=2 {
            let mail = Message::builder()
                .from("tocsin@example.com".parse().unwrap())
                .to("oncall@example.com".parse().unwrap())
                .subject(format!("mail {n}"))
                .body(String::from("hello"))
                .unwrap();
            relay.send(mail.envelope(), &mail.formatted()).await.unwrap();
        }
    }

    #[tokio::test]
    async fn a_connection_used_just_now_carries_the_next_mail_without_a_noop() {
        let sink = SmtpSink::start(Script::default()).await;
        let relay = relay_to(&sink, IdlePolicy { check_after: Duration::from_secs(3600), ..IdlePolicy::default() });
        send_two(&relay).await;
        assert_eq!((sink.connections(), sink.noops()), (1, 0));
    }

    #[tokio::test]
    async fn a_connection_idle_for_a_while_is_asked_noop_first() {
        let sink = SmtpSink::start(Script::default()).await;
        let relay = relay_to(&sink, IdlePolicy { check_after: Duration::ZERO, ..IdlePolicy::default() });
        send_two(&relay).await;
        assert_eq!((sink.connections(), sink.noops()), (1, 1));
    }

    #[tokio::test]
    async fn a_connection_idle_past_the_limit_is_closed_rather_than_reused() {
        let sink = SmtpSink::start(Script::default()).await;
        let relay = relay_to(&sink, IdlePolicy { check_after: Duration::ZERO, limit: Duration::ZERO });
        send_two(&relay).await;
        assert_eq!((sink.connections(), sink.noops()), (2, 0));
        assert_eq!(sink.wait_for_mails(2).await.len(), 2);
    }

    #[tokio::test]
    async fn an_idle_connection_is_closed_at_the_limit_without_waiting_for_another_mail() {
        let sink = SmtpSink::start(Script::default()).await;
        // Long enough that the second mail still finds the first connection
        // on a busy machine; short enough to wait for.
        let relay = relay_to(&sink, IdlePolicy { limit: Duration::from_millis(500), ..IdlePolicy::default() });
        send_two(&relay).await;
        assert_eq!(sink.connections(), 1);
        sink.wait_for_closed(1).await;
        // The sweeper ended with the list empty; the next mail starts another.
        send_two(&relay).await;
        sink.wait_for_closed(2).await;
        assert_eq!(sink.connections(), 2);
    }

    #[tokio::test]
    async fn sockets_to_the_relay_send_small_writes_at_once() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let tcp = open_socket("127.0.0.1", port, Duration::from_secs(10)).await.unwrap();
        assert!(tcp.nodelay().unwrap(), "Nagle's algorithm must be off");
    }

    #[tokio::test]
    async fn the_tls_adapter_passes_bytes_both_ways() {
        // The adapter is the same whether lettre's stream carries TLS or not;
        // without TLS the bytes can be checked on the other side.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let peer = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut greeting = [0_u8; 5];
            socket.read_exact(&mut greeting).await.unwrap();
            socket.write_all(b"pong!").await.unwrap();
            greeting
        });
        let tcp = open_socket("127.0.0.1", port, Duration::from_secs(10)).await.unwrap();
        #[allow(deprecated)]
        let mut adapted = ImplicitTls(AsyncNetworkStream::use_existing_tokio1(Box::new(tcp)));
        adapted.write_all(b"ping!").await.unwrap();
        adapted.flush().await.unwrap();
        let mut reply = [0_u8; 5];
        adapted.read_exact(&mut reply).await.unwrap();
        assert_eq!(&reply, b"pong!");
        assert_eq!(&peer.await.unwrap(), b"ping!");
        assert_eq!(adapted.peer_addr().unwrap().port(), port);
        adapted.shutdown().await.unwrap();
    }

    #[tokio::test]
    async fn a_connection_that_cannot_be_opened_says_so() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let err = open_socket("127.0.0.1", port, Duration::from_secs(10)).await.unwrap_err();
        assert!(matches!(err, RelayError::Connect(ref io) if io.kind() == io::ErrorKind::ConnectionRefused), "{err:?}");
    }
}

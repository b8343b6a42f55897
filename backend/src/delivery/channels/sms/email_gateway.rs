//! Email-to-SMS gateways: the text mailed to `<digits>@<domain>` through the
//! SMTP relay (`channels::email`).

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::{Gateway, Number, Setup, SmsProvider, Tools};
use crate::delivery::channels::email::Mail;
use crate::delivery::message::{Outcome, OutgoingMessage};

/// Email-to-SMS gateway settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EmailGatewaySettings {
    /// Messages go to `<E.164 digits without +>@<domain>`.
    pub domain: String,
}

/// The email gateway, ready to send.
pub(super) struct EmailGateway {
    domain: String,
}

impl EmailGateway {
    pub(super) fn prepare(settings: &EmailGatewaySettings, setup: &Setup) -> Result<Self, String> {
        let domain = setup.required("domain", &settings.domain)?;
        if domain.contains(['@', ' ', '<', '>']) || lettre::Address::new("0", &domain).is_err() {
            return Err(format!("sms.email_gateway.domain {domain:?} is not a mail domain"));
        }
        if !setup.has_email {
            return Err("the email_gateway SMS provider sends through SMTP, which is not configured \
                        (TOCSIN_SMTP__HOST)"
                .to_owned());
        }
        Ok(Self { domain: domain.to_ascii_lowercase() })
    }

    async fn mail(&self, tools: &Tools, msg: &OutgoingMessage, number: &Number<'_>) -> Outcome {
        let Some(email) = &tools.email else {
            return Outcome::Failed { error: "the email gateway needs SMTP to be configured".to_owned() };
        };
        let to = format!("{}@{}", number.digits, self.domain);
        // No subject: many gateways put it in front of the text, and the
        // text is all the recipient should get.
        email.send_mail(msg, Mail { to: &to, subject: None, body: &msg.sms_text }).await
    }
}

impl Gateway for EmailGateway {
    fn provider(&self) -> SmsProvider {
        SmsProvider::EmailGateway
    }

    fn send<'a>(
        &'a self,
        tools: &'a Tools,
        msg: &'a OutgoingMessage,
        number: &'a Number<'a>,
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(self.mail(tools, msg, number))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::test_support::*;
    use super::super::{SmsChannel, SmsProvider};
    use crate::delivery::channels::email::tests::{Script, SmtpSink};
    use crate::delivery::message::Outcome;

    #[tokio::test]
    async fn the_email_gateway_mails_the_text_to_the_digits_at_the_domain() {
        let sink = SmtpSink::start(Script::default()).await;
        let settings = settings(SmsProvider::EmailGateway, "http://unused.example");
        let channel =
            SmsChannel::new(&settings, loopback_client(TIMEOUT), Some(sink.channel()), keyring()).unwrap().unwrap();
        let outcome = channel.send(&sms()).await;
        let Outcome::Sent { provider_id, detail, .. } = outcome else { panic!("{outcome:?}") };
        assert!(provider_id.unwrap().starts_with("<tocsin-42."));
        assert!(detail.starts_with("SMTP 250"), "{detail}");
        let mail = &sink.wait_for_mails(1).await[0];
        assert_eq!(mail.rcpt_to, ["447700900123@sms.example.net"]);
        assert_eq!(mail.header("To").as_deref(), Some("447700900123@sms.example.net"));
        assert_eq!(mail.header("Subject"), None);
        assert_eq!(mail.body().trim_end(), "db-1 disk full");
    }

    #[tokio::test]
    async fn an_email_gateway_refusal_fails() {
        let sink = SmtpSink::start(Script { rcpt: Some("550 5.1.1 No such subscriber"), ..Script::default() }).await;
        let settings = settings(SmsProvider::EmailGateway, "http://unused.example");
        let channel =
            SmsChannel::new(&settings, loopback_client(TIMEOUT), Some(sink.channel()), keyring()).unwrap().unwrap();
        let outcome = channel.send(&sms()).await;
        let Outcome::Failed { error } = outcome else { panic!("{outcome:?}") };
        assert!(error.starts_with("email_gateway: SMTP permanent error (550)"), "{error}");
    }
}

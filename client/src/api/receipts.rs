//! Delivery receipts of SMS providers. Providers call these themselves; the
//! methods exist for completeness and for testing a gateway setup.

use crate::operations::{TWILIO_RECEIPT, VONAGE_RECEIPT, VONAGE_RECEIPT_BY_GET};
use crate::{Client, Error};

impl Client {
    /// Posts a Twilio status callback (`MessageSid`, `MessageStatus`, …)
    /// signed with `signature` (`X-Twilio-Signature`).
    pub async fn twilio_receipt(&self, fields: &[(&str, &str)], signature: &str) -> Result<(), Error> {
        self.call(&TWILIO_RECEIPT, &[]).header("X-Twilio-Signature", signature).form(fields).no_content().await
    }

    /// Posts a Vonage delivery receipt (`messageId`, `status`, …) as a form.
    pub async fn vonage_receipt(&self, fields: &[(&str, &str)]) -> Result<(), Error> {
        self.call(&VONAGE_RECEIPT, &[]).form(fields).no_content().await
    }

    /// Sends a Vonage delivery receipt in the query string, as Vonage does when
    /// set to call back with GET.
    pub async fn vonage_receipt_by_get(&self, fields: &[(&str, &str)]) -> Result<(), Error> {
        self.call(&VONAGE_RECEIPT_BY_GET, &[]).query(fields).no_content().await
    }
}

//! The lifecycle's states (`domain/lifecycle.rs`) as text columns: the one
//! place that writes them to and reads them from the database, for both
//! backends. A word the database holds that names no state is an error, not a
//! guess.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

use crate::domain::lifecycle::{
    CallbackKind, CallbackOutcome, DeliveryKind, DeliveryStatus, NotificationState, ReceiptStatus,
};

macro_rules! text_column {
    ($($name:ident),+) => {$(
        impl<DB: Backend> ToSql<Text, DB> for $name
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB: Backend> FromSql<Text, DB> for $name
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                Ok($name::try_from(text)?)
            }
        }
    )+};
}

text_column!(DeliveryStatus, DeliveryKind, NotificationState, ReceiptStatus, CallbackKind, CallbackOutcome);

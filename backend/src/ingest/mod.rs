//! Ingest: every sender's request becomes one [`FireCommand`] for the fire
//! path (`crate::delivery::intake`), whatever the sender speaks.
//!
//! One module per sender. Each owns what is particular to it — reading its
//! payload, checking it, and the answers its callers expect on refusal — and
//! nothing else: authentication and the fire itself are shared. A new sender
//! is a new module here and its route in `crate::http` (see docs/EXTENDING.md).
//!
//! - [`native`]: Tocsin's own JSON (`/api/v1/events/{slug}/fire`, `…/notify`);
//! - [`redflash`]: RedFlash's form posts (`event/<slug>/`, `contact/<slug>/`…).
//!
//! [`FireCommand`]: crate::delivery::intake::FireCommand

pub mod native;
pub mod redflash;

//! The words a request's life is told in, as types: a request's status, the events in its
//! history, where the volunteers who carry it stand, the texts it causes, and why a conversation
//! with the line ended. Each is stored as the same TEXT it always was (so no migration), bound as a value
//! rather than spelled in SQL, and read back strictly: a word the code does not know is an error,
//! never quietly taken for something else.

mod channel;
mod event;
mod offer;
mod outbound;
mod recording;
mod relay;
mod request;
mod session;
mod volunteer;

pub use channel::Channel;
pub use event::EventKind;
pub use offer::OfferAnswer;
pub use outbound::{DeliveryState, OutboundKind};
pub use recording::RecordingState;
pub use relay::{RelaySide, RelayState};
pub use request::{DispatcherStatus, RequestStatus};
pub use session::SessionEnd;
pub use volunteer::VolunteerStatus;

/// A stored word that names none of a type's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a known {what}")]
pub struct UnknownWord {
    pub what: &'static str,
    pub value: String,
}

/// Gives an enum of unit variants its stored word: `as_str`, `ALL` and an exact `FromStr`, and
/// with them what [`stored_word`] gives.
macro_rules! stored_as_text {
    ($type:ident, $what:literal, { $($variant:ident => $word:literal),+ $(,)? }) => {
        impl $type {
            pub const ALL: &'static [$type] = &[$($type::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($type::$variant => $word),+
                }
            }
        }

        impl std::str::FromStr for $type {
            type Err = $crate::lifecycle::UnknownWord;

            fn from_str(s: &str) -> Result<$type, Self::Err> {
                match s {
                    $($word => Ok($type::$variant),)+
                    _ => Err($crate::lifecycle::UnknownWord { what: $what, value: s.to_string() }),
                }
            }
        }

        $crate::lifecycle::stored_word!($type);
    };
}
pub(crate) use stored_as_text;

/// For a type with `as_str` and `FromStr`: `Display`, serde's `Serialize` as the word, and sqlx
/// encoding and decoding as TEXT.
macro_rules! stored_word {
    ($type:ident) => {
        impl std::fmt::Display for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl sqlx::Type<sqlx::Any> for $type {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <str as sqlx::Type<sqlx::Any>>::type_info()
            }

            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
                <str as sqlx::Type<sqlx::Any>>::compatible(ty)
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Any> for $type {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<'q, sqlx::Any>>::encode(self.as_str(), buf)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Any> for $type {
            fn decode(
                value: <sqlx::Any as sqlx::Database>::ValueRef<'r>,
            ) -> Result<$type, sqlx::error::BoxDynError> {
                let word = <&str as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
                Ok(word.parse::<$type>()?)
            }
        }
    };
}
pub(crate) use stored_word;

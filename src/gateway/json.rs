//! JSON payloads (Telnyx, Bandwidth, Vonage's Messages API, the Android gateways). Each provider reads its body into shapes whose fields are all
//! optional, so a field it adds or drops never fails a webhook by itself; the fields we rely on are
//! then required one by one, and a missing one is named.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use super::PayloadError;

/// Reads a webhook body as JSON of the shape `T`. Only the position of a problem is reported:
/// serde's own message quotes the offending value, which may be a phone number or a text.
pub fn body<T: DeserializeOwned>(body: &[u8]) -> Result<T, PayloadError> {
    serde_json::from_slice(body).map_err(|e| {
        let problem = match e.classify() {
            Category::Data => "does not have the documented shape",
            Category::Io | Category::Syntax | Category::Eof => "is not valid JSON",
        };
        PayloadError::invalid(
            "body",
            format!("{problem} (line {}, column {})", e.line(), e.column()),
        )
    })
}

/// A field the payload must carry; absent and blank both count as missing.
pub fn required<'a>(field: &'static str, value: Option<&'a str>) -> Result<&'a str, PayloadError> {
    value
        .filter(|v| !v.trim().is_empty())
        .ok_or(PayloadError::Missing(field))
}

/// A provider's error code, which some send as a number and others as a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code(pub String);

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(i64),
        }
        Ok(Code(match Raw::deserialize(d)? {
            Raw::Text(text) => text,
            Raw::Number(n) => n.to_string(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_code_reads_the_same_as_a_number_or_a_string() {
        let codes: Vec<Code> = serde_json::from_str(r#"[40300, "40300"]"#).unwrap();
        assert_eq!(codes, [Code("40300".into()), Code("40300".into())]);
    }

    #[test]
    fn a_broken_body_is_reported_without_quoting_it() {
        // serde alone would say: invalid type: string "+15557650000", expected u32.
        let error = body::<Vec<u32>>(br#"["+15557650000"]"#).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("`body`"), "{message}");
        assert!(!message.contains("5557650000"), "{message}");
        assert!(body::<Vec<String>>(b"[").is_err());
    }
}

//! The Vonage application's private key. The dashboard hands it out as PKCS#8 PEM
//! (`BEGIN PRIVATE KEY`); the JWT library signs with a bare PKCS#1 RSA key, so the PKCS#8 wrapper
//! is taken off here. A PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`) is taken as it is.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
/// The object identifier of rsaEncryption (1.2.840.113549.1.1.1), tag and length included.
const RSA_ENCRYPTION: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
];

/// A key the send tokens are signed with.
pub struct SigningKey(EncodingKey);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[private key]")
    }
}

impl SigningKey {
    /// Reads a PEM private key; the error says what is wrong with it.
    pub fn from_pem(pem: &str) -> Result<SigningKey, &'static str> {
        if pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
            return Err("is encrypted: give the key without a passphrase");
        }
        let der = if let Some(der) = pem_block(pem, "RSA PRIVATE KEY")? {
            der
        } else if let Some(der) = pem_block(pem, "PRIVATE KEY")? {
            pkcs1_in(&der).ok_or("is not an RSA key")?.to_vec()
        } else {
            return Err("is not a PEM private key (-----BEGIN PRIVATE KEY----- …)");
        };
        let key = SigningKey(EncodingKey::from_rsa_der(&der));
        // Signing once here turns a damaged key into a startup error instead of failed sends.
        encode(
            &Header::new(Algorithm::RS256),
            &serde_json::json!({}),
            &key.0,
        )
        .map_err(|_| "is not a usable RSA private key")?;
        Ok(key)
    }

    pub fn encoding_key(&self) -> &EncodingKey {
        &self.0
    }
}

/// The bytes of the PEM block labelled `label`, if there is one.
fn pem_block(pem: &str, label: &str) -> Result<Option<Vec<u8>>, &'static str> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let Some(start) = pem.find(&begin) else {
        return Ok(None);
    };
    let rest = &pem[start + begin.len()..];
    let stop = rest.find(&end).ok_or("has no END line")?;
    // A key pasted into an environment variable often has its line breaks written as `\n`.
    let base64: String = rest[..stop]
        .replace("\\n", "")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    BASE64
        .decode(base64)
        .map(Some)
        .map_err(|_| "is not base64 between its BEGIN and END lines")
}

/// The PKCS#1 key inside a PKCS#8 `PrivateKeyInfo`, which is
/// SEQUENCE { version INTEGER, algorithm SEQUENCE { OID, parameters }, key OCTET STRING }.
fn pkcs1_in(pkcs8: &[u8]) -> Option<&[u8]> {
    let (info, _) = element(pkcs8, SEQUENCE)?;
    let (_version, rest) = element(info, INTEGER)?;
    let (algorithm, rest) = element(rest, SEQUENCE)?;
    if !algorithm.starts_with(RSA_ENCRYPTION) {
        return None;
    }
    let (key, _) = element(rest, OCTET_STRING)?;
    Some(key)
}

/// The contents of the DER element tagged `tag` at the start of `input`, and what follows it.
fn element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&found, rest) = input.split_first()?;
    if found != tag {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        // Long form: the low bits say how many length bytes follow.
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let (len_bytes, rest) = rest.split_at(count);
        let len = len_bytes
            .iter()
            .fold(0, |len, b| (len << 8) | usize::from(*b));
        (len, rest)
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PKCS8: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/vonage_test_key.pem"
    ));
    const PKCS1: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/vonage_test_key_pkcs1.pem"
    ));

    #[test]
    fn a_pkcs8_key_unwraps_to_the_same_rsa_key_as_its_pkcs1_form() {
        let pkcs8 = pem_block(PKCS8, "PRIVATE KEY").unwrap().unwrap();
        let pkcs1 = pem_block(PKCS1, "RSA PRIVATE KEY").unwrap().unwrap();
        assert_eq!(pkcs1_in(&pkcs8).unwrap(), pkcs1.as_slice());
        assert!(SigningKey::from_pem(PKCS8).is_ok());
        assert!(SigningKey::from_pem(PKCS1).is_ok());
    }

    #[test]
    fn a_key_with_escaped_line_breaks_is_read() {
        assert!(SigningKey::from_pem(&PKCS8.replace('\n', "\\n")).is_ok());
    }

    #[test]
    fn what_is_not_a_usable_key_is_refused_with_a_reason() {
        assert_eq!(
            SigningKey::from_pem("hello").unwrap_err(),
            "is not a PEM private key (-----BEGIN PRIVATE KEY----- …)"
        );
        assert_eq!(
            SigningKey::from_pem("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMII=").unwrap_err(),
            "is encrypted: give the key without a passphrase"
        );
        assert_eq!(
            SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\nMIIE").unwrap_err(),
            "has no END line"
        );
        let truncated = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----";
        assert_eq!(
            SigningKey::from_pem(truncated).unwrap_err(),
            "is not an RSA key"
        );
        let not_rsa = PKCS1.replace("MIIE", "MIIF");
        assert!(SigningKey::from_pem(&not_rsa).is_err());
    }
}

//! Request codes: short, random, and easy to read off a small phone.

use rand::Rng;

/// Letters and digits that are hard to misread or mistype on a small phone (no I/O/0/1).
const CODE_LETTERS: &[u8] = b"ACDEFGHJKLMNPQRTUVWXY";
const CODE_DIGITS: &[u8] = b"23456789";

/// A code for an open request: a letter and `digits` digits (`A7`, `K42`).
pub(super) fn random_code(digits: u32) -> String {
    let mut rng = rand::rng();
    let mut code = String::new();
    code.push(CODE_LETTERS[rng.random_range(0..CODE_LETTERS.len())] as char);
    for _ in 0..digits {
        code.push(CODE_DIGITS[rng.random_range(0..CODE_DIGITS.len())] as char);
    }
    code
}

/// The fewest digits that leave at least three of every four codes free, so a random pick
/// rarely collides: one digit (168 codes) while few requests are open, more as the queue grows.
pub(super) fn code_digits(open_requests: i64) -> u32 {
    let mut digits = 1;
    while (CODE_LETTERS.len() as i64) * (CODE_DIGITS.len() as i64).pow(digits) < open_requests * 4 {
        digits += 1;
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_stay_two_characters_until_the_queue_is_long() {
        assert_eq!(code_digits(0), 1);
        assert_eq!(code_digits(42), 1);
        assert_eq!(code_digits(43), 2);
        assert_eq!(code_digits(3000), 4);
        let code = random_code(1);
        assert_eq!(code.len(), 2);
        assert!(CODE_LETTERS.contains(&code.as_bytes()[0]));
        assert!(CODE_DIGITS.contains(&code.as_bytes()[1]));
    }
}

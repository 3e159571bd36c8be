//! The replies a turn expected beside the ones it got, as a diff an organiser can read: `-` for a
//! reply expected and not sent, `+` for one sent and not expected, two spaces for one both share.
//! A turn has a handful of replies, so the longest common run is found the plain way.

pub fn replies(expected: &[String], got: &[String]) -> String {
    let (n, m) = (expected.len(), got.len());
    // common[i][j]: how many replies the rest of both lists share, from i and j on.
    let mut common = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            common[i][j] = if expected[i] == got[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && expected[i] == got[j] {
            out.push(format!("    {}", expected[i]));
            (i, j) = (i + 1, j + 1);
        } else if j == m || (i < n && common[i + 1][j] >= common[i][j + 1]) {
            out.push(format!("  - {}", expected[i]));
            i += 1;
        } else {
            out.push(format!("  + {}", got[j]));
            j += 1;
        }
    }
    if out.is_empty() {
        out.push("    (no reply)".into());
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn a_reworded_reply_shows_as_one_taken_out_and_one_put_in() {
        let diff = replies(
            &lines(&["Thanks!", "What do you need?"]),
            &lines(&["Thanks!", "What do you need today?"]),
        );
        assert_eq!(
            diff,
            "    Thanks!\n  - What do you need?\n  + What do you need today?"
        );
    }

    #[test]
    fn a_missing_reply_and_an_extra_one_are_told_apart() {
        assert_eq!(replies(&lines(&["Bye"]), &[]), "  - Bye");
        assert_eq!(replies(&[], &lines(&["Hello"])), "  + Hello");
        assert_eq!(replies(&[], &[]), "    (no reply)");
    }
}

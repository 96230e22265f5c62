//! Message content (RFC 5321 §4.1.1.4, §4.5.2): where `DATA` ends, and how its bytes reach an
//! upstream that may read line endings more loosely than the filter does.
//!
//! Only `CRLF.CRLF` ends the data. A `.` that a lenient reader could take for the start of a line
//! (after a bare CR or a bare LF), or a `.` at a CRLF line start followed by a bare CR or LF, is
//! doubled on the way out, so no upstream can find an end of data the filter did not find
//! (SMTP smuggling, CVE-2023-51764/5/6).

/// Where the scanner stands in the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a line reached through CRLF (or the start of the data): a `.` here is
    /// significant.
    LineStart,
    /// Just after a bare LF or a bare CR: a `.` here is where a lenient reader starts a line.
    LenientStart,
    /// Inside a line.
    Mid,
    /// The previous byte was a CR (already passed on); the next byte tells CRLF from a bare CR.
    Cr,
    /// A `.` at a CRLF line start, held back until the next byte tells what it is.
    Dot,
    /// `.` then CR at a CRLF line start, both held back.
    DotCr,
}

/// What [`DataScanner::feed`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scanned {
    /// Bytes of the input consumed (all of it, unless the end of data came first).
    pub consumed: usize,
    /// The end of data (`CRLF.CRLF`) was reached; its `.CRLF` is the last thing written.
    pub end: bool,
}

/// Finds the end of `DATA` content and writes the content out with ambiguous dots doubled.
///
/// Memory is constant: at most two bytes (`.` and CR) are held back between calls.
#[derive(Debug, Clone)]
pub struct DataScanner {
    state: State,
    /// Dots doubled so far.
    neutralised: usize,
    /// Octets in the current line so far (counted up to the next LF).
    line_len: usize,
    /// The longest line seen, LF included.
    longest_line: usize,
}

impl Default for DataScanner {
    fn default() -> Self {
        Self::new()
    }
}

impl DataScanner {
    /// A scanner at the start of the content (just after the `354` reply).
    pub fn new() -> Self {
        Self {
            state: State::LineStart,
            neutralised: 0,
            line_len: 0,
            longest_line: 0,
        }
    }

    /// How many dots were doubled so far.
    pub fn neutralised(&self) -> usize {
        self.neutralised
    }

    /// The longest line seen so far, in octets including its line ending.
    pub fn longest_line(&self) -> usize {
        self.longest_line.max(self.line_len)
    }

    /// Scans `input`, writing what may be passed on to `out`. Stops right after the end of data.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Scanned {
        self.run(input, out)
    }

    /// Scans `input` without writing anything: to find the end of data of content that is held.
    pub fn scan(&mut self, input: &[u8]) -> Scanned {
        self.run(input, &mut Discard)
    }

    fn run<O: Out>(&mut self, input: &[u8], out: &mut O) -> Scanned {
        let mut i = 0;
        while let Some(rest) = input.get(i..).filter(|r| !r.is_empty()) {
            if self.state == State::Mid {
                // Inside a line only CR and LF matter: pass the run up to the next one at once.
                let run = rest
                    .iter()
                    .position(|&b| b == b'\r' || b == b'\n')
                    .unwrap_or(rest.len());
                if run > 0 {
                    out.extend(rest.get(..run).unwrap_or_default());
                    self.line_len += run;
                    i += run;
                    continue;
                }
            }
            let Some(&b) = rest.first() else { break };
            i += 1;
            self.line_len += 1;
            if b == b'\n' {
                self.longest_line = self.longest_line.max(self.line_len);
                self.line_len = 0;
            }
            if self.step(b, out) {
                return Scanned {
                    consumed: i,
                    end: true,
                };
            }
        }
        Scanned {
            consumed: input.len(),
            end: false,
        }
    }

    /// One byte; returns true at the end of data.
    fn step<O: Out>(&mut self, b: u8, out: &mut O) -> bool {
        self.state = match (self.state, b) {
            (State::LineStart, b'.') => State::Dot,
            (State::LenientStart, b'.') => {
                self.neutralised += 1;
                out.extend(b"..");
                State::Mid
            }
            (State::Cr, b'.') => {
                // The CR before was bare: a lenient reader starts a line here.
                self.neutralised += 1;
                out.extend(b"..");
                State::Mid
            }
            (State::Cr, b'\n') => {
                out.push(b);
                State::LineStart
            }
            (State::Dot, b'\r') => State::DotCr,
            (State::Dot, b'\n') => {
                // `.` then a bare LF: a lenient reader sees a lone dot line.
                self.neutralised += 1;
                out.extend(b"..\n");
                State::LenientStart
            }
            (State::Dot, other) => {
                out.push(b'.');
                out.push(other);
                State::Mid
            }
            (State::DotCr, b'\n') => {
                out.extend(b".\r\n");
                self.state = State::LineStart;
                return true;
            }
            (State::DotCr, other) => {
                // `.` then a bare CR: what follows the CR is read as after any bare CR.
                self.neutralised += 1;
                out.extend(b"..\r");
                self.state = State::Cr;
                return self.step(other, out);
            }
            (_, b'\r') => {
                out.push(b);
                State::Cr
            }
            (_, b'\n') => {
                // A bare LF (a CRLF is handled in `State::Cr`).
                out.push(b);
                State::LenientStart
            }
            (_, other) => {
                out.push(other);
                State::Mid
            }
        };
        false
    }
}

/// Where a scanner writes.
trait Out {
    fn push(&mut self, b: u8);
    fn extend(&mut self, bytes: &[u8]);
}

impl Out for Vec<u8> {
    fn push(&mut self, b: u8) {
        Vec::push(self, b);
    }
    fn extend(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Writes nowhere.
struct Discard;

impl Out for Discard {
    fn push(&mut self, _: u8) {}
    fn extend(&mut self, _: &[u8]) {}
}

/// Doubles every ambiguous dot of complete content (no end of data in it), as [`DataScanner`]
/// does, so the result can be sent after `DATA` followed by `.CRLF`.
///
/// `content` must be what a [`DataScanner`] consumed before the end of data, without the final
/// `.CRLF`; it then ends at a line start (or is empty) and the result does too.
pub fn neutralise(content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + content.len() / 64 + 8);
    let mut scanner = DataScanner::new();
    let _ = scanner.feed(content, &mut out);
    // INVARIANT: content that came out of a scanner before its end of data ends at a line start
    // or is empty, so nothing is held back here. A held `.` (content that ends in `\r\n.`) is
    // written out doubled so that the `.CRLF` the caller appends cannot join it.
    match scanner.state {
        State::Dot => out.extend_from_slice(b".."),
        State::DotCr => out.extend_from_slice(b"..\r"),
        _ => {}
    }
    out
}

/// Removes the transparency dots (RFC 5321 §4.5.2) from content: a `.` that starts a CRLF line is
/// dropped. The result is the message itself, as `BDAT` carries it.
pub fn unstuff(content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len());
    let mut at_line_start = true;
    let mut prev_cr = false;
    for &b in content {
        if !(at_line_start && b == b'.') {
            out.push(b);
        }
        at_line_start = prev_cr && b == b'\n';
        prev_cr = b == b'\r';
    }
    out
}

/// Why a message's `From:` header cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FromHeaderError {
    /// No `From:` field in the header section.
    Missing,
    /// More than one `From:` field.
    Several,
    /// The field is not text the parser can read (not UTF-8).
    NotText,
}

impl std::fmt::Display for FromHeaderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Missing => "the message has no `From:` header",
            Self::Several => "the message has more than one `From:` header",
            Self::NotText => "the `From:` header is not UTF-8 text",
        })
    }
}

/// The value of the one `From:` field of a message's header section (RFC 5322 §3.6.2), folding
/// kept as is. `content` is the raw `DATA` content (dot-stuffed); the header section ends at the
/// first empty line.
///
/// # Errors
/// No `From:` field, several, or a value that is not UTF-8.
pub fn from_header(content: &[u8]) -> Result<String, FromHeaderError> {
    let mut found: Option<Vec<u8>> = None;
    let mut in_from = false;
    for line in crlf_lines(content) {
        if line.is_empty() {
            break; // the end of the header section
        }
        let folded = matches!(line.first(), Some(b' ' | b'\t'));
        if folded {
            if in_from {
                if let Some(value) = found.as_mut() {
                    value.extend_from_slice(b"\r\n");
                    value.extend_from_slice(line);
                }
            }
            continue;
        }
        in_from = false;
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = line.get(..colon).unwrap_or_default();
        if name.trim_ascii_end().eq_ignore_ascii_case(b"from") {
            if found.is_some() {
                return Err(FromHeaderError::Several);
            }
            found = Some(line.get(colon + 1..).unwrap_or_default().to_vec());
            in_from = true;
        }
    }
    let value = found.ok_or(FromHeaderError::Missing)?;
    String::from_utf8(value).map_err(|_| FromHeaderError::NotText)
}

/// The CRLF-terminated lines of `content`, without their CRLF. A bare CR or LF stays inside its
/// line.
fn crlf_lines(content: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = content;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        match rest.windows(2).position(|w| w == b"\r\n") {
            Some(i) => {
                let line = rest.get(..i).unwrap_or_default();
                rest = rest.get(i + 2..).unwrap_or_default();
                Some(line)
            }
            None => {
                let line = rest;
                rest = &[];
                Some(line)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_all(input: &[u8]) -> (Vec<u8>, Option<usize>, usize) {
        let mut s = DataScanner::new();
        let mut out = Vec::new();
        let r = s.feed(input, &mut out);
        (out, r.end.then_some(r.consumed), s.neutralised())
    }

    /// A lenient reader: lines end at LF, at CRLF, or at a bare CR. Returns the index of the
    /// first line that is exactly `.`, if any.
    fn lenient_end(stream: &[u8]) -> Option<usize> {
        let mut line = Vec::new();
        let mut i = 0;
        let mut count = 0;
        while i < stream.len() {
            let b = stream[i];
            if b == b'\r' || b == b'\n' {
                if line == b"." {
                    return Some(count);
                }
                count += 1;
                line.clear();
                if b == b'\r' && stream.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            } else {
                line.push(b);
            }
            i += 1;
        }
        None
    }

    #[test]
    fn crlf_dot_crlf_ends_data_and_bytes_pass_unchanged() {
        let input = b"Subject: hi\r\n\r\nbody\r\n..stuffed\r\n.\r\nQUIT\r\n";
        let (out, end, n) = scan_all(input);
        assert_eq!(end, Some(input.len() - 6));
        assert_eq!(out, &input[..input.len() - 6]);
        assert_eq!(n, 0);
    }

    #[test]
    fn a_lone_dot_as_first_line_ends_empty_data() {
        assert_eq!(scan_all(b".\r\n").1, Some(3));
    }

    #[test]
    fn every_smuggling_variant_is_doubled_and_never_ends_data() {
        let variants: &[&[u8]] = &[
            b"a\n.\nMAIL FROM:<x>\r\n",
            b"a\n.\r\nMAIL FROM:<x>\r\n",
            b"a\r\n.\nMAIL FROM:<x>\r\n",
            b"a\r.\rMAIL FROM:<x>\r\n",
            b"a\r\n.\rMAIL FROM:<x>\r\n",
            b"a\r.\r\nMAIL FROM:<x>\r\n",
            b"a\r.\nMAIL FROM:<x>\r\n",
            b"a\n.\rMAIL FROM:<x>\r\n",
            b"a\r\n.\r\rMAIL FROM:<x>\r\n",
        ];
        for v in variants {
            let (out, end, n) = scan_all(v);
            assert_eq!(end, None, "{:?} ended the data", String::from_utf8_lossy(v));
            assert!(
                n >= 1,
                "{:?} was not neutralised",
                String::from_utf8_lossy(v)
            );
            assert_eq!(
                lenient_end(&out),
                None,
                "{:?}",
                String::from_utf8_lossy(&out)
            );
        }
    }

    #[test]
    fn held_dot_and_cr_survive_a_split_between_calls() {
        let mut s = DataScanner::new();
        let mut out = Vec::new();
        assert!(!s.feed(b"x\r\n.", &mut out).end);
        assert_eq!(out, b"x\r\n");
        assert!(!s.feed(b"\r", &mut out).end);
        let r = s.feed(b"\nrest", &mut out);
        assert!(r.end);
        assert_eq!(r.consumed, 1);
        assert_eq!(out, b"x\r\n.\r\n");
    }

    #[test]
    fn byte_by_byte_feeding_gives_the_same_output() {
        let input = b"a\n.\nb\r\n.\rc\r.\rd\r\n..e\r\n.\r\n";
        let (whole, end, _) = scan_all(input);
        let mut s = DataScanner::new();
        let mut out = Vec::new();
        let mut ended = None;
        for (i, b) in input.iter().enumerate() {
            if s.feed(std::slice::from_ref(b), &mut out).end {
                ended = Some(i + 1);
                break;
            }
        }
        assert_eq!(out, whole);
        assert_eq!(ended, end);
    }

    #[test]
    fn neutralise_of_scanned_content_is_what_the_scanner_wrote() {
        let content = b"a\n.\nb\r\n..c\r\n";
        let (scanned, _, _) = scan_all(content);
        assert_eq!(neutralise(content), scanned);
    }

    #[test]
    fn unstuff_drops_only_dots_at_crlf_line_starts() {
        assert_eq!(
            unstuff(b"..a\r\n..b\r\nc\n.d\r\n"),
            b".a\r\n.b\r\nc\n.d\r\n"
        );
        assert_eq!(unstuff(b""), b"");
    }

    #[test]
    fn from_header_is_found_unfolded_later_by_the_parser() {
        let msg =
            b"Subject: x\r\nFROM: Lab\r\n <lab@clinic.example>\r\nTo: y\r\n\r\nFrom: body\r\n";
        assert_eq!(
            from_header(msg).as_deref(),
            Ok(" Lab\r\n <lab@clinic.example>")
        );
    }

    #[test]
    fn two_from_headers_or_none_are_refused() {
        assert_eq!(
            from_header(b"From: a@b.example\r\nFrom: c@d.example\r\n\r\n"),
            Err(FromHeaderError::Several)
        );
        assert_eq!(
            from_header(b"Subject: x\r\n\r\nFrom: a@b.example\r\n"),
            Err(FromHeaderError::Missing)
        );
    }

    proptest::proptest! {
        #[test]
        fn any_split_gives_the_same_output_and_no_lenient_reader_finds_an_early_end(
            input in proptest::collection::vec(
                proptest::sample::select(vec![b'\r', b'\n', b'.', b'a']), 0..80),
            split in 0usize..80,
        ) {
            let (whole, end, _) = scan_all(&input);
            let mut s = DataScanner::new();
            let mut out = Vec::new();
            let (a, b) = input.split_at(split.min(input.len()));
            let first = s.feed(a, &mut out);
            let ended = if first.end {
                Some(first.consumed)
            } else {
                let second = s.feed(b, &mut out);
                second.end.then_some(a.len() + second.consumed)
            };
            proptest::prop_assert_eq!(&out, &whole);
            proptest::prop_assert_eq!(ended, end);
            let body = if end.is_some() { &whole[..whole.len() - 3] } else { &whole[..] };
            proptest::prop_assert_eq!(lenient_end(body), None, "{:?}", String::from_utf8_lossy(&whole));
        }
    }

    #[test]
    fn longest_line_counts_octets_with_the_line_ending() {
        let mut s = DataScanner::new();
        let mut out = Vec::new();
        let _ = s.feed(b"abc\r\nabcdefg\r\n", &mut out);
        assert_eq!(s.longest_line(), 9);
    }
}

//! Lines of a byte stream, with a bound on their length (RFC 5321 §4.5.3.1).

/// One line out of a [`LineBuf`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Line {
    /// A complete line, its LF (and CR, if any) included.
    Complete(Vec<u8>),
    /// A line longer than the limit; its bytes were consumed and dropped.
    TooLong,
}

/// Collects bytes up to an LF. Memory never exceeds the limit: the bytes of a longer line are
/// dropped as they arrive, and the line is reported as [`Line::TooLong`] once its LF comes.
#[derive(Debug, Clone, Default)]
pub(crate) struct LineBuf {
    buf: Vec<u8>,
    overflow: bool,
}

impl LineBuf {
    /// Consumes `input` up to and including its first LF. Returns the bytes consumed and, when a
    /// line ended, the line. `max` counts the line ending.
    pub(crate) fn feed(&mut self, input: &[u8], max: usize) -> (usize, Option<Line>) {
        let (chunk, complete) = match input.iter().position(|&b| b == b'\n') {
            Some(i) => (input.get(..=i).unwrap_or_default(), true),
            None => (input, false),
        };
        if !self.overflow {
            if self.buf.len() + chunk.len() > max {
                self.overflow = true;
                self.buf = Vec::new();
            } else {
                self.buf.extend_from_slice(chunk);
            }
        }
        if !complete {
            return (chunk.len(), None);
        }
        let line = if std::mem::take(&mut self.overflow) {
            Line::TooLong
        } else {
            Line::Complete(std::mem::take(&mut self.buf))
        };
        (chunk.len(), Some(line))
    }

    /// The bytes of the unfinished line held so far.
    pub(crate) fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// Bytes held.
    pub(crate) fn held(&self) -> usize {
        self.buf.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_split_over_calls_comes_out_whole() {
        let mut l = LineBuf::default();
        assert_eq!(l.feed(b"EHLO a", 512), (6, None));
        assert_eq!(
            l.feed(b".example\r\nMAIL", 512),
            (10, Some(Line::Complete(b"EHLO a.example\r\n".to_vec())))
        );
    }

    #[test]
    fn a_line_over_the_limit_is_dropped_and_reported_once_it_ends() {
        let mut l = LineBuf::default();
        let long = vec![b'x'; 600];
        assert_eq!(l.feed(&long, 512), (600, None));
        assert!(l.pending().is_empty());
        assert_eq!(l.feed(b"\r\nNOOP\r\n", 512), (2, Some(Line::TooLong)));
        assert_eq!(
            l.feed(b"NOOP\r\n", 512),
            (6, Some(Line::Complete(b"NOOP\r\n".to_vec())))
        );
    }

    #[test]
    fn the_limit_counts_the_line_ending() {
        let mut l = LineBuf::default();
        let mut line = vec![b'x'; 510];
        line.extend_from_slice(b"\r\n");
        assert!(matches!(l.feed(&line, 512).1, Some(Line::Complete(_))));
        line.insert(0, b'x');
        assert_eq!(l.feed(&line, 512).1, Some(Line::TooLong));
    }
}

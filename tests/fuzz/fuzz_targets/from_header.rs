//! The `From:` parser: never panics, and the one mailbox it returns is already canonical.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tls_compliance::{canonical_address, parse_from_header};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(address) = parse_from_header(text) {
        assert_eq!(canonical_address(address.as_str()), Ok(address));
    }
});

//! The canonicaliser: never panics, and canonicalising a canonical address or domain gives it back
//! unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tls_compliance::{canonical_address, canonical_domain};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(address) = canonical_address(text) {
        let again = canonical_address(address.as_str());
        assert_eq!(
            again.as_ref(),
            Ok(&address),
            "canonical address is not idempotent"
        );
        assert_eq!(
            canonical_domain(address.domain()).as_deref(),
            Ok(address.domain())
        );
    }
    if let Ok(domain) = canonical_domain(text) {
        assert_eq!(
            canonical_domain(&domain),
            Ok(domain.clone()),
            "canonical domain is not idempotent"
        );
    }
});

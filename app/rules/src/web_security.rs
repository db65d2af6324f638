//! What the browser is told to refuse: the Content-Security-Policy of pages and of
//! everything else, and the features no page of the console uses.

/// A page may run only its own scripts: those from this site and the inline ones
/// carrying the request's `nonce` (Leptos' hydration and streamed parts), and the
/// WebAssembly they load. Nothing may frame it, and forms post only here.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Answers that are not pages (JSON, CSV, files) run nothing and load nothing.
pub const NON_PAGE_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Browser features the console never uses.
pub const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), \
     usb=(), serial=(), bluetooth=(), hid=(), midi=(), display-capture=()";

/// Sent when the console is served over https: browsers then refuse plain http to it
/// for a year.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";

/// Whether two secrets are equal, taking the same time wherever they differ (so that
/// the time of a refusal does not tell how much of a guess was right).
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_allow_only_their_own_scripts() {
        let policy = page_policy("abc123");
        assert!(policy.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval';"));
        assert!(!policy.contains("script-src 'unsafe-inline'"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(NON_PAGE_POLICY.starts_with("default-src 'none'"));
    }

    #[test]
    fn secrets_are_equal_only_when_every_byte_is() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"abcd"));
        assert!(same_secret(b"", b""));
    }
}

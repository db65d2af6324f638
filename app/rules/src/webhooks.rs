//! Outbound webhooks: which events exist, how a delivery is signed and when a failed
//! one is tried again.

use chrono::Duration;

use crate::error::RuleError;

/// Events an endpoint may subscribe to, with what each announces.
pub const EVENTS: [(&str, &str); 7] = [
    ("request.created", "An access request was made"),
    (
        "request.decided",
        "An access request was approved or denied",
    ),
    ("request.expired", "A pending request expired unanswered"),
    ("grant.ending", "A grant ends within the next 7 days"),
    (
        "principal.left",
        "A person left: their access was revoked and what they owned handed over",
    ),
    (
        "principal.dormant_soon",
        "A principal is seven days from suspension for inactivity",
    ),
    (
        "lifecycle.held",
        "The failsafe held a run that would take away too much within an hour",
    ),
];

/// Deliveries are given up after this many attempts.
pub const MAX_ATTEMPTS: i32 = 8;

/// The wait before attempt `attempts + 1`, after `attempts` failed ones: 30 s, 1 min,
/// 2 min, … doubling, at most 6 hours.
pub fn retry_delay(attempts: i32) -> Duration {
    let doublings = attempts.clamp(1, 20) - 1;
    let seconds = 30i64.saturating_mul(1 << doublings);
    Duration::seconds(seconds.min(6 * 3600))
}

/// The signed content is `"{timestamp}.{body}"`, so a captured delivery cannot be
/// replayed later with another timestamp. Answers the header value `sha256=<hex>`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Where requests to addresses chosen by users may go (webhook deliveries, an OpenID
/// provider). Private, loopback, link-local and other internal addresses are refused
/// unless the organisation runs the receiver on its own network and says so in the
/// setting named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Destinations {
    pub allow_private: bool,
    /// The setting that allows private addresses.
    pub setting: &'static str,
}

impl Destinations {
    /// Webhook deliveries (`GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE`).
    pub const fn webhooks(allow_private: bool) -> Self {
        Destinations {
            allow_private,
            setting: "GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE",
        }
    }

    /// An organisation's OpenID provider (`GATEHOUSE_SIGN_ON_ALLOW_PRIVATE`).
    pub const fn sign_on(allow_private: bool) -> Self {
        Destinations {
            allow_private,
            setting: "GATEHOUSE_SIGN_ON_ALLOW_PRIVATE",
        }
    }

    /// Whether a request may be sent to `ip`; if not, why, in words an admin can act on.
    pub fn check(self, ip: std::net::IpAddr) -> Result<(), String> {
        use std::net::IpAddr;
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        let never = match ip {
            IpAddr::V4(v4) => {
                v4.is_unspecified() || v4.is_broadcast() || v4.is_multicast() || v4.octets()[0] == 0
            }
            IpAddr::V6(v6) => v6.is_unspecified() || v6.is_multicast(),
        };
        if never {
            return Err(format!("{ip} is not an address a receiver can have."));
        }
        let internal = match ip {
            IpAddr::V4(v4) => {
                let [a, b, ..] = v4.octets();
                v4.is_loopback()
                    || v4.is_private()
                    || v4.is_link_local()
                    // Shared address space (carrier-grade NAT) and the benchmarking range.
                    || (a == 100 && (64..128).contains(&b))
                    || (a == 198 && (b == 18 || b == 19))
                    || a >= 240
            }
            IpAddr::V6(v6) => {
                let first = v6.segments()[0];
                v6.is_loopback()
                    // Unique local (fc00::/7) and link-local (fe80::/10) addresses.
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80
            }
        };
        if internal && !self.allow_private {
            return Err(format!(
                "{ip} is a private, loopback or link-local address; only public addresses are \
                 reached (set {}=true for one on your own network).",
                self.setting
            ));
        }
        Ok(())
    }
}

/// An endpoint address: absolute http(s), no credentials in it, at most 2,000 characters.
pub fn parse_url(raw: &str) -> Result<String, RuleError> {
    let url = raw.trim();
    let refuse = |message: &str| RuleError::invalid("url", message.to_string());
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| refuse("Give the full address, starting with https:// (or http://)."))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(refuse("The address has no host name."));
    }
    if host.contains('@') {
        return Err(refuse(
            "Leave credentials out of the address: deliveries are signed instead.",
        ));
    }
    if url.chars().count() > 2000 {
        return Err(refuse(
            "The address is too long (at most 2,000 characters).",
        ));
    }
    Ok(url.to_string())
}

/// The chosen events, each known, at least one.
pub fn parse_events(raw: &[String]) -> Result<Vec<String>, RuleError> {
    let mut events: Vec<String> = Vec::new();
    for event in raw.iter().map(|e| e.trim()) {
        if !EVENTS.iter().any(|(known, _)| *known == event) {
            return Err(RuleError::invalid(
                "events",
                format!("\u{201c}{event}\u{201d} is not an event Gatehouse sends."),
            ));
        }
        if !events.iter().any(|e| e == event) {
            events.push(event.to_string());
        }
    }
    if events.is_empty() {
        return Err(RuleError::invalid("events", "Choose at least one event."));
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_refused_unless_allowed() {
        let strict = Destinations::webhooks(false);
        let open = Destinations::webhooks(true);
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            let ip = internal.parse().unwrap();
            assert!(strict.check(ip).is_err(), "{internal}");
            assert!(open.check(ip).is_ok(), "{internal}");
        }
        for never in ["0.0.0.0", "255.255.255.255", "224.0.0.1", "::"] {
            assert!(open.check(never.parse().unwrap()).is_err(), "{never}");
        }
        for public in ["93.184.216.34", "2606:2800:220:1::1", "8.8.8.8"] {
            assert!(strict.check(public.parse().unwrap()).is_ok(), "{public}");
        }
    }

    #[test]
    fn retries_back_off_and_stop_growing() {
        assert_eq!(retry_delay(1), Duration::seconds(30));
        assert_eq!(retry_delay(2), Duration::seconds(60));
        assert_eq!(retry_delay(5), Duration::seconds(480));
        assert_eq!(retry_delay(30), Duration::hours(6));
    }

    #[test]
    fn the_signature_covers_timestamp_and_body() {
        // Expected value computed independently: HMAC-SHA256("Jefe", "1700000000.{body}").
        let body = br#"{"type":"request.created"}"#;
        assert_eq!(
            signature("Jefe", 1_700_000_000, body),
            "sha256=5759c785e2d838c582abf71862085d08941c29060004505a2e6bd1063c6dfca7"
        );
        assert_ne!(
            signature("Jefe", 1_700_000_001, body),
            signature("Jefe", 1_700_000_000, body)
        );
        assert_ne!(
            signature("Jeff", 1_700_000_000, body),
            signature("Jefe", 1_700_000_000, body)
        );
    }

    #[test]
    fn addresses_and_events_are_checked() {
        assert_eq!(
            parse_url(" https://hooks.example.com/gatehouse ").unwrap(),
            "https://hooks.example.com/gatehouse"
        );
        assert!(parse_url("http://127.0.0.1:9000/in").is_ok());
        for bad in [
            "hooks.example.com",
            "ftp://x",
            "https://",
            "https://user:pw@x.example/",
        ] {
            assert!(
                parse_url(bad).unwrap_err().field_message("url").is_some(),
                "{bad}"
            );
        }
        assert_eq!(
            parse_events(&["request.created".into(), "request.created".into()]).unwrap(),
            ["request.created"]
        );
        assert!(parse_events(&[]).is_err());
        assert!(parse_events(&["grant.deleted".into()]).is_err());
    }
}

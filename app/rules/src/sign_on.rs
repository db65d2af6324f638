//! Single sign-on with an organisation's OpenID provider: what its settings may hold,
//! whose emails it may vouch for, and who may still sign in with a password once it is
//! the way in.

use uuid::Uuid;

/// Most characters of the provider's name on the sign-in button.
pub const MAX_NAME: usize = 60;
/// Most allowed email domains.
pub const MAX_DOMAINS: usize = 20;

/// The name people see on "Sign in with …".
pub fn parse_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(format!(
            "Name the provider in 1 to {MAX_NAME} characters, as people know it (for example \"Acme Okta\")."
        ));
    }
    Ok(name.to_string())
}

/// The issuer exactly as the provider names itself in its tokens: https, or http on
/// this machine's loopback only (tokens must never cross a network in clear).
pub fn parse_issuer(raw: &str) -> Result<String, String> {
    let issuer = raw.trim();
    let rest = if let Some(rest) = issuer.strip_prefix("https://") {
        rest
    } else if let Some(rest) = issuer.strip_prefix("http://") {
        let host = rest.split(['/', ':']).next().unwrap_or("");
        let loopback = host == "localhost" || host == "127.0.0.1" || rest.starts_with("[::1]");
        if !loopback {
            return Err("Use the provider's https address; plain http is taken only on this machine's loopback.".into());
        }
        rest
    } else {
        return Err(
            "Give the issuer as an https address, for example https://login.example.com.".into(),
        );
    };
    if rest.is_empty()
        || rest.starts_with('/')
        || issuer.len() > 300
        || issuer
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '@' | '\\'))
    {
        return Err("The issuer is an https address of at most 300 characters, without spaces, a query or a fragment.".into());
    }
    Ok(issuer.to_string())
}

/// The client id the provider gave Gatehouse.
pub fn parse_client_id(raw: &str) -> Result<String, String> {
    let id = raw.trim();
    if id.is_empty() || id.len() > 200 || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(
            "Give the client id the provider shows for Gatehouse (1 to 200 characters, no spaces)."
                .into(),
        );
    }
    Ok(id.to_string())
}

/// Domains separated by commas or spaces, each like `example.com` (an `@` before one
/// is dropped); at least one, each once, lower-cased.
pub fn parse_domains(raw: &str) -> Result<Vec<String>, String> {
    let mut domains: Vec<String> = Vec::new();
    for part in raw.split([',', ' ', '\n', '\t']).filter(|p| !p.is_empty()) {
        let domain = part.trim_start_matches('@').to_lowercase();
        let valid = domain.len() <= 253
            && domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !valid {
            return Err(format!(
                "\"{part}\" is not an email domain; give domains like example.com, separated by commas."
            ));
        }
        if !domains.contains(&domain) {
            domains.push(domain);
        }
    }
    if domains.is_empty() || domains.len() > MAX_DOMAINS {
        return Err(format!(
            "Give 1 to {MAX_DOMAINS} email domains whose people sign in through this provider."
        ));
    }
    Ok(domains)
}

/// Whether the provider may vouch for `email`: its domain is one of `domains` exactly
/// (a subdomain is another domain).
pub fn domain_allowed(email: &str, domains: &[String]) -> bool {
    email
        .rsplit_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domains.iter().any(|d| d == domain))
}

/// Whether a principal may sign in without the provider (a password, or a passkey
/// alone): always while the organisation allows it, else only its break-glass admin.
pub fn local_sign_in(password_sign_in: bool, break_glass: Option<Uuid>, principal: Uuid) -> bool {
    password_sign_in || break_glass == Some(principal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_are_https_or_loopback_http() {
        assert_eq!(
            parse_issuer(" https://login.example.com/tenant/v2.0 ").unwrap(),
            "https://login.example.com/tenant/v2.0"
        );
        assert!(parse_issuer("http://127.0.0.1:4010").is_ok());
        assert!(parse_issuer("http://localhost:4010/realms/acme").is_ok());
        assert!(parse_issuer("http://[::1]:4010").is_ok());
        for bad in [
            "http://login.example.com",
            "http://127.0.0.1.evil.example",
            "ftp://login.example.com",
            "login.example.com",
            "https://",
            "https:///path",
            "https://login.example.com/?x=1",
            "https://login.example.com/#x",
            "https://user@login.example.com",
            "https://login example.com",
        ] {
            assert!(parse_issuer(bad).is_err(), "{bad}");
        }
        assert!(parse_issuer(&format!("https://a.example/{}", "x".repeat(300))).is_err());
    }

    #[test]
    fn domains_are_read_from_a_list_and_matched_exactly() {
        assert_eq!(
            parse_domains("Acme.test, @sub.acme.test acme.test").unwrap(),
            vec!["acme.test", "sub.acme.test"]
        );
        for bad in [
            "",
            " , ",
            "acme",
            "-acme.test",
            "acme..test",
            "ac me.test,",
            "acme.test/x",
        ] {
            assert!(parse_domains(bad).is_err(), "{bad:?}");
        }
        let many: Vec<String> = (0..=MAX_DOMAINS).map(|i| format!("d{i}.test")).collect();
        assert!(parse_domains(&many.join(",")).is_err());

        let allowed = vec!["acme.test".to_string()];
        assert!(domain_allowed("ann@acme.test", &allowed));
        assert!(!domain_allowed("ann@sub.acme.test", &allowed));
        assert!(!domain_allowed("ann@acme.test.evil", &allowed));
        assert!(!domain_allowed("ann@evil.test", &allowed));
        assert!(!domain_allowed("@acme.test", &allowed));
        assert!(!domain_allowed("acme.test", &allowed));
    }

    #[test]
    fn names_and_client_ids_are_bounded() {
        assert_eq!(parse_name("  Acme Okta ").unwrap(), "Acme Okta");
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"x".repeat(MAX_NAME + 1)).is_err());
        assert_eq!(parse_client_id(" gatehouse ").unwrap(), "gatehouse");
        assert!(parse_client_id("two words").is_err());
        assert!(parse_client_id("").is_err());
    }

    #[test]
    fn only_the_break_glass_admin_keeps_a_password_once_it_is_off() {
        let admin = Uuid::from_u128(1);
        let other = Uuid::from_u128(2);
        assert!(local_sign_in(true, None, other));
        assert!(local_sign_in(false, Some(admin), admin));
        assert!(!local_sign_in(false, Some(admin), other));
        assert!(!local_sign_in(false, None, admin));
    }
}

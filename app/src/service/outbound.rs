//! Requests Gatehouse sends to addresses its users chose (webhook receivers, an
//! organisation's OpenID provider): only to the addresses [`Destinations`] admits, with
//! no redirects followed, and the check made again at the moment of connecting.

use std::time::Duration;

use rules::webhooks::Destinations;

/// Resolves an address's host and checks every address it has; answers why not.
pub async fn check_destination(url: &str, destinations: Destinations) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|_| "The address cannot be read.".to_string())?;
    let host = parsed
        .host_str()
        .ok_or_else(|| "The address has no host name.".to_string())?;
    let port = parsed.port_or_known_default().unwrap_or(443);
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<std::net::IpAddr> = match literal.parse() {
        Ok(ip) => vec![ip],
        Err(_) => tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| format!("{host} could not be resolved to an address."))?
            .map(|a| a.ip())
            .collect(),
    };
    if addresses.is_empty() {
        return Err(format!("{host} could not be resolved to an address."));
    }
    addresses
        .into_iter()
        .try_for_each(|ip| destinations.check(ip))
}

/// Resolves names and refuses any that leads to an address not admitted, at the moment
/// of connecting (so a name cannot change its answer between the check and the
/// request).
struct CheckedResolver(Destinations);

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let destinations = self.0;
        Box::pin(async move {
            let addresses: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            for address in &addresses {
                destinations.check(address.ip())?;
            }
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// A client that follows no redirects, gives up after `timeout`, and reaches only
/// `destinations`.
pub fn client(
    destinations: Destinations,
    timeout: Duration,
    agent: &'static str,
) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(std::sync::Arc::new(CheckedResolver(destinations)))
        .user_agent(agent)
        .build()
        .unwrap_or_default()
}

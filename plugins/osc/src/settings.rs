//! What a set (or the command line) says about OSC: the server's port and interface, where
//! feedback and analysis go, OSCQuery, the mirrored instance. Addresses are checked where they
//! enter (a set that names `"localhost"` without a port is refused with its line), and resolved
//! when the server starts.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};

use serde::{Deserialize, Deserializer, Serialize};

/// Analysis bundles sent a second by default.
pub const DEFAULT_ANALYSIS_RATE: f64 = 60.0;
/// Seconds between full resyncs of every control to the destinations, by default.
pub const DEFAULT_RESYNC_SECONDS: f64 = 5.0;
/// The highest analysis rate asked for. The analysis itself makes a frame every hop (about 94
/// a second at 48 kHz): above that rate every frame is sent, and no more.
pub const MAX_ANALYSIS_RATE: f64 = 200.0;

/// A `HOST:PORT` another program listens on (a name, an IPv4 or a bracketed IPv6 address).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct Endpoint(String);

impl Endpoint {
    /// Checks `text` is `HOST:PORT` with a port from 1 to 65535.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (host, port) = text
            .rsplit_once(':')
            .ok_or_else(|| format!("`{text}` is not HOST:PORT (e.g. 127.0.0.1:9000)"))?;
        if host.is_empty() {
            return Err(format!("`{text}` has no host before the port"));
        }
        match port.parse::<u16>() {
            Ok(p) if p > 0 => Ok(Self(text.to_string())),
            _ => Err(format!("`{text}`: the port must be a number from 1 to 65535")),
        }
    }

    /// The socket address it names now (a host name is looked up; an IPv4 address first, as
    /// the server's socket is IPv4 unless bound otherwise).
    pub fn resolve(&self) -> Result<SocketAddr, String> {
        let all: Vec<SocketAddr> = self
            .0
            .to_socket_addrs()
            .map_err(|e| format!("{}: {e}", self.0))?
            .collect();
        all.iter()
            .find(|a| a.is_ipv4())
            .or(all.first())
            .map(|a| SocketAddr::new(a.ip().to_canonical(), a.port()))
            .ok_or_else(|| format!("{}: the name gives no address", self.0))
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Endpoint> for String {
    fn from(e: Endpoint) -> String {
        e.0
    }
}

impl std::str::FromStr for Endpoint {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s)
    }
}

impl<'de> Deserialize<'de> for Endpoint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A program that receives Phosphene's OSC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Destination {
    /// Where it listens.
    pub to: Endpoint,
    /// Every control's changes (and a periodic full resync).
    #[serde(default = "yes")]
    pub feedback: bool,
    /// The analysis bundles.
    #[serde(default = "yes")]
    pub analysis: bool,
}

fn yes() -> bool {
    true
}

impl Destination {
    /// A destination for both feedback and analysis.
    pub fn new(to: Endpoint) -> Self {
        Self {
            to,
            feedback: true,
            analysis: true,
        }
    }
}

/// OSC settings of a set; the command line's win over them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OscSettings {
    /// The UDP port the server listens on; `None`: no server.
    pub port: Option<u16>,
    /// The interface it listens on: the loopback unless the performer opens it to a network.
    pub bind: IpAddr,
    /// Programs that get feedback and analysis.
    pub destinations: Vec<Destination>,
    /// The OSCQuery port (HTTP and websocket), on the loopback; `None`: off.
    pub oscquery: Option<u16>,
    /// Another instance whose control changes this one mirrors, and the other way round.
    pub mirror: Option<Endpoint>,
    /// Analysis bundles a second (0 sends none).
    #[serde(deserialize_with = "analysis_rate")]
    pub analysis_rate: f64,
    /// Seconds between full resyncs of every control to the destinations (0: never).
    #[serde(deserialize_with = "resync_seconds")]
    pub resync_seconds: f64,
}

impl Default for OscSettings {
    fn default() -> Self {
        Self {
            port: None,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            destinations: Vec::new(),
            oscquery: None,
            mirror: None,
            analysis_rate: DEFAULT_ANALYSIS_RATE,
            resync_seconds: DEFAULT_RESYNC_SECONDS,
        }
    }
}

/// A rate from 0 to [`MAX_ANALYSIS_RATE`].
pub fn check_rate(rate: f64) -> Result<f64, String> {
    if rate.is_finite() && (0.0..=MAX_ANALYSIS_RATE).contains(&rate) {
        Ok(rate)
    } else {
        Err(format!(
            "analysis_rate {rate}: must be from 0 to {MAX_ANALYSIS_RATE} a second"
        ))
    }
}

fn analysis_rate<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    check_rate(f64::deserialize(d)?).map_err(serde::de::Error::custom)
}

fn resync_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let s = f64::deserialize(d)?;
    if s.is_finite() && s >= 0.0 {
        Ok(s)
    } else {
        Err(serde::de::Error::custom(format!(
            "resync_seconds {s}: must be 0 (never) or more"
        )))
    }
}

/// What the command line says about OSC: each field given wins over the set's, and its
/// destinations are added to the set's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OscOverrides {
    /// `--osc PORT`.
    pub port: Option<u16>,
    /// `--osc-bind ADDR`.
    pub bind: Option<IpAddr>,
    /// `--osc-out HOST:PORT`, repeatable.
    pub destinations: Vec<Destination>,
    /// `--oscquery PORT`.
    pub oscquery: Option<u16>,
    /// `--osc-mirror HOST:PORT`.
    pub mirror: Option<Endpoint>,
    /// `--osc-analysis-rate HZ`.
    pub analysis_rate: Option<f64>,
}

impl OscSettings {
    /// Whether the server listens beyond this machine.
    pub fn is_open(&self) -> bool {
        self.port.is_some() && !self.bind.is_loopback()
    }

    /// These settings with the command line's on top.
    pub fn overlaid(&self, over: &OscOverrides) -> OscSettings {
        let mut out = self.clone();
        out.port = over.port.or(self.port);
        out.bind = over.bind.unwrap_or(self.bind);
        out.oscquery = over.oscquery.or(self.oscquery);
        out.mirror = over.mirror.clone().or_else(|| self.mirror.clone());
        out.analysis_rate = over.analysis_rate.unwrap_or(self.analysis_rate);
        for d in &over.destinations {
            if !out.destinations.iter().any(|o| o.to == d.to) {
                out.destinations.push(d.clone());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_checked_where_they_enter() {
        assert!(Endpoint::parse("127.0.0.1:9000").is_ok());
        assert!(Endpoint::parse("[::1]:9000").is_ok());
        assert!(Endpoint::parse("studio-mac.local:8000").is_ok());
        for bad in ["localhost", ":9000", "host:0", "host:70000", "host:abc"] {
            let e = Endpoint::parse(bad).unwrap_err();
            assert!(e.contains(bad.trim_end_matches(':')), "{e}");
        }
        assert_eq!(
            Endpoint::parse("127.0.0.1:9000").unwrap().resolve().unwrap().port(),
            9000
        );
    }

    #[test]
    fn the_command_line_wins_and_adds_destinations() {
        let set = OscSettings {
            port: Some(9000),
            destinations: vec![Destination::new(Endpoint::parse("127.0.0.1:9001").unwrap())],
            ..OscSettings::default()
        };
        let cli = OscOverrides {
            port: Some(9100),
            destinations: vec![Destination::new(Endpoint::parse("127.0.0.1:9002").unwrap())],
            ..OscOverrides::default()
        };
        let both = set.overlaid(&cli);
        assert_eq!(both.port, Some(9100));
        assert_eq!(both.destinations.len(), 2);
        assert!(!both.is_open());
        // A set that opens the server to the network is closed again by `--osc-bind 127.0.0.1`.
        let open = OscSettings {
            bind: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            ..set
        };
        assert!(open.overlaid(&OscOverrides::default()).is_open());
        let closed = OscOverrides {
            bind: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            ..OscOverrides::default()
        };
        assert!(!open.overlaid(&closed).is_open());
    }
}

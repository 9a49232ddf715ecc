//! Target policy: which host names may be scanned and which addresses may be
//! connected to (the scanner's guard against server-side request forgery).
//!
//! A target goes through three steps, and only what passed a step reaches the
//! next:
//!
//! 1. [`parse_host`]: the input must be a bare host name — no scheme, user
//!    information, port, path, query, percent-encoding, control or invisible
//!    characters. Unicode names are mapped to A-labels (UTS #46), then checked
//!    for length (253 octets, 63 per label), LDH syntax, a non-numeric
//!    top-level label, special-use names (`localhost`, `.local`, `.internal`,
//!    …) and labels that mix Latin with Cyrillic or Greek letters. IP
//!    literals are refused unless allowed, and numeric spellings of IPv4
//!    addresses (`2130706433`, `0x7f.1`, `017700000001`) always are.
//! 2. [`TargetPolicy::resolve`]: the name is resolved once; if any address is
//!    in a blocked range ([`classify`]) the whole target is refused with a
//!    reason naming the address and its range.
//! 3. Connections go to the returned addresses only; nothing resolves the
//!    name a second time, so DNS rebinding cannot slip a private address in.
//!
//! Allowing private addresses ([`PolicyOptions::allow_private`]) is an
//! explicit option, off by default; the lab and tests set it, the public demo
//! endpoint never does.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    LookupIpStrategy, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;

use crate::error::{Error, shorten};

/// Longest input looked at; anything longer is refused before any parsing.
const MAX_INPUT: usize = 1024;

/// What the policy allows beyond public host names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PolicyOptions {
    /// Allow loopback, private (RFC 1918, unique-local), link-local, CGNAT,
    /// documentation and similar non-public addresses, and special-use names
    /// such as `localhost`. Off by default. Unspecified, multicast, broadcast
    /// and reserved addresses stay refused even then.
    pub allow_private: bool,
    /// Accept IP address literals (`192.0.2.7`, `[2001:db8::1]`) as targets.
    /// Off by default. Numeric spellings such as `2130706433` are refused even then.
    pub allow_ip_literals: bool,
    /// What the checked addresses are for; only the wording of refusals depends on it.
    pub purpose: Purpose,
}

/// What a [`TargetPolicy`] checks addresses for, named in its refusals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Purpose {
    /// Scanning vendors (the default): "scanning private addresses is not allowed".
    #[default]
    Scanning,
    /// Delivering webhooks: "delivering webhooks to private addresses is not allowed".
    Webhooks,
}

impl Purpose {
    /// What is refused for private targets: "scanning" (private addresses).
    fn action(self) -> &'static str {
        match self {
            Purpose::Scanning => "scanning",
            Purpose::Webhooks => "delivering webhooks to",
        }
    }

    /// What a never-allowed target can never do: "be scanned".
    fn never(self) -> &'static str {
        match self {
            Purpose::Scanning => "be scanned",
            Purpose::Webhooks => "receive webhooks",
        }
    }
}

impl PolicyOptions {
    /// The default: public names only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`PolicyOptions::allow_private`].
    pub fn allow_private(mut self, allow: bool) -> Self {
        self.allow_private = allow;
        self
    }

    /// Sets [`PolicyOptions::allow_ip_literals`].
    pub fn allow_ip_literals(mut self, allow: bool) -> Self {
        self.allow_ip_literals = allow;
        self
    }

    /// Sets [`PolicyOptions::purpose`].
    pub fn purpose(mut self, purpose: Purpose) -> Self {
        self.purpose = purpose;
        self
    }
}

/// How names are resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResolverOptions {
    /// Name servers to ask (`ip:port`, UDP with TCP fallback). Empty means the
    /// system's (`/etc/resolv.conf`).
    pub nameservers: Vec<SocketAddr>,
    /// Timeout of one DNS request (default 3 s).
    pub timeout: Duration,
    /// Attempts per name server (default 2).
    pub attempts: usize,
    /// Answers cached (default 1024; 0 disables the cache, as tests want).
    pub cache_size: u64,
    /// DNSSEC trust anchors of the DNS group's validating lookup: DNSKEY
    /// records in zone-file form, one a line (`example. 3600 IN DNSKEY 257 3
    /// 13 <base64>`). Empty (the default) means the IANA root keys; a lab or
    /// a private zone gives its own keys.
    pub dnssec_trust_anchors: String,
}

impl Default for ResolverOptions {
    fn default() -> Self {
        Self {
            nameservers: Vec::new(),
            timeout: Duration::from_secs(3),
            attempts: 2,
            cache_size: 1024,
            dnssec_trust_anchors: String::new(),
        }
    }
}

impl ResolverOptions {
    /// A hickory resolver builder for these options: the name servers (UDP
    /// with TCP fallback; the system's when none are given), timeout,
    /// attempts and cache size, never the hosts file. The policy's and the
    /// DNS checks' resolvers add their own settings to it.
    pub(crate) fn builder(
        &self,
    ) -> Result<hickory_resolver::ResolverBuilder<TokioRuntimeProvider>, Error> {
        let mut builder = if self.nameservers.is_empty() {
            TokioResolver::builder_tokio().map_err(|e| Error::Config {
                reason: format!("cannot read the system resolver configuration: {e}"),
            })?
        } else {
            let servers = self
                .nameservers
                .iter()
                .map(|sa| {
                    let mut ns = NameServerConfig::udp_and_tcp(sa.ip());
                    for c in &mut ns.connections {
                        c.port = sa.port();
                    }
                    ns
                })
                .collect();
            TokioResolver::builder_with_config(
                ResolverConfig::from_name_servers(servers),
                TokioRuntimeProvider::default(),
            )
        };
        let opts: &mut ResolverOpts = builder.options_mut();
        opts.timeout = self.timeout;
        opts.attempts = self.attempts;
        opts.cache_size = self.cache_size;
        opts.use_hosts_file = ResolveHosts::Never;
        Ok(builder)
    }

    /// Use these name servers instead of the system's.
    pub fn nameservers(mut self, servers: impl IntoIterator<Item = SocketAddr>) -> Self {
        self.nameservers = servers.into_iter().collect();
        self
    }

    /// Sets the per-request timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the cache size (0 disables caching).
    pub fn cache_size(mut self, entries: u64) -> Self {
        self.cache_size = entries;
        self
    }

    /// Sets [`ResolverOptions::dnssec_trust_anchors`].
    pub fn dnssec_trust_anchors(mut self, anchors: impl Into<String>) -> Self {
        self.dnssec_trust_anchors = anchors.into();
        self
    }
}

/// A target host that passed syntax validation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Host {
    /// A domain name in lowercase A-label form, without a trailing dot.
    Domain(String),
    /// An IP address literal (only when [`PolicyOptions::allow_ip_literals`] is set).
    Ip(IpAddr),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d),
            Host::Ip(ip) => ip.fmt(f),
        }
    }
}

/// A target that passed the whole policy: its name and the checked addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedTarget {
    /// The validated host.
    pub host: Host,
    /// Every address the name resolved to, all checked, in resolver order.
    pub addrs: Vec<IpAddr>,
}

impl ResolvedTarget {
    /// The checked addresses with a port: the only places to connect to.
    pub fn socket_addrs(&self, port: u16) -> Vec<SocketAddr> {
        self.addrs
            .iter()
            .map(|ip| SocketAddr::new(*ip, port))
            .collect()
    }

    /// The name to send as TLS SNI and HTTP Host (the IP text for literals).
    pub fn server_name(&self) -> String {
        self.host.to_string()
    }
}

/// The kind of range an address belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddressClass {
    /// Globally reachable unicast: may be scanned.
    Public,
    /// `0.0.0.0` or `::`.
    Unspecified,
    /// `0.0.0.0/8` ("this network").
    ThisNetwork,
    /// `127.0.0.0/8` or `::1`.
    Loopback,
    /// RFC 1918: `10/8`, `172.16/12`, `192.168/16`.
    Private,
    /// Shared address space for carrier-grade NAT, `100.64.0.0/10`.
    SharedCgnat,
    /// `169.254.0.0/16` or `fe80::/10`.
    LinkLocal,
    /// IETF protocol assignments, `192.0.0.0/24`, `2001::/23` (rest).
    IetfProtocol,
    /// Documentation: `192.0.2/24`, `198.51.100/24`, `203.0.113/24`, `2001:db8::/32`, `3fff::/20`.
    Documentation,
    /// Benchmarking: `198.18.0.0/15`, `2001:2::/48`.
    Benchmarking,
    /// The deprecated 6to4 relay anycast range `192.88.99.0/24`.
    Relay6to4,
    /// `224.0.0.0/4` or `ff00::/8`.
    Multicast,
    /// `240.0.0.0/4`, or IPv6 outside global unicast `2000::/3`.
    Reserved,
    /// `255.255.255.255`.
    Broadcast,
    /// Unique local `fc00::/7`.
    UniqueLocal,
    /// Deprecated site-local `fec0::/10`.
    SiteLocal,
    /// Deprecated IPv4-compatible `::a.b.c.d`.
    Ipv4Compatible,
    /// Teredo tunnels `2001::/32`.
    Teredo,
    /// Discard-only `100::/64`.
    Discard,
    /// ORCHID identifiers `2001:10::/28`, `2001:20::/28`.
    Orchid,
    /// Local-use NAT64 `64:ff9b:1::/48`.
    LocalNat64,
}

impl AddressClass {
    /// Whether [`PolicyOptions::allow_private`] lifts the block (it never
    /// lifts unspecified, multicast, broadcast, reserved and "this network").
    pub fn allowed_when_private(self) -> bool {
        !matches!(
            self,
            AddressClass::Unspecified
                | AddressClass::ThisNetwork
                | AddressClass::Multicast
                | AddressClass::Reserved
                | AddressClass::Broadcast
        )
    }

    /// Words for messages, with an article ("a loopback address").
    pub fn describe(self) -> &'static str {
        match self {
            AddressClass::Public => "a public address",
            AddressClass::Unspecified => "an unspecified address",
            AddressClass::ThisNetwork => "a \"this network\" address (0.0.0.0/8)",
            AddressClass::Loopback => "a loopback address",
            AddressClass::Private => "a private (RFC 1918) address",
            AddressClass::SharedCgnat => "a carrier-grade NAT shared address (100.64.0.0/10)",
            AddressClass::LinkLocal => "a link-local address",
            AddressClass::IetfProtocol => "an IETF protocol assignment address",
            AddressClass::Documentation => "a documentation address",
            AddressClass::Benchmarking => "a benchmarking address",
            AddressClass::Relay6to4 => "a deprecated 6to4 relay anycast address (192.88.99.0/24)",
            AddressClass::Multicast => "a multicast address",
            AddressClass::Reserved => "a reserved address",
            AddressClass::Broadcast => "the broadcast address",
            AddressClass::UniqueLocal => "a unique local address (fc00::/7)",
            AddressClass::SiteLocal => "a deprecated site-local address (fec0::/10)",
            AddressClass::Ipv4Compatible => "a deprecated IPv4-compatible address (::/96)",
            AddressClass::Teredo => "a Teredo tunnel address (2001::/32)",
            AddressClass::Discard => "a discard-only address (100::/64)",
            AddressClass::Orchid => "an ORCHID identifier, which is not routable",
            AddressClass::LocalNat64 => "a local-use NAT64 address (64:ff9b:1::/48)",
        }
    }
}

/// The range an address is in, and the IPv4 address it embeds when the
/// class comes from one (IPv4-mapped, NAT64, 6to4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Classification {
    /// The class.
    pub class: AddressClass,
    /// The embedded IPv4 address whose class this is, if any.
    pub via: Option<Ipv4Addr>,
}

/// Classifies an address. IPv4-mapped (`::ffff:a.b.c.d`), SIIT
/// (`::ffff:0:a.b.c.d`), NAT64 (`64:ff9b::/96`) and 6to4 (`2002::/16`)
/// addresses take the class of the IPv4 address they embed.
pub fn classify(ip: IpAddr) -> Classification {
    match ip {
        IpAddr::V4(v4) => Classification {
            class: classify_v4(v4),
            via: None,
        },
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let o = ip.octets();
    let n = u32::from(ip);
    let in_net = |net: u32, bits: u32| (n ^ net) >> (32 - bits) == 0;
    if n == 0 {
        AddressClass::Unspecified
    } else if n == u32::MAX {
        AddressClass::Broadcast
    } else if o[0] == 0 {
        AddressClass::ThisNetwork
    } else if o[0] == 127 {
        AddressClass::Loopback
    } else if o[0] == 10 || in_net(0xac10_0000, 12) || in_net(0xc0a8_0000, 16) {
        AddressClass::Private
    } else if in_net(0x6440_0000, 10) {
        AddressClass::SharedCgnat
    } else if in_net(0xa9fe_0000, 16) {
        AddressClass::LinkLocal
    } else if in_net(0xc000_0000, 24) {
        AddressClass::IetfProtocol
    } else if in_net(0xc000_0200, 24) || in_net(0xc633_6400, 24) || in_net(0xcb00_7100, 24) {
        AddressClass::Documentation
    } else if in_net(0xc612_0000, 15) {
        AddressClass::Benchmarking
    } else if in_net(0xc058_6300, 24) {
        AddressClass::Relay6to4
    } else if in_net(0xe000_0000, 4) {
        AddressClass::Multicast
    } else if in_net(0xf000_0000, 4) {
        AddressClass::Reserved
    } else {
        AddressClass::Public
    }
}

fn classify_v6(ip: Ipv6Addr) -> Classification {
    let n = u128::from(ip);
    let in_net = |net: u128, bits: u32| (n ^ net) >> (128 - bits) == 0;
    let low_v4 = Ipv4Addr::from((n & 0xffff_ffff) as u32);
    let via = |v4: Ipv4Addr| Classification {
        class: classify_v4(v4),
        via: Some(v4),
    };
    let plain = |class| Classification { class, via: None };
    if n == 0 {
        plain(AddressClass::Unspecified)
    } else if n == 1 {
        plain(AddressClass::Loopback)
    } else if in_net(0xffff_0000_0000, 96) || in_net(0xffff_0000_0000_0000, 96) {
        // ::ffff:a.b.c.d (mapped) and ::ffff:0:a.b.c.d (SIIT translated).
        via(low_v4)
    } else if in_net(0, 96) {
        // Deprecated ::a.b.c.d: refused always; named by the embedded
        // address when that one is blocked too.
        embedded_or(low_v4, AddressClass::Ipv4Compatible)
    } else if in_net(0x0064_ff9b_0000_0000_0000_0000_0000_0000, 96) {
        via(low_v4)
    } else if in_net(0x0064_ff9b_0001_0000_0000_0000_0000_0000, 48) {
        // Local-use NAT64 (RFC 8215) is never public; its /96 form embeds
        // the IPv4 address in the last 32 bits.
        embedded_or(low_v4, AddressClass::LocalNat64)
    } else if in_net(0x0100_0000_0000_0000_0000_0000_0000_0000, 64) {
        plain(AddressClass::Discard)
    } else if in_net(0x2001_0000_0000_0000_0000_0000_0000_0000, 32) {
        plain(AddressClass::Teredo)
    } else if in_net(0x2001_0002_0000_0000_0000_0000_0000_0000, 48) {
        plain(AddressClass::Benchmarking)
    } else if in_net(0x2001_0010_0000_0000_0000_0000_0000_0000, 28)
        || in_net(0x2001_0020_0000_0000_0000_0000_0000_0000, 28)
    {
        plain(AddressClass::Orchid)
    } else if in_net(0x2001_0db8_0000_0000_0000_0000_0000_0000, 32)
        || in_net(0x3fff_0000_0000_0000_0000_0000_0000_0000, 20)
    {
        plain(AddressClass::Documentation)
    } else if in_net(0x2001_0003_0000_0000_0000_0000_0000_0000, 32)
        || in_net(0x2001_0004_0112_0000_0000_0000_0000_0000, 48)
    {
        // AMT and AS112-v6: globally reachable parts of 2001::/23.
        plain(AddressClass::Public)
    } else if in_net(0x2001_0000_0000_0000_0000_0000_0000_0000, 23) {
        plain(AddressClass::IetfProtocol)
    } else if in_net(0x2002_0000_0000_0000_0000_0000_0000_0000, 16) {
        via(Ipv4Addr::from(((n >> 80) & 0xffff_ffff) as u32))
    } else if in_net(0xfc00_0000_0000_0000_0000_0000_0000_0000, 7) {
        plain(AddressClass::UniqueLocal)
    } else if in_net(0xfe80_0000_0000_0000_0000_0000_0000_0000, 10) {
        plain(AddressClass::LinkLocal)
    } else if in_net(0xfec0_0000_0000_0000_0000_0000_0000_0000, 10) {
        plain(AddressClass::SiteLocal)
    } else if in_net(0xff00_0000_0000_0000_0000_0000_0000_0000, 8) {
        plain(AddressClass::Multicast)
    } else if !in_net(0x2000_0000_0000_0000_0000_0000_0000_0000, 3) {
        plain(AddressClass::Reserved)
    } else {
        plain(AddressClass::Public)
    }
}

/// The embedded IPv4 address's class when that one is blocked, else `class`.
fn embedded_or(v4: Ipv4Addr, class: AddressClass) -> Classification {
    match classify_v4(v4) {
        AddressClass::Public => Classification { class, via: None },
        blocked => Classification {
            class: blocked,
            via: Some(v4),
        },
    }
}

/// Checks one address against the policy; `Err` holds the reason, e.g.
/// "127.0.0.1 is a loopback address; scanning private addresses is not allowed".
pub fn check_address(ip: IpAddr, options: &PolicyOptions) -> Result<(), String> {
    let Classification { class, via } = classify(ip);
    if class == AddressClass::Public {
        return Ok(());
    }
    if options.allow_private && class.allowed_when_private() {
        return Ok(());
    }
    let what = match via {
        Some(v4) => format!("{ip} embeds {v4}, {}", class.describe()),
        None => format!("{ip} is {}", class.describe()),
    };
    if class.allowed_when_private() {
        Err(format!(
            "{what}; {} private addresses is not allowed",
            options.purpose.action()
        ))
    } else {
        Err(format!(
            "{what}, which can never {}",
            options.purpose.never()
        ))
    }
}

/// Characters that render as nothing or change direction: refused outright
/// rather than silently dropped by IDNA mapping.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFF8}' | '\u{E0000}'..='\u{E0FFF}')
}

/// Special-use and private-use top-level names (RFC 6761, 6762, 7686, 8375,
/// 9476 and common private suffixes). `Some(true)` when `allow_private` lifts it.
fn special_use(name: &str) -> Option<(&'static str, bool)> {
    const PRIVATE: [&str; 8] = [
        "localhost",
        "local",
        "internal",
        "home.arpa",
        "localdomain",
        "lan",
        "intranet",
        "corp",
    ];
    const NEVER: [&str; 4] = ["invalid", "onion", "alt", "arpa"];
    let ends = |suffix: &str| name == suffix || name.ends_with(&format!(".{suffix}"));
    if let Some(s) = PRIVATE.iter().find(|s| ends(s)) {
        return Some((s, true));
    }
    NEVER.iter().find(|s| ends(s)).map(|s| (*s, false))
}

/// Parses an IPv4 address the way `inet_aton` and URL parsers do: one to
/// four parts, each decimal, octal (leading `0`) or hex (`0x`), the last
/// filling the remaining bytes. Used to refuse such spellings by name.
pub(crate) fn parse_ipv4_loose(s: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut values = Vec::with_capacity(parts.len());
    for p in &parts {
        let p = p.to_ascii_lowercase();
        let v = if let Some(hex) = p.strip_prefix("0x") {
            if hex.is_empty() {
                Some(0)
            } else {
                u64::from_str_radix(hex, 16).ok()
            }
        } else if p.len() > 1 && p.starts_with('0') {
            u64::from_str_radix(&p[1..], 8).ok()
        } else if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) {
            p.parse::<u64>().ok()
        } else {
            None
        }?;
        values.push(v);
    }
    let (last, head) = values.split_last()?;
    if head.iter().any(|v| *v > 255) {
        return None;
    }
    let rest_bytes = 4 - head.len() as u32;
    if *last >= 1u64 << (8 * rest_bytes) {
        return None;
    }
    let mut n: u64 = 0;
    for (i, v) in head.iter().enumerate() {
        n |= v << (24 - 8 * i as u32);
    }
    n |= last;
    u32::try_from(n).ok().map(Ipv4Addr::from)
}

/// Whether a label looks like a number to URL parsers (digits, or `0x` hex).
fn numeric_label(label: &str) -> bool {
    let l = label.to_ascii_lowercase();
    if let Some(hex) = l.strip_prefix("0x") {
        return hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit())
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Script {
    Latin,
    Cyrillic,
    Greek,
}

fn script(c: char) -> Option<Script> {
    match c {
        'a'..='z' | 'A'..='Z' | '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' => {
            Some(Script::Latin)
        }
        '\u{0400}'..='\u{052F}'
        | '\u{1C80}'..='\u{1C8F}'
        | '\u{2DE0}'..='\u{2DFF}'
        | '\u{A640}'..='\u{A69F}' => Some(Script::Cyrillic),
        '\u{0370}'..='\u{03FF}' | '\u{1F00}'..='\u{1FFF}' => Some(Script::Greek),
        _ => None,
    }
}

fn script_name(s: Script) -> &'static str {
    match s {
        Script::Latin => "Latin",
        Script::Cyrillic => "Cyrillic",
        Script::Greek => "Greek",
    }
}

/// Validates a target host name (step 1 of the policy). Never resolves.
///
/// Returns the host in canonical form: a lowercase A-label domain without
/// trailing dot, or an IP literal when the options allow literals and the
/// address passes [`check_address`].
pub fn parse_host(input: &str, options: &PolicyOptions) -> Result<Host, Error> {
    let raw = input.trim_matches(|c: char| c.is_ascii_whitespace());
    if raw.is_empty() {
        return Err(Error::invalid(input, "the host name is empty"));
    }
    if raw.len() > MAX_INPUT {
        return Err(Error::invalid(
            input,
            format!("longer than {MAX_INPUT} bytes"),
        ));
    }
    for c in raw.chars() {
        if c.is_control() {
            return Err(Error::invalid(
                input,
                format!("contains the control character U+{:04X}", c as u32),
            ));
        }
        if is_invisible(c) {
            return Err(Error::invalid(
                input,
                format!("contains the invisible character U+{:04X}", c as u32),
            ));
        }
        if c.is_whitespace() {
            return Err(Error::invalid(
                input,
                format!("contains whitespace (U+{:04X})", c as u32),
            ));
        }
    }
    if let Some(i) = raw.find("://") {
        return Err(Error::invalid(
            input,
            format!(
                "looks like a URL (scheme `{}`); give a bare host name",
                shorten(&raw[..i])
            ),
        ));
    }
    // IPv6 literals, bare or in brackets.
    if let Some(inner) = raw.strip_prefix('[') {
        return match inner.strip_suffix(']').map(str::parse::<Ipv6Addr>) {
            Some(Ok(v6)) => ip_literal(input, IpAddr::V6(v6), options),
            _ if inner.contains("]:") => Err(Error::invalid(
                input,
                "contains a port; ports are configured separately",
            )),
            _ => Err(Error::invalid(
                input,
                "is not a valid bracketed IPv6 address",
            )),
        };
    }
    if let Ok(v6) = raw.parse::<Ipv6Addr>() {
        return ip_literal(input, IpAddr::V6(v6), options);
    }
    for (needle, why) in [
        ('@', "contains '@'; user information is not accepted"),
        (
            '/',
            "contains '/'; paths are not accepted, give a bare host name",
        ),
        (
            '\\',
            "contains '\\'; paths are not accepted, give a bare host name",
        ),
        ('?', "contains '?'; queries are not accepted"),
        ('#', "contains '#'; fragments are not accepted"),
        (
            '%',
            "contains '%'; percent-encoding and IPv6 zone ids are not accepted",
        ),
        (
            ':',
            "contains ':'; ports are configured separately and host names have no ':'",
        ),
        ('*', "contains '*'; wildcards are not host names"),
    ] {
        if raw.contains(needle) {
            return Err(Error::invalid(input, why));
        }
    }

    // UTS #46 mapping to A-labels (maps fullwidth dots and letters, case-folds).
    let ascii = idna::domain_to_ascii(raw).map_err(|_| {
        Error::invalid(
            input,
            "is not a valid internationalised domain name (IDNA mapping failed)",
        )
    })?;
    if let Some(c) = ascii
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
    {
        return Err(Error::invalid(
            input,
            format!(
                "contains `{}`, which is not allowed in host names (letters, digits, '-' and '.')",
                c.escape_default()
            ),
        ));
    }
    let name = match ascii.strip_suffix('.') {
        Some(n) => n,
        None => ascii.as_str(),
    };
    if name.is_empty() {
        return Err(Error::invalid(input, "the host name is empty"));
    }
    if let Ok(v4) = name.parse::<Ipv4Addr>() {
        return ip_literal(input, IpAddr::V4(v4), options);
    }
    if let Some(v4) = parse_ipv4_loose(name) {
        let mut reason = format!("spells the IPv4 address {v4} in a numeric form");
        if let Err(why) = check_address(IpAddr::V4(v4), &PolicyOptions::default()) {
            reason.push_str(&format!(" ({why})"));
        }
        reason.push_str("; give a domain name");
        return Err(Error::invalid(input, reason));
    }
    if name.len() > 253 {
        return Err(Error::invalid(
            input,
            format!(
                "is {} characters long in A-label form; the limit is 253",
                name.len()
            ),
        ));
    }
    let labels: Vec<&str> = name.split('.').collect();
    for label in &labels {
        if label.is_empty() {
            return Err(Error::invalid(
                input,
                "has an empty label (two dots in a row, or a leading dot)",
            ));
        }
        if label.len() > 63 {
            return Err(Error::invalid(
                input,
                format!("has a label of {} characters; the limit is 63", label.len()),
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(Error::invalid(
                input,
                format!("label `{label}` starts or ends with '-'"),
            ));
        }
    }
    if let Some((suffix, liftable)) = special_use(name)
        && !(liftable && options.allow_private)
    {
        return Err(Error::refused(
            name,
            if liftable {
                format!(
                    "`{suffix}` is a special-use or private name; {} private names is not allowed",
                    options.purpose.action()
                )
            } else {
                format!(
                    "`{suffix}` is a special-use name that can never {}",
                    options.purpose.never()
                )
            },
        ));
    }
    if labels.len() < 2 {
        return Err(Error::invalid(
            input,
            format!("`{name}` is a single-label name, not a public domain"),
        ));
    }
    if let Some(tld) = labels.last()
        && numeric_label(tld)
    {
        return Err(Error::invalid(
            input,
            format!("the top-level label `{tld}` is numeric; that is no domain name"),
        ));
    }
    // Confusables: a label mixing Latin with Cyrillic or Greek letters.
    let (unicode, _) = idna::domain_to_unicode(name);
    for label in unicode.split('.') {
        let mut seen: Option<Script> = None;
        for s in label.chars().filter_map(script) {
            match seen {
                None => seen = Some(s),
                Some(first) if first != s => {
                    return Err(Error::invalid(
                        input,
                        format!(
                            "label `{}` mixes {} and {} letters (a confusable spelling)",
                            shorten(label),
                            script_name(first),
                            script_name(s)
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
    }
    Ok(Host::Domain(name.to_owned()))
}

fn ip_literal(input: &str, ip: IpAddr, options: &PolicyOptions) -> Result<Host, Error> {
    check_address(ip, options).map_err(|reason| Error::refused(ip.to_string(), reason))?;
    if !options.allow_ip_literals {
        return Err(Error::invalid(
            input,
            "is an IP address; give a domain name (IP literals are not allowed)",
        ));
    }
    Ok(Host::Ip(ip))
}

/// The target policy with its resolver: validates, resolves once, checks.
#[derive(Clone)]
pub struct TargetPolicy {
    options: PolicyOptions,
    resolver: TokioResolver,
    timeout: Duration,
}

impl fmt::Debug for TargetPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TargetPolicy")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl TargetPolicy {
    /// A policy resolving through `resolver`. Must be called inside a tokio runtime.
    pub fn new(options: PolicyOptions, resolver: &ResolverOptions) -> Result<Self, Error> {
        let mut builder = resolver.builder()?;
        let opts: &mut ResolverOpts = builder.options_mut();
        opts.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
        let built = builder.build().map_err(|e| Error::Config {
            reason: format!("cannot build the resolver: {e}"),
        })?;
        // Bound the whole lookup, whatever the resolver's retries add up to.
        let timeout = resolver
            .timeout
            .saturating_mul(u32::try_from(resolver.attempts.max(1)).unwrap_or(4) + 1);
        Ok(Self {
            options,
            resolver: built,
            timeout,
        })
    }

    /// The options in force.
    pub fn options(&self) -> &PolicyOptions {
        &self.options
    }

    /// Step 1 only: validates the syntax (see [`parse_host`]).
    pub fn parse(&self, input: &str) -> Result<Host, Error> {
        parse_host(input, &self.options)
    }

    /// Checks one address (e.g. a redirect's or an MX host's) against the policy.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Error> {
        check_address(ip, &self.options).map_err(|reason| Error::refused(ip.to_string(), reason))
    }

    /// Validates `input`, resolves it once and checks every address. The
    /// returned addresses are the only ones to connect to.
    pub async fn resolve(&self, input: &str) -> Result<ResolvedTarget, Error> {
        let host = self.parse(input)?;
        let name = match &host {
            Host::Ip(ip) => {
                return Ok(ResolvedTarget {
                    addrs: vec![*ip],
                    host,
                });
            }
            Host::Domain(d) => d.clone(),
        };
        // Fully qualified, so no search domain is ever appended.
        let fqdn = format!("{name}.");
        let lookup = tokio::time::timeout(self.timeout, self.resolver.lookup_ip(fqdn.as_str()))
            .await
            .map_err(|_| Error::Resolution {
                domain: name.clone(),
                reason: "DNS lookup timed out".into(),
            })?
            .map_err(|e| Error::Resolution {
                domain: name.clone(),
                reason: if e.is_nx_domain() {
                    "no such domain (NXDOMAIN)".to_owned()
                } else if e.is_no_records_found() {
                    "no A or AAAA records".to_owned()
                } else {
                    e.to_string()
                },
            })?;
        let mut addrs: Vec<IpAddr> = Vec::new();
        for ip in lookup.iter() {
            if !addrs.contains(&ip) {
                addrs.push(ip);
            }
        }
        if addrs.is_empty() {
            return Err(Error::Resolution {
                domain: name,
                reason: "no A or AAAA records".into(),
            });
        }
        // One blocked address refuses the whole name: a name pointing at both
        // a public and a private address is how rebinding attacks start.
        for ip in &addrs {
            if let Err(reason) = check_address(*ip, &self.options) {
                return Err(Error::refused(
                    name,
                    format!("it resolves to {ip}: {reason}"),
                ));
            }
        }
        Ok(ResolvedTarget { host, addrs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> PolicyOptions {
        PolicyOptions::default()
    }

    #[test]
    fn loose_ipv4_spellings() {
        let lo = Some(Ipv4Addr::new(127, 0, 0, 1));
        assert_eq!(parse_ipv4_loose("2130706433"), lo);
        assert_eq!(parse_ipv4_loose("0x7f.1"), lo);
        assert_eq!(parse_ipv4_loose("017700000001"), lo);
        assert_eq!(parse_ipv4_loose("0x7f000001"), lo);
        assert_eq!(parse_ipv4_loose("127.1"), lo);
        assert_eq!(parse_ipv4_loose("127.0.1"), lo);
        assert_eq!(parse_ipv4_loose("0177.0.0.01"), lo);
        assert_eq!(parse_ipv4_loose("256.1.1.1"), None);
        assert_eq!(parse_ipv4_loose("example.com"), None);
        assert_eq!(parse_ipv4_loose("1.2.3.4.5"), None);
        assert_eq!(parse_ipv4_loose("4294967296"), None);
    }

    #[test]
    fn classes_of_v4() {
        let c = |s: &str| classify(s.parse().unwrap()).class;
        assert_eq!(c("8.8.8.8"), AddressClass::Public);
        assert_eq!(c("1.1.1.1"), AddressClass::Public);
        assert_eq!(c("0.0.0.0"), AddressClass::Unspecified);
        assert_eq!(c("0.1.2.3"), AddressClass::ThisNetwork);
        assert_eq!(c("127.0.0.1"), AddressClass::Loopback);
        assert_eq!(c("127.255.255.254"), AddressClass::Loopback);
        assert_eq!(c("10.0.0.1"), AddressClass::Private);
        assert_eq!(c("172.16.0.1"), AddressClass::Private);
        assert_eq!(c("172.31.255.255"), AddressClass::Private);
        assert_eq!(c("172.32.0.1"), AddressClass::Public);
        assert_eq!(c("192.168.1.1"), AddressClass::Private);
        assert_eq!(c("100.64.0.1"), AddressClass::SharedCgnat);
        assert_eq!(c("100.127.255.255"), AddressClass::SharedCgnat);
        assert_eq!(c("100.128.0.1"), AddressClass::Public);
        assert_eq!(c("169.254.169.254"), AddressClass::LinkLocal);
        assert_eq!(c("192.0.0.8"), AddressClass::IetfProtocol);
        assert_eq!(c("192.0.2.1"), AddressClass::Documentation);
        assert_eq!(c("198.51.100.1"), AddressClass::Documentation);
        assert_eq!(c("203.0.113.1"), AddressClass::Documentation);
        assert_eq!(c("198.18.0.1"), AddressClass::Benchmarking);
        assert_eq!(c("198.19.255.255"), AddressClass::Benchmarking);
        assert_eq!(c("192.88.99.1"), AddressClass::Relay6to4);
        assert_eq!(c("224.0.0.1"), AddressClass::Multicast);
        assert_eq!(c("239.255.255.250"), AddressClass::Multicast);
        assert_eq!(c("240.0.0.1"), AddressClass::Reserved);
        assert_eq!(c("255.255.255.255"), AddressClass::Broadcast);
    }

    #[test]
    fn classes_of_v6() {
        let c = |s: &str| classify(s.parse().unwrap());
        let plain = |class| Classification { class, via: None };
        assert_eq!(c("2606:4700::1111"), plain(AddressClass::Public));
        assert_eq!(c("::"), plain(AddressClass::Unspecified));
        assert_eq!(c("::1"), plain(AddressClass::Loopback));
        assert_eq!(c("fc00::1"), plain(AddressClass::UniqueLocal));
        assert_eq!(c("fd12:3456::1"), plain(AddressClass::UniqueLocal));
        assert_eq!(c("fe80::1"), plain(AddressClass::LinkLocal));
        assert_eq!(c("febf::1"), plain(AddressClass::LinkLocal));
        assert_eq!(c("fec0::1"), plain(AddressClass::SiteLocal));
        assert_eq!(c("ff02::1"), plain(AddressClass::Multicast));
        assert_eq!(c("2001:db8::1"), plain(AddressClass::Documentation));
        assert_eq!(c("3fff::1"), plain(AddressClass::Documentation));
        assert_eq!(c("2001::1"), plain(AddressClass::Teredo));
        assert_eq!(c("2001:2::1"), plain(AddressClass::Benchmarking));
        assert_eq!(c("2001:10::1"), plain(AddressClass::Orchid));
        assert_eq!(c("100::1"), plain(AddressClass::Discard));
        assert_eq!(c("::808:808"), plain(AddressClass::Ipv4Compatible));
        assert_eq!(
            c("::7f00:1"),
            Classification {
                class: AddressClass::Loopback,
                via: Some(Ipv4Addr::new(127, 0, 0, 1))
            }
        );
        assert_eq!(c("64:ff9b:1::808:808"), plain(AddressClass::LocalNat64));
        assert_eq!(
            c("64:ff9b:1::a00:1"),
            Classification {
                class: AddressClass::Private,
                via: Some(Ipv4Addr::new(10, 0, 0, 1))
            }
        );
        assert_eq!(
            c("64:ff9b:1::e000:1").class,
            AddressClass::Multicast,
            "never allowed, even with allow_private"
        );
        assert_eq!(c("4000::1"), plain(AddressClass::Reserved));
        let lo = Some(Ipv4Addr::new(127, 0, 0, 1));
        assert_eq!(
            c("::ffff:127.0.0.1"),
            Classification {
                class: AddressClass::Loopback,
                via: lo
            }
        );
        assert_eq!(
            c("::ffff:0:127.0.0.1"),
            Classification {
                class: AddressClass::Loopback,
                via: lo
            }
        );
        assert_eq!(
            c("64:ff9b::127.0.0.1"),
            Classification {
                class: AddressClass::Loopback,
                via: lo
            }
        );
        assert_eq!(
            c("2002:7f00:1::1"),
            Classification {
                class: AddressClass::Loopback,
                via: lo
            }
        );
        assert_eq!(
            c("2002:0a00:0001::1"),
            Classification {
                class: AddressClass::Private,
                via: Some(Ipv4Addr::new(10, 0, 0, 1))
            }
        );
        assert_eq!(c("::ffff:8.8.8.8").class, AddressClass::Public);
        assert_eq!(c("64:ff9b::8.8.8.8").class, AddressClass::Public);
    }

    #[test]
    fn refusal_messages_name_the_address_and_range() {
        let err = check_address("127.0.0.1".parse().unwrap(), &strict()).unwrap_err();
        assert_eq!(
            err,
            "127.0.0.1 is a loopback address; scanning private addresses is not allowed"
        );
        let err = check_address("::ffff:10.1.2.3".parse().unwrap(), &strict()).unwrap_err();
        assert_eq!(
            err,
            "::ffff:10.1.2.3 embeds 10.1.2.3, a private (RFC 1918) address; scanning private addresses is not allowed"
        );
        let err = check_address(
            "224.0.0.1".parse().unwrap(),
            &PolicyOptions::new().allow_private(true),
        )
        .unwrap_err();
        assert_eq!(
            err,
            "224.0.0.1 is a multicast address, which can never be scanned"
        );
        assert!(
            check_address(
                "10.0.0.1".parse().unwrap(),
                &PolicyOptions::new().allow_private(true)
            )
            .is_ok()
        );
        assert!(check_address("8.8.8.8".parse().unwrap(), &strict()).is_ok());
        let webhooks = strict().purpose(Purpose::Webhooks);
        assert_eq!(
            check_address("10.0.0.1".parse().unwrap(), &webhooks).unwrap_err(),
            "10.0.0.1 is a private (RFC 1918) address; delivering webhooks to private addresses is not allowed"
        );
        assert_eq!(
            check_address("0.0.0.0".parse().unwrap(), &webhooks).unwrap_err(),
            check_address("0.0.0.0".parse().unwrap(), &strict())
                .unwrap_err()
                .replace("be scanned", "receive webhooks")
        );
    }

    #[test]
    fn valid_public_names_pass() {
        let ok = |s: &str, want: &str| {
            assert_eq!(
                parse_host(s, &strict()),
                Ok(Host::Domain(want.to_owned())),
                "input {s:?}"
            );
        };
        ok("example.com", "example.com");
        ok("EXAMPLE.com", "example.com");
        ok("example.com.", "example.com");
        ok("  www.example.co.uk ", "www.example.co.uk");
        ok("a-b.example", "a-b.example");
        ok("xn--bcher-kva.example", "xn--bcher-kva.example");
        ok("bücher.example", "xn--bcher-kva.example");
        ok("example\u{3002}com", "example.com");
        ok("münchen.de", "xn--mnchen-3ya.de");
        ok("пример.рф", "xn--e1afmkfd.xn--p1ai");
        ok("1.2.3.example.com", "1.2.3.example.com");
        ok("123.com", "123.com");
        ok("0x7f.example", "0x7f.example");
        ok(
            &format!("{}.com", "a".repeat(63)),
            &format!("{}.com", "a".repeat(63)),
        );
        let long = format!(
            "{}.{}.{}.{}",
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(61)
        );
        assert_eq!(long.len(), 253);
        ok(&long, &long);
    }

    #[test]
    fn private_addresses_are_off_by_default_and_lifted_only_explicitly() {
        assert!(!PolicyOptions::default().allow_private);
        assert!(!PolicyOptions::new().allow_private);
        assert!(!PolicyOptions::default().allow_ip_literals);
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(check_address(lo, &PolicyOptions::default()).is_err());
        assert!(check_address(lo, &PolicyOptions::new().allow_private(true)).is_ok());
        assert!(check_address(lo, &PolicyOptions::new().allow_private(false)).is_err());
        // Mapped, NAT64 and 6to4 forms are lifted with their IPv4 address, never beyond.
        let open = PolicyOptions::new().allow_private(true);
        for ip in [
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b:1::a00:1",
            "2002:a00:1::1",
        ] {
            assert!(check_address(ip.parse().unwrap(), &open).is_ok(), "{ip}");
            assert!(
                check_address(ip.parse().unwrap(), &strict()).is_err(),
                "{ip}"
            );
        }
        for ip in [
            "::ffff:224.0.0.1",
            "64:ff9b::f000:1",
            "64:ff9b:1::ffff:ffff",
            "2002:e000:1::1",
        ] {
            assert!(check_address(ip.parse().unwrap(), &open).is_err(), "{ip}");
        }
    }

    #[test]
    fn ip_literals_when_allowed() {
        let opts = PolicyOptions::new().allow_ip_literals(true);
        assert_eq!(
            parse_host("8.8.8.8", &opts),
            Ok(Host::Ip("8.8.8.8".parse().unwrap()))
        );
        assert_eq!(
            parse_host("[2606:4700::1111]", &opts),
            Ok(Host::Ip("2606:4700::1111".parse().unwrap()))
        );
        assert!(matches!(
            parse_host("127.0.0.1", &opts),
            Err(Error::TargetRefused { .. })
        ));
        assert!(matches!(
            parse_host("2130706433", &opts),
            Err(Error::InvalidTarget { .. })
        ));
    }
}

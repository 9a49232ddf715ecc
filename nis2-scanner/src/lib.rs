//! # nis2-scanner
//!
//! The outside-in scanner of nis2. This part holds the target policy (the
//! SSRF guard every connection goes through), TLS protocol and cipher-suite
//! probing with hand-built ClientHello messages, certificate chain analysis
//! from a real rustls handshake, and — behind the `lab` feature — local test
//! targets with their own DNS server.
//!
//! ```no_run
//! # async fn demo() -> Result<(), nis2_scanner::Error> {
//! use nis2_scanner::{ScanOptions, TlsScanner};
//! let scanner = TlsScanner::new(ScanOptions::default())?;
//! let observations = scanner.scan("example.com").await?;
//! let tls = observations.tls.as_ref();
//! println!("TLS 1.3: {:?}", tls.map(|t| t.protocols.tls1_3));
//! # Ok(()) }
//! ```
//!
//! ## What one TLS analysis does
//!
//! 1. [`TargetPolicy::resolve`]: validate the name, resolve it once, refuse
//!    it if any address is in a blocked range. Only those addresses are
//!    ever connected to.
//! 2. Phase 1, concurrently: a TLS 1.3 and a TLS 1.2 hello probe, and a
//!    real rustls handshake that captures the chain (and any stapled OCSP
//!    response). A target that answers none of them with TLS stops here:
//!    silent, garbage-speaking and stalling servers cost one timeout.
//! 3. Phase 2: TLS 1.1, TLS 1.0, SSLv3 and SSLv2 probes, and an
//!    X25519MLKEM768-only TLS 1.3 probe where TLS 1.3 was accepted.
//! 4. Phase 3: one probe per cipher-suite class (RC4, DES/3DES, NULL,
//!    EXPORT, anonymous, CBC, static RSA, (EC)DHE) on each accepted
//!    version ≤ 1.2; the suite the server picks is recorded.
//! 5. The chain is verified with webpki against webpki-roots plus extra
//!    roots (names are core's job, from the SANs) and read with
//!    x509-parser. Where rustls cannot talk to the server (TLS ≤ 1.1 only),
//!    the chain sent in the clear in the best hello exchange is used.
//! 6. Revocation: a stapled OCSP response is read; without one, the OCSP
//!    responder named in the leaf is asked (its host through the target
//!    policy) and its answer counts only when the issuer signed it.
//!
//! Probes of one target run [`ScanOptions::probe_concurrency`] at a time,
//! connections to one address at most [`ScanOptions::per_host_connections`]
//! at a time across the scanner; every connect, hello and handshake has a
//! timeout, and the whole analysis a deadline ([`ScanOptions::scan_timeout`])
//! after which what was learnt is kept. Failures of single probes become
//! [`nis2_core::observations::ObservationError`]s, never an `Err`.
//!
//! ## Public API
//!
//! - [`DomainScanner`] with [`ScannerOptions`]: the full scan of a domain
//!   (TLS, HTTP, DNS, e-mail, exposed ports, each group concurrently with
//!   its own deadline), [`DomainScanner::scan_many`] (a stream of
//!   [`DomainResult`]s, bounded concurrency) and the [`nis2_core::Scanner`]
//!   port. HTTP redirects, MTA-STS policy hosts and name servers go through
//!   the same [`TargetPolicy`]. `lab::LabVendors` (feature `lab`) starts
//!   whole lab vendors and gives the options that scan them.
//! - [`TlsScanner`] with [`ScanOptions`]: [`TlsScanner::scan`],
//!   [`TlsScanner::scan_port`], [`TlsScanner::scan_resolved`] (reuse one
//!   resolution for several checks), [`TlsScanner::batch`] (a stream of
//!   [`BatchResult`]s), and the [`nis2_core::Scanner`] port (TLS group only).
//! - [`policy`]: [`policy::parse_host`], [`TargetPolicy`] (`resolve`,
//!   `check_ip` for redirects, MX hosts and webhook URLs),
//!   [`policy::classify`] and [`policy::check_address`].
//! - `lab` (feature `lab`): `lab::Lab`, `lab::LabBuilder` (choose targets,
//!   add zone data), `lab::LabDnsBuilder` (a standalone lab DNS server),
//!   `lab::TargetKind`.
//! - [`Error`], one enum for the crate, `From<Error> for ScanError`.

mod cert;
mod dns;
mod email;
mod error;
mod full;
mod hello;
mod http;
mod ocsp;
mod ports;
mod probe;
mod scanner;
mod zone;

pub mod policy;

#[cfg(feature = "lab")]
pub mod lab;

/// DKIM selectors probed by default.
pub use email::DEFAULT_DKIM_SELECTORS;
/// The crate's error type, mapped to [`nis2_core::ScanError`] at the port boundary.
pub use error::Error;
/// The full scanner (every check group of a domain), its options and its stream results.
pub use full::{DomainResult, DomainScanner, ScannerOptions};
/// The target policy, re-exported for convenience.
pub use policy::{Host, PolicyOptions, Purpose, ResolvedTarget, ResolverOptions, TargetPolicy};
/// The TLS scanner, its options and its batch mode.
pub use scanner::{BatchResult, BatchTarget, ScanOptions, TlsScanner};

//! One hello exchange: connect to a checked address, send a hand-built
//! ClientHello, read and parse what comes back (tls-parser), close.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;

use tls_parser::{
    TlsExtension, TlsMessage, TlsMessageHandshake, parse_tls_message_handshake,
    parse_tls_plaintext, parse_tls_server_hello_extensions,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// The random of a HelloRetryRequest (RFC 8446 §4.1.3).
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Most a probe reads before giving up on finding what it wants.
const MAX_READ: usize = 256 * 1024;

/// Timeouts of one probe.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timeouts {
    pub(crate) connect: Duration,
    pub(crate) handshake: Duration,
}

/// What the ServerHello said.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ServerHello {
    /// Negotiated version (from supported_versions when present).
    pub(crate) version: u16,
    pub(crate) cipher: u16,
    /// Key-share group (TLS 1.3), or the group a HelloRetryRequest asks for.
    pub(crate) group: Option<u16>,
    pub(crate) retry_request: bool,
    /// Certificates sent in the clear (TLS ≤ 1.2), DER, leaf first.
    pub(crate) chain: Vec<Vec<u8>>,
    /// The OCSP response of a CertificateStatus message (stapled), if any.
    pub(crate) ocsp_response: Vec<u8>,
    /// The key-exchange group of a TLS ≤ 1.2 ServerKeyExchange: the named
    /// curve of (EC)DHE, or `DHE-<bits>` for finite-field DHE.
    pub(crate) kx_group: Option<String>,
}

/// The group a TLS ≤ 1.2 ServerKeyExchange uses, for (EC)DHE suites.
fn kx_group(cipher: u16, params: &[u8]) -> Option<String> {
    let suite = tls_parser::TlsCipherSuite::from_id(cipher)?;
    match suite.kx {
        // ServerECDHParams: curve_type 3 (named_curve), then the group.
        tls_parser::TlsCipherKx::Ecdhe if params.len() >= 3 && params[0] == 3 => {
            Some(crate::hello::group_name(u16::from_be_bytes([
                params[1], params[2],
            ])))
        }
        // ServerDHParams: the prime p first, with its length.
        tls_parser::TlsCipherKx::Dhe if params.len() >= 2 => {
            let p_len = usize::from(u16::from_be_bytes([params[0], params[1]]));
            let p = params.get(2..2 + p_len)?;
            let leading = p.iter().take_while(|b| **b == 0).count();
            let bits =
                (p.len() - leading) * 8 - p.get(leading).map_or(0, |b| b.leading_zeros() as usize);
            Some(format!("DHE-{bits}"))
        }
        _ => None,
    }
}

/// What happened to one probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Hello(ServerHello),
    /// An SSLv2 SERVER-HELLO.
    Ssl2Hello,
    Alert {
        level: u8,
        description: u8,
    },
    /// The server closed the connection without answering.
    Closed,
    /// The connection was reset.
    Reset,
    /// Nothing arrived in time (`stage` says what was awaited).
    Timeout(&'static str),
    ConnectFailed(String),
    /// The answer is not TLS, or not a valid hello.
    Garbage(String),
}

impl Outcome {
    /// Whether the peer spoke TLS (a hello or an alert) or at least closed
    /// cleanly, as opposed to not answering or answering nonsense.
    pub(crate) fn is_tls_answer(&self) -> bool {
        matches!(
            self,
            Outcome::Hello(_)
                | Outcome::Ssl2Hello
                | Outcome::Alert { .. }
                | Outcome::Closed
                | Outcome::Reset
        )
    }

    /// Words for an observation error.
    pub(crate) fn describe(&self) -> String {
        match self {
            Outcome::Hello(h) => format!(
                "ServerHello version 0x{:04x} suite 0x{:04x}",
                h.version, h.cipher
            ),
            Outcome::Ssl2Hello => "SSLv2 SERVER-HELLO".into(),
            Outcome::Alert { level, description } => {
                format!("alert {} (level {level})", alert_name(*description))
            }
            Outcome::Closed => "connection closed without an answer".into(),
            Outcome::Reset => "connection reset".into(),
            Outcome::Timeout(stage) => format!("timed out {stage}"),
            Outcome::ConnectFailed(e) => format!("cannot connect: {e}"),
            Outcome::Garbage(e) => format!("not a TLS answer: {e}"),
        }
    }
}

pub(crate) fn alert_name(code: u8) -> String {
    match code {
        0 => "close_notify".into(),
        10 => "unexpected_message".into(),
        20 => "bad_record_mac".into(),
        40 => "handshake_failure".into(),
        42 => "bad_certificate".into(),
        47 => "illegal_parameter".into(),
        50 => "decode_error".into(),
        70 => "protocol_version".into(),
        71 => "insufficient_security".into(),
        80 => "internal_error".into(),
        86 => "inappropriate_fallback".into(),
        109 => "missing_extension".into(),
        112 => "unrecognized_name".into(),
        other => format!("#{other}"),
    }
}

fn hex_prefix(b: &[u8]) -> String {
    b.iter()
        .take(8)
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Connects (bounded by `t.connect`); failures become an [`Outcome`].
pub(crate) async fn connect(addr: SocketAddr, t: Timeouts) -> Result<TcpStream, Outcome> {
    match tokio::time::timeout(t.connect, TcpStream::connect(addr)).await {
        Err(_) => Err(Outcome::Timeout("connecting")),
        Ok(Err(e)) if e.kind() == ErrorKind::ConnectionReset => Err(Outcome::Reset),
        Ok(Err(e)) => Err(Outcome::ConnectFailed(e.to_string())),
        Ok(Ok(s)) => {
            let _ = s.set_nodelay(true);
            Ok(s)
        }
    }
}

/// Sends `hello` to `addr` and reads the answer. With `want_certs`, a
/// TLS ≤ 1.2 exchange is read on to ServerHelloDone to collect the
/// certificates and any stapled OCSP response.
pub(crate) async fn probe(
    addr: SocketAddr,
    hello: &[u8],
    t: Timeouts,
    want_certs: bool,
) -> Outcome {
    let mut stream = match connect(addr, t).await {
        Ok(s) => s,
        Err(o) => return o,
    };
    let deadline = Instant::now() + t.handshake;
    match tokio::time::timeout_at(deadline, stream.write_all(hello)).await {
        Err(_) => return Outcome::Timeout("sending the ClientHello"),
        Ok(Err(e)) if is_reset(&e) => return Outcome::Reset,
        Ok(Err(e)) => return Outcome::ConnectFailed(format!("sending the ClientHello: {e}")),
        Ok(Ok(())) => {}
    }
    let outcome = read_answer(&mut stream, deadline, want_certs).await;
    // Close without lingering; the server learns from the FIN.
    drop(stream);
    outcome
}

fn is_reset(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe
    )
}

/// Reads exactly `buf.len()` bytes; `Ok(false)` on a clean EOF before the first byte.
async fn read_exact_or_eof<R: AsyncRead + Unpin>(
    stream: &mut R,
    buf: &mut [u8],
    deadline: Instant,
) -> Result<bool, Outcome> {
    let mut have = 0;
    while have < buf.len() {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf[have..])).await {
            Err(_) => return Err(Outcome::Timeout("waiting for the server's answer")),
            Ok(Err(e)) if is_reset(&e) => return Err(Outcome::Reset),
            Ok(Err(e)) => return Err(Outcome::ConnectFailed(format!("reading: {e}"))),
            Ok(Ok(0)) if have == 0 => return Ok(false),
            Ok(Ok(0)) => {
                return Err(Outcome::Garbage(format!(
                    "connection closed in the middle of a record after {have} of {} bytes",
                    buf.len()
                )));
            }
            Ok(Ok(n)) => have += n,
        }
    }
    Ok(true)
}

/// Reads and parses a server's answer to a ClientHello from any byte stream.
pub(crate) async fn read_answer<R: AsyncRead + Unpin>(
    stream: &mut R,
    deadline: Instant,
    want_certs: bool,
) -> Outcome {
    let mut handshake: Vec<u8> = Vec::new();
    let mut hello: Option<ServerHello> = None;
    let mut total = 0usize;
    loop {
        let mut header = [0u8; 5];
        match read_exact_or_eof(stream, &mut header, deadline).await {
            Ok(true) => {}
            Ok(false) => return hello.map(Outcome::Hello).unwrap_or(Outcome::Closed),
            // Once the ServerHello is in, a later stall or reset only cuts the certificate collection short.
            Err(o) => return hello.map(Outcome::Hello).unwrap_or(o),
        }
        if hello.is_none() && total == 0 && header[0] & 0x80 != 0 && header[2] == 4 {
            return Outcome::Ssl2Hello;
        }
        let content_type = header[0];
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if !(20..=23).contains(&content_type) || header[1] != 3 || len == 0 || len > 18_432 {
            let o = Outcome::Garbage(format!(
                "bytes {} are no TLS record header",
                hex_prefix(&header)
            ));
            return hello.map(Outcome::Hello).unwrap_or(o);
        }
        let mut record = vec![0u8; 5 + len];
        record[..5].copy_from_slice(&header);
        match read_exact_or_eof(stream, &mut record[5..], deadline).await {
            Ok(true) => {}
            Ok(false) => {
                let o = Outcome::Garbage("connection closed after a record header".into());
                return hello.map(Outcome::Hello).unwrap_or(o);
            }
            Err(o) => return hello.map(Outcome::Hello).unwrap_or(o),
        }
        total += record.len();
        match content_type {
            21 => {
                if hello.is_some() {
                    return hello.map(Outcome::Hello).unwrap_or(Outcome::Closed);
                }
                return match parse_tls_plaintext(&record) {
                    Ok((_, plain)) => match plain.msg.first() {
                        Some(TlsMessage::Alert(a)) => Outcome::Alert {
                            level: a.severity.0,
                            description: a.code.0,
                        },
                        _ => Outcome::Garbage("malformed alert record".into()),
                    },
                    Err(_) => Outcome::Garbage("malformed alert record".into()),
                };
            }
            22 => handshake.extend_from_slice(&record[5..]),
            // ChangeCipherSpec (TLS 1.3 compatibility) after the hello is fine.
            20 if hello.is_some() => {}
            _ => {
                let o = Outcome::Garbage(format!(
                    "unexpected record type {content_type} before the handshake"
                ));
                return hello.map(Outcome::Hello).unwrap_or(o);
            }
        }
        // Take every complete handshake message from the buffer.
        loop {
            if handshake.len() < 4 {
                break;
            }
            let mlen = (usize::from(handshake[1]) << 16)
                | (usize::from(handshake[2]) << 8)
                | usize::from(handshake[3]);
            if handshake.len() < 4 + mlen {
                break;
            }
            let msg: Vec<u8> = handshake.drain(..4 + mlen).collect();
            match hello.as_mut() {
                None => match parse_server_hello(&msg) {
                    Ok(h) => {
                        let done = !want_certs
                            || h.retry_request
                            || h.version >= 0x0304
                            || h.version < 0x0300;
                        hello = Some(h);
                        if done {
                            return hello.map(Outcome::Hello).unwrap_or(Outcome::Closed);
                        }
                    }
                    Err(e) => return Outcome::Garbage(e),
                },
                Some(h) => match parse_tls_message_handshake(&msg) {
                    Ok((_, TlsMessage::Handshake(TlsMessageHandshake::Certificate(c)))) => {
                        h.chain = c.cert_chain.iter().map(|rc| rc.data.to_vec()).collect();
                    }
                    Ok((_, TlsMessage::Handshake(TlsMessageHandshake::CertificateStatus(cs)))) => {
                        h.ocsp_response = cs.blob.to_vec();
                    }
                    Ok((_, TlsMessage::Handshake(TlsMessageHandshake::ServerKeyExchange(ske)))) => {
                        h.kx_group = kx_group(h.cipher, ske.parameters);
                    }
                    Ok((_, TlsMessage::Handshake(TlsMessageHandshake::ServerDone(_)))) => {
                        return hello.map(Outcome::Hello).unwrap_or(Outcome::Closed);
                    }
                    // CertificateRequest, or one tls-parser cannot read: go on.
                    _ => {}
                },
            }
        }
        if total > MAX_READ {
            let o = Outcome::Garbage(format!(
                "more than {MAX_READ} bytes without a complete ServerHello"
            ));
            return hello.map(Outcome::Hello).unwrap_or(o);
        }
    }
}

/// Parses a handshake message that must be a ServerHello (or HelloRetryRequest).
fn parse_server_hello(msg: &[u8]) -> Result<ServerHello, String> {
    let parsed = parse_tls_message_handshake(msg)
        .map_err(|e| format!("unparseable handshake message: {e:?}"))?;
    let sh = match parsed.1 {
        TlsMessage::Handshake(TlsMessageHandshake::ServerHello(sh)) => sh,
        TlsMessage::Handshake(other) => {
            return Err(format!(
                "expected a ServerHello, got {}",
                handshake_name(&other)
            ));
        }
        _ => return Err("expected a ServerHello".into()),
    };
    let mut out = ServerHello {
        version: sh.version.0,
        cipher: sh.cipher.0,
        retry_request: sh.random == HRR_RANDOM,
        ..ServerHello::default()
    };
    if let Some(ext) = sh.ext {
        let (_, exts) = parse_tls_server_hello_extensions(ext)
            .map_err(|e| format!("bad ServerHello extensions: {e:?}"))?;
        for e in exts {
            match e {
                TlsExtension::SupportedVersions(v) => {
                    if let Some(first) = v.first() {
                        out.version = first.0;
                    }
                }
                TlsExtension::KeyShare(data) if data.len() >= 2 => {
                    out.group = Some(u16::from_be_bytes([data[0], data[1]]));
                }
                _ => {}
            }
        }
    }
    Ok(out)
}

fn handshake_name(m: &TlsMessageHandshake<'_>) -> &'static str {
    match m {
        TlsMessageHandshake::ClientHello(_) => "a ClientHello",
        TlsMessageHandshake::Certificate(_) => "a Certificate",
        TlsMessageHandshake::ServerKeyExchange(_) => "a ServerKeyExchange",
        TlsMessageHandshake::ServerDone(_) => "a ServerHelloDone",
        TlsMessageHandshake::HelloRequest => "a HelloRequest",
        _ => "another handshake message",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(content_type: u8, body: &[u8]) -> Vec<u8> {
        let mut r = vec![content_type, 3, 3];
        r.extend_from_slice(&(body.len() as u16).to_be_bytes());
        r.extend_from_slice(body);
        r
    }

    fn handshake(t: u8, body: &[u8]) -> Vec<u8> {
        let l = body.len();
        let mut h = vec![t, (l >> 16) as u8, (l >> 8) as u8, l as u8];
        h.extend_from_slice(body);
        h
    }

    fn server_hello(version: u16, random: [u8; 32], suite: u16, exts: &[u8]) -> Vec<u8> {
        let mut b = version.to_be_bytes().to_vec();
        b.extend_from_slice(&random);
        b.push(0);
        b.extend_from_slice(&suite.to_be_bytes());
        b.push(0);
        if !exts.is_empty() {
            b.extend_from_slice(&(exts.len() as u16).to_be_bytes());
            b.extend_from_slice(exts);
        }
        handshake(2, &b)
    }

    async fn answer(bytes: &[u8], want_certs: bool) -> Outcome {
        let mut reader = bytes;
        read_answer(
            &mut reader,
            Instant::now() + Duration::from_secs(5),
            want_certs,
        )
        .await
    }

    #[tokio::test]
    async fn tls13_server_hello_with_key_share() {
        // supported_versions = 0x0304, key_share = X25519MLKEM768 with a dummy key.
        let mut exts = vec![
            0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0x00, 0x33, 0x00, 0x08, 0x11, 0xec, 0x00, 0x04,
        ];
        exts.extend_from_slice(&[1, 2, 3, 4]);
        let bytes = record(22, &server_hello(0x0303, [7; 32], 0x1302, &exts));
        let Outcome::Hello(h) = answer(&bytes, true).await else {
            panic!("no hello")
        };
        assert_eq!(
            (h.version, h.cipher, h.group, h.retry_request),
            (0x0304, 0x1302, Some(0x11ec), false)
        );
    }

    #[tokio::test]
    async fn hello_retry_request() {
        let exts = [
            0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0x00, 0x33, 0x00, 0x02, 0x00, 0x17,
        ];
        let bytes = record(22, &server_hello(0x0303, HRR_RANDOM, 0x1301, &exts));
        let Outcome::Hello(h) = answer(&bytes, false).await else {
            panic!("no hello")
        };
        assert_eq!(
            (h.version, h.group, h.retry_request),
            (0x0304, Some(0x0017), true)
        );
    }

    #[tokio::test]
    async fn tls12_flight_split_across_records_yields_certificates_and_staple() {
        let cert = b"not really DER but carried as opaque bytes".to_vec();
        let mut list = vec![0, 0, cert.len() as u8];
        list.extend_from_slice(&cert);
        let mut certs = vec![0, 0, list.len() as u8];
        certs.extend_from_slice(&list);
        let mut flight = server_hello(0x0302, [1; 32], 0x002f, &[]);
        flight.extend(handshake(11, &certs));
        flight.extend(handshake(22, &[1, 0, 0, 3, 0x30, 0x01, 0x00]));
        flight.extend(handshake(14, &[]));
        // Fragment the flight over records of 7 bytes.
        let bytes: Vec<u8> = flight.chunks(7).flat_map(|c| record(22, c)).collect();
        let Outcome::Hello(h) = answer(&bytes, true).await else {
            panic!("no hello")
        };
        assert_eq!((h.version, h.cipher), (0x0302, 0x002f));
        assert_eq!(h.chain, vec![cert]);
        assert_eq!(h.ocsp_response, vec![0x30, 0x01, 0x00]);
    }

    #[test]
    fn key_exchange_groups_of_tls12() {
        // ECDHE_RSA with secp256r1, and with X25519.
        assert_eq!(
            kx_group(0xc02f, &[3, 0x00, 0x17, 65]).as_deref(),
            Some("secp256r1")
        );
        assert_eq!(
            kx_group(0xc013, &[3, 0x00, 0x1d, 32]).as_deref(),
            Some("X25519")
        );
        // DHE_RSA with a 2048-bit prime (top bit set) and a 1023-bit one.
        let mut dh = vec![0x01, 0x00, 0xff];
        dh.extend([0u8; 255]);
        assert_eq!(kx_group(0x009e, &dh).as_deref(), Some("DHE-2048"));
        let mut dh = vec![0x00, 0x80, 0x7f];
        dh.extend([1u8; 127]);
        assert_eq!(kx_group(0x0033, &dh).as_deref(), Some("DHE-1023"));
        // Static RSA has no ServerKeyExchange group; junk gives nothing.
        assert_eq!(kx_group(0x002f, &[3, 0, 0x17]), None);
        assert_eq!(kx_group(0xc02f, &[1, 2]), None);
        assert_eq!(kx_group(0x009e, &[0xff, 0xff, 1]), None);
        assert_eq!(kx_group(0x009e, &[]), None);
    }

    #[tokio::test]
    async fn alerts_closes_and_sslv2() {
        assert_eq!(
            answer(&record(21, &[2, 70]), false).await,
            Outcome::Alert {
                level: 2,
                description: 70
            }
        );
        assert_eq!(answer(&[], false).await, Outcome::Closed);
        let v2 = [0x80, 0x2e, 0x04, 0x00, 0x01, 0x00, 0x02];
        assert_eq!(answer(&v2, false).await, Outcome::Ssl2Hello);
    }

    #[tokio::test]
    async fn garbage_is_reported_not_panicked_on() {
        for bytes in [
            b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec(),
            vec![22, 3, 3, 0, 0],
            vec![22, 3, 3, 0xff, 0xff],
            vec![22, 3, 3, 0, 10, 2, 0, 0],
            record(22, &handshake(11, &[0, 0, 0])),
            record(23, b"early application data"),
            record(21, &[2]),
            record(22, &[2, 0, 0, 2, 3, 3]),
        ] {
            match answer(&bytes, true).await {
                Outcome::Garbage(_) => {}
                other => panic!("{bytes:?} gave {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn random_bytes_never_panic() {
        let mut x: u64 = 0x1234_5678_9abc_def1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..3000 {
            let len = (next() % 300) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            // Make many of them look like TLS so the parsers get exercised.
            if round % 2 == 0 && bytes.len() > 5 {
                bytes[0] = [21, 22][round % 4 / 2];
                bytes[1] = 3;
                let body = (bytes.len() - 5) as u16;
                bytes[3..5].copy_from_slice(&body.to_be_bytes());
            }
            if round % 4 == 0 && bytes.len() > 9 {
                bytes[5] = 2;
            }
            let _ = answer(&bytes, round % 3 == 0).await;
        }
    }
}

//! The lab's TLS servers: rustls for modern targets, `openssl s_server` for
//! legacy ones, a scripted hello-phase server for protocols and suites no
//! library here can still serve, and deliberately misbehaving servers.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use tls_parser::{TlsMessage, TlsMessageHandshake, parse_tls_plaintext};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::task::{AbortHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

use crate::error::Error;

/// Something running for a target; stopped when dropped.
#[derive(Debug)]
pub(crate) enum Running {
    Task(AbortHandle),
    // Held for its kill-on-drop.
    Child(#[allow(dead_code)] Child),
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Running::Task(h) = self {
            h.abort();
        }
    }
}

fn lab(reason: String) -> Error {
    Error::Lab { reason }
}

async fn bind(ip: IpAddr) -> Result<TcpListener, Error> {
    TcpListener::bind((ip, 0))
        .await
        .map_err(|e| lab(format!("cannot bind {ip}:0: {e}")))
}

/// Accepts forever, handing each connection to `handle` in a task the loop
/// owns (so stopping the loop stops them all).
fn accept_loop<F, Fut>(listener: TcpListener, handle: F) -> Running
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let task = tokio::spawn(async move {
        let mut conns = JoinSet::new();
        loop {
            while conns.try_join_next().is_some() {}
            match listener.accept().await {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    conns.spawn(handle(stream));
                }
                // Out of descriptors or similar: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    });
    Running::Task(task.abort_handle())
}

/// A rustls server: completes handshakes, then waits for the client to close.
pub(crate) async fn rustls_server(
    ip: IpAddr,
    config: Arc<ServerConfig>,
) -> Result<(SocketAddr, Running), Error> {
    let listener = bind(ip).await?;
    let addr = listener.local_addr().map_err(|e| lab(e.to_string()))?;
    let acceptor = TlsAcceptor::from(config);
    let running = accept_loop(listener, move |stream| {
        let acceptor = acceptor.clone();
        async move {
            if let Ok(Ok(mut tls)) =
                tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await
            {
                let mut buf = [0u8; 512];
                let _ = tokio::time::timeout(Duration::from_secs(5), tls.read(&mut buf)).await;
                let _ = tls.shutdown().await;
            }
        }
    });
    Ok((addr, running))
}

/// `openssl s_server` on `ip` with a free port, in `-www` mode (it never
/// reads standard input, which would end it at EOF).
pub(crate) async fn openssl_server(
    ip: IpAddr,
    cert: &Path,
    key: &Path,
    extra: &[&str],
) -> Result<(SocketAddr, Vec<Running>), Error> {
    let mut cmd = Command::new("openssl");
    cmd.arg("s_server")
        .arg("-accept")
        .arg(format!("{ip}:0"))
        .arg("-cert")
        .arg(cert)
        .arg("-key")
        .arg(key)
        .arg("-www")
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let mut child = cmd.spawn().map_err(|e| {
        lab(format!(
            "cannot run `openssl s_server` (is openssl installed?): {e}"
        ))
    })?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| lab("openssl s_server has no stdout".into()))?;
    let mut lines = BufReader::new(stdout).lines();
    let find = async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(rest) = line.strip_prefix("ACCEPT ") {
                return rest.trim().parse::<SocketAddr>().ok();
            }
        }
        None
    };
    let addr = match tokio::time::timeout(Duration::from_secs(10), find).await {
        Ok(Some(a)) => a,
        _ => {
            let _ = child.kill().await;
            return Err(lab(format!(
                "`openssl s_server {}` did not start (does this openssl support these options?)",
                extra.join(" ")
            )));
        }
    };
    // Keep draining its output so it never blocks on a full pipe.
    let drain = tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((
        addr,
        vec![Running::Child(child), Running::Task(drain.abort_handle())],
    ))
}

/// Reads what the client sends first (its ClientHello), up to 16 KiB or 5 s.
async fn read_hello(stream: &mut TcpStream) -> Vec<u8> {
    let mut buf = vec![0u8; 16 * 1024];
    let mut have = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while have < buf.len() {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf[have..])).await {
            Ok(Ok(n)) if n > 0 => have += n,
            _ => break,
        }
        if have >= 5 {
            let want = 5 + usize::from(u16::from_be_bytes([buf[3], buf[4]]));
            if have >= want {
                break;
            }
        }
    }
    buf.truncate(have);
    buf
}

/// Waits until the client closes (or 10 s), discarding what it sends.
async fn drain_until_closed(stream: &mut TcpStream) {
    let mut sink = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, stream.read(&mut sink)).await {
        if n == 0 {
            break;
        }
    }
}

fn record(content_type: u8, version: u16, body: &[u8]) -> Vec<u8> {
    let mut r = vec![content_type];
    r.extend_from_slice(&version.to_be_bytes());
    r.extend_from_slice(&(body.len() as u16).to_be_bytes());
    r.extend_from_slice(body);
    r
}

fn handshake(msg_type: u8, body: &[u8]) -> Vec<u8> {
    let len = body.len() as u32;
    let mut h = vec![msg_type, (len >> 16) as u8, (len >> 8) as u8, len as u8];
    h.extend_from_slice(body);
    h
}

/// What the scripted legacy server supports.
#[derive(Clone, Debug)]
pub(crate) struct ScriptedConfig {
    /// Lowest and highest version it negotiates (wire codes).
    pub(crate) min_version: u16,
    pub(crate) max_version: u16,
    /// Suites in server preference order.
    pub(crate) suites: Vec<u16>,
    /// Its certificate chain, DER, leaf first.
    pub(crate) chain: Vec<Vec<u8>>,
    /// Also answer SSLv2 CLIENT-HELLOs.
    pub(crate) sslv2: bool,
}

/// A hello-phase simulator of an old server: it negotiates a version and a
/// suite exactly as an SSLv2/SSLv3/TLS 1.0 server with RC4, 3DES and EXPORT
/// suites would (SSLv2 hellos get an SSLv2 SERVER-HELLO), sends ServerHello, Certificate and ServerHelloDone in the clear,
/// and stops there (it cannot finish a handshake: no such cipher is
/// available to it). That is all a protocol and suite probe looks at.
pub(crate) async fn scripted_server(
    ip: IpAddr,
    config: ScriptedConfig,
) -> Result<(SocketAddr, Running), Error> {
    let listener = bind(ip).await?;
    let addr = listener.local_addr().map_err(|e| lab(e.to_string()))?;
    let config = Arc::new(config);
    let running = accept_loop(listener, move |mut stream| {
        let config = config.clone();
        async move {
            let hello = read_hello(&mut stream).await;
            let reply = scripted_reply(&config, &hello);
            let _ = stream.write_all(&reply).await;
            drain_until_closed(&mut stream).await;
        }
    });
    Ok((addr, running))
}

/// An SSLv2 SERVER-HELLO with the leaf and the RC4-128-MD5 and
/// DES-192-EDE3-CBC-MD5 cipher kinds, for an SSLv2 CLIENT-HELLO.
fn sslv2_reply(config: &ScriptedConfig, hello: &[u8]) -> Option<Vec<u8>> {
    // Two-byte header with the high bit set, then CLIENT-HELLO (1).
    if hello.len() < 3 || hello[0] & 0x80 == 0 || hello[2] != 1 {
        return None;
    }
    let cert = config.chain.first()?;
    let specs: [u8; 6] = [0x01, 0x00, 0x80, 0x07, 0x00, 0xc0];
    let conn_id = [0x42u8; 16];
    let mut msg = vec![4, 0, 1, 0x00, 0x02];
    msg.extend_from_slice(&(cert.len() as u16).to_be_bytes());
    msg.extend_from_slice(&(specs.len() as u16).to_be_bytes());
    msg.extend_from_slice(&(conn_id.len() as u16).to_be_bytes());
    msg.extend_from_slice(cert);
    msg.extend_from_slice(&specs);
    msg.extend_from_slice(&conn_id);
    let mut out = vec![0x80 | ((msg.len() >> 8) as u8 & 0x7f), msg.len() as u8];
    out.extend(msg);
    Some(out)
}

fn scripted_reply(config: &ScriptedConfig, hello: &[u8]) -> Vec<u8> {
    const ALERT_PROTOCOL_VERSION: u8 = 70;
    const ALERT_HANDSHAKE_FAILURE: u8 = 40;
    if config.sslv2
        && let Some(reply) = sslv2_reply(config, hello)
    {
        return reply;
    }
    let alert = |desc: u8| record(21, config.max_version.min(0x0301), &[2, desc]);
    let Ok((_, plain)) = parse_tls_plaintext(hello) else {
        return alert(ALERT_HANDSHAKE_FAILURE);
    };
    let Some(TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch))) = plain.msg.first()
    else {
        return alert(ALERT_HANDSHAKE_FAILURE);
    };
    let client_version = ch.version.0;
    if client_version < config.min_version {
        return alert(ALERT_PROTOCOL_VERSION);
    }
    let version = client_version.min(config.max_version);
    let offered: Vec<u16> = ch.ciphers.iter().map(|c| c.0).collect();
    let Some(suite) = config.suites.iter().copied().find(|s| offered.contains(s)) else {
        return alert(ALERT_HANDSHAKE_FAILURE);
    };
    let mut sh = Vec::new();
    sh.extend_from_slice(&version.to_be_bytes());
    sh.extend((0u8..32).map(|i| i.wrapping_mul(7).wrapping_add(3)));
    sh.push(0); // no session id
    sh.extend_from_slice(&suite.to_be_bytes());
    sh.push(0); // no compression
    let mut certs = Vec::new();
    for c in &config.chain {
        let l = c.len() as u32;
        certs.extend_from_slice(&[(l >> 16) as u8, (l >> 8) as u8, l as u8]);
        certs.extend_from_slice(c);
    }
    let l = certs.len() as u32;
    let mut cert_body = vec![(l >> 16) as u8, (l >> 8) as u8, l as u8];
    cert_body.extend_from_slice(&certs);
    let mut flight = handshake(2, &sh);
    flight.extend(handshake(11, &cert_body));
    flight.extend(handshake(14, &[]));
    let mut out = Vec::new();
    for chunk in flight.chunks(16 * 1024) {
        out.extend(record(22, version, chunk));
    }
    out
}

/// An OCSP responder over HTTP/1.1: reads a request (head and a body of
/// its Content-Length, at most 16 KiB), answers every one with `answer`
/// (the response `openssl ocsp` made for the one leaf it serves), closes.
pub(crate) fn ocsp_responder(listener: TcpListener, answer: Vec<u8>) -> Running {
    let answer = Arc::new(answer);
    accept_loop(listener, move |mut stream| {
        let answer = answer.clone();
        async move {
            let mut buf = Vec::with_capacity(1024);
            let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
            let mut chunk = [0u8; 2048];
            loop {
                if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                    let want = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + want {
                        break;
                    }
                }
                if buf.len() > 16 * 1024 {
                    return;
                }
                match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
                    Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                    _ => return,
                }
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                answer.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&answer).await;
            let _ = stream.shutdown().await;
        }
    })
}

/// How a misbehaving server misbehaves.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Misbehaviour {
    /// Accepts and reads, never answers.
    Silent,
    /// Answers one byte of a plausible ServerHello every 400 ms, forever.
    SlowLoris,
    /// Answers with bytes that are not TLS, then closes.
    Garbage,
    /// Sends part of a ServerHello, then resets the connection (RST).
    Reset,
}

/// A server that misbehaves as told.
pub(crate) async fn misbehaving_server(
    ip: IpAddr,
    how: Misbehaviour,
) -> Result<(SocketAddr, Running), Error> {
    let listener = bind(ip).await?;
    let addr = listener.local_addr().map_err(|e| lab(e.to_string()))?;
    let running = accept_loop(listener, move |mut stream| async move {
        let _ = read_hello(&mut stream).await;
        match how {
            Misbehaviour::Silent => drain_until_closed(&mut stream).await,
            Misbehaviour::SlowLoris => {
                let start: [u8; 12] = [
                    0x16, 0x03, 0x03, 0x00, 0x4a, 0x02, 0x00, 0x00, 0x46, 0x03, 0x03, 0x00,
                ];
                for b in start.iter().cycle().take(150) {
                    if stream.write_all(&[*b]).await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(400)).await;
                }
            }
            Misbehaviour::Garbage => {
                let mut junk = b"SSH-2.0-OpenSSH_9.6 nis2-lab\r\n".to_vec();
                junk.extend((0u32..256).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
                let _ = stream.write_all(&junk).await;
                let _ = stream.shutdown().await;
            }
            Misbehaviour::Reset => {
                let _ = stream
                    .write_all(&[0x16, 0x03, 0x03, 0x00, 0x4a, 0x02, 0x00])
                    .await;
                let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
                drop(stream);
            }
        }
    });
    Ok((addr, running))
}

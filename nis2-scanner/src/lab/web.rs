//! The lab's web servers: a small HTTP/1.1 server on tokio (keep-alive, GET
//! and HEAD, no request bodies) serving a [`Site`], in the clear or behind
//! rustls. Enough for what a scanner asks; nothing else.

use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::servers::Running;

/// A canned response.
#[derive(Clone, Debug, Default)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Reply {
    pub(crate) fn new(status: u16, content_type: &str, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }

    pub(crate) fn redirect(status: u16, location: impl Into<String>) -> Self {
        Self {
            status,
            headers: vec![("Location".into(), location.into())],
            body: String::new(),
        }
    }

    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// What a site serves: exact paths, a fallback, headers added to every
/// response, and what the `mta-sts.` host serves.
#[derive(Clone, Debug, Default)]
pub(crate) struct Site {
    pub(crate) routes: Vec<(String, Reply)>,
    pub(crate) fallback: Reply,
    pub(crate) common: Vec<(String, String)>,
    pub(crate) mta_sts: Option<Reply>,
}

impl Site {
    pub(crate) fn route(mut self, path: &str, reply: Reply) -> Self {
        self.routes.push((path.into(), reply));
        self
    }

    fn answer(&self, host: &str, path: &str) -> (Reply, bool) {
        if host.starts_with("mta-sts.") {
            return match (&self.mta_sts, path) {
                (Some(r), "/.well-known/mta-sts.txt") => (r.clone(), false),
                _ => (Reply::new(404, "text/plain", "not found\n"), false),
            };
        }
        let path = path.split('?').next().unwrap_or(path);
        match self.routes.iter().find(|(p, _)| p == path) {
            Some((_, r)) => (r.clone(), true),
            None => (self.fallback.clone(), true),
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        403 => "Forbidden",
        404 => "Not Found",
        _ => "Status",
    }
}

/// Serves requests on one connection until the client closes or idles.
async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, site: &Site) {
    let mut buf: Vec<u8> = Vec::with_capacity(2048);
    loop {
        // Read one request head.
        let end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            if buf.len() > 16 * 1024 {
                return;
            }
            let mut chunk = [0u8; 2048];
            match tokio::time::timeout(Duration::from_secs(15), stream.read(&mut chunk)).await {
                Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                _ => return,
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        buf.drain(..end);
        let mut lines = head.split("\r\n");
        let request = lines.next().unwrap_or("");
        let mut parts = request.split(' ');
        let method = parts.next().unwrap_or("");
        let path = parts.next().unwrap_or("/");
        let mut host = String::new();
        let mut close = false;
        for l in lines {
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("host") {
                    host = v.trim().to_ascii_lowercase();
                } else if k.eq_ignore_ascii_case("connection")
                    && v.trim().eq_ignore_ascii_case("close")
                {
                    close = true;
                }
            }
        }
        let (reply, common) = site.answer(&host, path);
        let mut out = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
        let extra = if common { site.common.as_slice() } else { &[] };
        for (k, v) in extra.iter().chain(reply.headers.iter()) {
            out.push_str(k);
            out.push_str(": ");
            out.push_str(v);
            out.push_str("\r\n");
        }
        out.push_str(&format!("Content-Length: {}\r\n\r\n", reply.body.len()));
        if method != "HEAD" {
            out.push_str(&reply.body);
        }
        if stream.write_all(out.as_bytes()).await.is_err() || close {
            return;
        }
    }
}

/// Accepts on `listener` forever, serving `site` (over TLS when `tls` is set).
pub(crate) fn start(
    listener: TcpListener,
    site: Arc<Site>,
    tls: Option<Arc<ServerConfig>>,
) -> Running {
    let acceptor = tls.map(TlsAcceptor::from);
    let task = tokio::spawn(async move {
        let mut conns = JoinSet::new();
        loop {
            while conns.try_join_next().is_some() {}
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            let _ = stream.set_nodelay(true);
            let site = site.clone();
            let acceptor = acceptor.clone();
            conns.spawn(async move {
                match acceptor {
                    Some(a) => {
                        if let Ok(Ok(tls)) =
                            tokio::time::timeout(Duration::from_secs(10), a.accept(stream)).await
                        {
                            serve(tls, &site).await;
                        }
                    }
                    None => serve(stream, &site).await,
                }
            });
        }
    });
    Running::Task(task.abort_handle())
}

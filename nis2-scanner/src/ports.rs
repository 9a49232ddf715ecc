//! The exposure group: TCP connects to risky ports at a checked address.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use nis2_core::observations::PortObservations;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Connects to each of `ports` at `ip`, at most `concurrency` at once, each
/// attempt bounded by `timeout`. A port is open when the connection is
/// accepted; refused, unreachable and silent ports are closed or filtered.
pub(crate) async fn scan(
    ip: IpAddr,
    ports: &[u16],
    timeout: Duration,
    concurrency: usize,
) -> PortObservations {
    let mut scanned: Vec<u16> = ports.to_vec();
    scanned.sort_unstable();
    scanned.dedup();
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut set = JoinSet::new();
    for port in scanned.iter().copied() {
        let slots = slots.clone();
        set.spawn(async move {
            let _permit = slots.acquire_owned().await.ok()?;
            let addr = SocketAddr::new(ip, port);
            match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
                Ok(Ok(_stream)) => Some(port),
                _ => None,
            }
        });
    }
    let mut open = Vec::new();
    while let Some(done) = set.join_next().await {
        if let Ok(Some(port)) = done {
            open.push(port);
        }
    }
    open.sort_unstable();
    PortObservations {
        address: ip.to_string(),
        scanned,
        open,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[tokio::test]
    async fn open_and_closed_ports() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let open = listener.local_addr().unwrap().port();
        // A port that was just free: bind and drop.
        let closed = {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            l.local_addr().unwrap().port()
        };
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let obs = scan(ip, &[closed, open, open], Duration::from_secs(2), 2).await;
        assert_eq!(obs.open, vec![open]);
        let mut want = vec![open, closed];
        want.sort_unstable();
        assert_eq!(obs.scanned, want);
        assert_eq!(obs.address, "127.0.0.1");
    }
}

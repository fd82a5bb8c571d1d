//! The control-channel front: a thin FTP-aware relay between the client and libunftp.
//!
//! libunftp answers a failed STOR with a fixed text ("553 File name not allowed"); the spec's
//! users need to know *why*. The front relays the control connection line by line and, when
//! libunftp sends a 4xx/5xx reply right after the back-end posted a reason on this connection's
//! [`RefusalBoard`], rewrites that line to `<code> <reason>`.
//!
//! libunftp serves a loopback connection, so it only ever sees 127.0.0.1: its passive
//! listeners bind on loopback and it checks that data connections come from the control
//! connection's address. The front therefore also relays passive data connections: it rewrites
//! `227`/`229` replies to a port of its own (from the configured range, on the address the
//! client reached, advertised as the configured passive host), checks that the data connection
//! comes from the client's address, and splices it to libunftp's loopback port. A reset on one
//! side is passed on as a reset, so a cut-off upload is seen as cut off, not as a short file.
//! A client's reset reaches libunftp only once the back-end has begun to read the upload (or
//! after [`HANDOFF_WAIT`]): libunftp replies `150` before it has taken the data connection, and
//! a connection reset before it takes it is dropped without any reply to the STOR.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio_util::sync::CancellationToken;

use super::backend::RefusalBoard;
use crate::config::PortRange;

/// Longest control line relayed in one piece.
const MAX_LINE: usize = 8 * 1024;
/// Longest command a client may send (a file name of a few KiB fits many times over). A longer
/// one closes the connection: libunftp would otherwise buffer it without bound.
pub(crate) const MAX_COMMAND: usize = 64 * 1024;
/// How long a passive port waits for the client.
const DATA_ACCEPT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a client's reset is held back from libunftp until the back-end reads the upload.
const HANDOFF_WAIT: Duration = Duration::from_secs(10);

/// Per-connection settings of the front.
#[derive(Debug, Clone)]
pub(crate) struct Front {
    /// The client's address (data connections must come from its IP).
    pub client_peer: SocketAddr,
    /// The address the client reached (passive listeners bind here).
    pub client_local: SocketAddr,
    pub passive_ports: PortRange,
    pub passive_host: Option<IpAddr>,
    pub board: Arc<RefusalBoard>,
    pub cancel: CancellationToken,
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

async fn read_line<R: AsyncBufRead + Unpin>(r: &mut R, out: &mut Vec<u8>) -> io::Result<usize> {
    loop {
        let buf = r.fill_buf().await?;
        if buf.is_empty() {
            return Ok(out.len());
        }
        if let Some(i) = buf.iter().position(|&b| b == b'\n') {
            out.extend_from_slice(&buf[..=i]);
            r.consume(i + 1);
            return Ok(out.len());
        }
        let n = buf.len();
        out.extend_from_slice(buf);
        r.consume(n);
        if out.len() >= MAX_LINE {
            return Ok(out.len());
        }
    }
}

/// Relays one control connection until either side closes.
pub(crate) async fn relay_control(
    client: TcpStream,
    upstream: TcpStream,
    front: Front,
) -> io::Result<()> {
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    let (cr, mut cw) = client.into_split();
    let (ur, mut uw) = upstream.into_split();

    let c2s = async move {
        let mut r = BufReader::new(cr);
        let mut line = Vec::with_capacity(256);
        let mut command_len = 0usize;
        loop {
            line.clear();
            if read_line(&mut r, &mut line).await? == 0 {
                let _ = uw.shutdown().await;
                return Ok::<(), io::Error>(());
            }
            command_len += line.len();
            if command_len > MAX_COMMAND {
                tracing::warn!(
                    bytes = command_len,
                    "FTP command line too long; closing the connection"
                );
                let _ = uw.shutdown().await;
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "FTP command line too long",
                ));
            }
            if line.ends_with(b"\n") {
                command_len = 0;
            }
            uw.write_all(&line).await?;
        }
    };
    let s2c = async move {
        let mut r = BufReader::new(ur);
        let mut line = Vec::with_capacity(256);
        loop {
            line.clear();
            if read_line(&mut r, &mut line).await? == 0 {
                let _ = cw.shutdown().await;
                return Ok::<(), io::Error>(());
            }
            let out = front.rewrite(&line).await;
            cw.write_all(&out).await?;
        }
    };
    tokio::pin!(c2s, s2c);
    tokio::select! {
        r = &mut s2c => r,
        r = &mut c2s => {
            r?;
            s2c.await
        }
    }
}

/// The reply code of a final reply line (`"553 text"`), if it is one.
fn reply_code(line: &[u8]) -> Option<u16> {
    if line.len() >= 4
        && line[..3].iter().all(u8::is_ascii_digit)
        && (line[3] == b' ' || line[3] == b'\r' || line[3] == b'\n')
    {
        Some(
            u16::from(line[0] - b'0') * 100
                + u16::from(line[1] - b'0') * 10
                + u16::from(line[2] - b'0'),
        )
    } else {
        None
    }
}

/// The port in `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)`.
fn pasv_port(line: &str) -> Option<u16> {
    let inner = line.get(line.find('(')? + 1..line.rfind(')')?)?;
    let nums: Vec<u16> = inner
        .split(',')
        .map(|n| n.trim().parse().ok())
        .collect::<Option<_>>()?;
    if nums.len() != 6 || nums[4] > 255 || nums[5] > 255 {
        return None;
    }
    Some(nums[4] * 256 + nums[5])
}

/// The port in `229 Entering Extended Passive Mode (|||port|)`.
fn epsv_port(line: &str) -> Option<u16> {
    let inner = line.get(line.find("(|||")? + 4..)?;
    inner.get(..inner.find('|')?)?.parse().ok()
}

impl Front {
    async fn rewrite(&self, line: &[u8]) -> Vec<u8> {
        let Some(code) = reply_code(line) else {
            return line.to_vec();
        };
        let text = String::from_utf8_lossy(line);
        match code {
            227 => match pasv_port(&text) {
                Some(internal) => match self.open_passive(internal).await {
                    Ok(public) => match public.ip() {
                        IpAddr::V4(ip) => {
                            let o = ip.octets();
                            let p = public.port();
                            format!(
                                "227 Entering Passive Mode ({},{},{},{},{},{})\r\n",
                                o[0],
                                o[1],
                                o[2],
                                o[3],
                                p >> 8,
                                p & 0xff
                            )
                            .into_bytes()
                        }
                        IpAddr::V6(_) => b"425 PASV needs an IPv4 address; use EPSV\r\n".to_vec(),
                    },
                    Err(e) => {
                        format!("425 could not open a passive data port: {e}\r\n").into_bytes()
                    }
                },
                None => line.to_vec(),
            },
            229 => match epsv_port(&text) {
                Some(internal) => match self.open_passive(internal).await {
                    Ok(public) => format!(
                        "229 Entering Extended Passive Mode (|||{}|)\r\n",
                        public.port()
                    )
                    .into_bytes(),
                    Err(e) => {
                        format!("425 could not open a passive data port: {e}\r\n").into_bytes()
                    }
                },
                None => line.to_vec(),
            },
            400..=599 => match self.board.take() {
                Some(entry) => format!("{code} {}\r\n", entry.text).into_bytes(),
                None => line.to_vec(),
            },
            _ => line.to_vec(),
        }
    }

    /// Opens a client-facing passive port relayed to libunftp's loopback port `internal`;
    /// returns the address to advertise.
    async fn open_passive(&self, internal: u16) -> io::Result<SocketAddr> {
        let bind_ip = canonical(self.client_local.ip());
        let listener = bind_in_range(bind_ip, self.passive_ports)?;
        let port = listener.local_addr()?.port();
        let advertised = canonical(self.passive_host.unwrap_or(bind_ip));
        let expect = canonical(self.client_peer.ip());
        let cancel = self.cancel.clone();
        let board = self.board.clone();
        tokio::spawn(async move {
            if let Err(e) = data_relay(listener, expect, internal, board, cancel).await {
                tracing::debug!(error = %e, "passive data relay ended with an error");
            }
        });
        Ok(SocketAddr::new(advertised, port))
    }
}

/// Binds a listener on `ip` at a free port of `range` (any free port for `0-0`).
fn bind_in_range(ip: IpAddr, range: PortRange) -> io::Result<TcpListener> {
    let socket = || -> io::Result<TcpSocket> {
        let s = if ip.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        s.set_reuseaddr(true)?;
        Ok(s)
    };
    if range.is_any() {
        let s = socket()?;
        s.bind(SocketAddr::new(ip, 0))?;
        return s.listen(4);
    }
    let span = u32::from(range.end - range.start) + 1;
    let offset: u32 = rand::random::<u32>() % span;
    for i in 0..span {
        let port = range.start as u32 + (offset + i) % span;
        let s = socket()?;
        if s.bind(SocketAddr::new(ip, port as u16)).is_ok()
            && let Ok(l) = s.listen(4)
        {
            return Ok(l);
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AddrInUse,
        format!("every passive port {range} on {ip} is busy"),
    ))
}

async fn data_relay(
    listener: TcpListener,
    expect: IpAddr,
    internal: u16,
    board: Arc<RefusalBoard>,
    cancel: CancellationToken,
) -> io::Result<()> {
    let deadline = tokio::time::sleep(DATA_ACCEPT_TIMEOUT);
    tokio::pin!(deadline);
    let client = loop {
        tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            _ = &mut deadline => return Ok(()),
            r = listener.accept() => {
                let (sock, peer) = r?;
                if canonical(peer.ip()) == expect {
                    break sock;
                }
                tracing::warn!(%peer, %expect, "data connection from a foreign address refused");
            }
        }
    };
    drop(listener);
    // Uploads the back-end had begun before this data connection: the next one is its own.
    let begun = board.reads();
    let upstream = TcpStream::connect((Ipv4Addr::LOCALHOST, internal)).await?;
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    let handed_off = async move { board.read_begun_after(begun).await };
    splice(client, upstream, handed_off, cancel).await
}

/// Copies both ways. EOF is passed on as a half-close; an error (reset) or cancellation
/// resets both sockets; a reset waits for `handed_off` (libunftp holds `b`), at most
/// [`HANDOFF_WAIT`].
async fn splice(
    a: TcpStream,
    b: TcpStream,
    handed_off: impl std::future::Future<Output = ()>,
    cancel: CancellationToken,
) -> io::Result<()> {
    let (mut ar, mut aw) = a.into_split();
    let (mut br, mut bw) = b.into_split();
    let result = {
        let ab = async {
            tokio::io::copy(&mut ar, &mut bw).await?;
            bw.shutdown().await
        };
        let ba = async {
            tokio::io::copy(&mut br, &mut aw).await?;
            aw.shutdown().await
        };
        tokio::select! {
            r = async { tokio::try_join!(ab, ba) } => r.map(|_| ()),
            _ = cancel.cancelled() => Err(io::Error::new(io::ErrorKind::Interrupted, "server shutting down")),
        }
    };
    if result.is_err() {
        tokio::select! {
            _ = handed_off => {}
            _ = tokio::time::sleep(HANDOFF_WAIT) => {}
            _ = cancel.cancelled() => {}
        }
        // Reset, not close: dropping a write half would send FIN first, and the peer would
        // read a cut-off upload as a complete short file.
        let _ = aw.as_ref().set_zero_linger();
        let _ = bw.as_ref().set_zero_linger();
        aw.forget();
        bw.forget();
    }
    drop((ar, br));
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_passive_replies() {
        assert_eq!(
            pasv_port("227 Entering Passive Mode (127,0,0,1,195,80)\r\n"),
            Some(195 * 256 + 80)
        );
        assert_eq!(
            epsv_port("229 Entering Extended Passive Mode (|||50000|)\r\n"),
            Some(50000)
        );
        assert_eq!(pasv_port("227 nonsense"), None);
        assert_eq!(reply_code(b"553 File name not allowed\r\n"), Some(553));
        assert_eq!(reply_code(b"211-Features\r\n"), None);
        assert_eq!(reply_code(b" 55"), None);
    }
}

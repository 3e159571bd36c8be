//! The HTTP server: accepts connections and serves the router on them, with limits a slow or idle
//! client cannot get around. A connection that does not finish its request head in time, or that
//! moves no bytes either way for too long, is closed, and no more than a set number are open at
//! once (past that, new ones wait in the listen queue until one closes).

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tower_service::Service;

/// `[server]` in the settings.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Time a client has to send a request's head, counted from when the server is ready to
    /// read it (the connection opening, or the previous response).
    pub header_read_timeout_ms: u64,
    /// A connection that moves no bytes either way for this long is closed.
    pub idle_timeout_ms: u64,
    pub max_connections: usize,
}

impl ServerSettings {
    /// The key and the problem, when a value would leave the server unusable.
    pub fn check(&self) -> Result<(), (&'static str, &'static str)> {
        if self.header_read_timeout_ms == 0 {
            return Err(("server.header_read_timeout_ms", "must be above 0"));
        }
        if self.idle_timeout_ms == 0 {
            return Err(("server.idle_timeout_ms", "must be above 0"));
        }
        if self.max_connections == 0 {
            return Err(("server.max_connections", "must be at least 1"));
        }
        Ok(())
    }
}

/// Serves `router` on `listener` until `shutdown` is cancelled, then stops accepting and waits
/// for the connections open to finish what they are doing.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &ServerSettings,
    shutdown: CancellationToken,
) {
    let mut make_service = router.into_make_service_with_connect_info::<SocketAddr>();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let idle_limit = Duration::from_millis(limits.idle_timeout_ms);
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_millis(limits.header_read_timeout_ms));
    let graceful = GracefulShutdown::new();
    loop {
        // Wait for a free slot before accepting, so that past the cap the kernel holds new
        // connections rather than this process.
        let slot = tokio::select! {
            () = shutdown.cancelled() => break,
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
        };
        let (stream, client) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    pause_after(&e).await;
                    continue;
                }
            },
        };
        let service = match make_service.call(client).await {
            Ok(service) => TowerToHyperService::new(service),
            Err(never) => match never {},
        };
        let (stream, idle) = Watched::new(stream);
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _slot = slot;
            tokio::select! {
                served = connection => {
                    if let Err(e) = served {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                }
                () = idle.idle_for(idle_limit) => {
                    tracing::debug!("closed a connection idle for too long");
                }
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// After a failed accept: errors about one connection (it was reset before we took it) need no
/// pause; others, such as running out of file descriptors, would repeat at once, so the loop
/// waits a moment rather than spin.
async fn pause_after(error: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %error, "accepting a connection failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// A connection that notes when bytes last moved on it.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

/// When bytes last moved, in milliseconds since `start`.
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn touch(&self) {
        let now = self.start.elapsed().as_millis() as u64;
        self.last_ms.store(now, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }

    /// Ends once no bytes have moved for `limit`. A response being worked on moves none either,
    /// but every handler answers well within the limit, and a stream of events sends its
    /// keep-alive comments more often than that.
    async fn idle_for(self: Arc<Self>, limit: Duration) {
        loop {
            let deadline = self.last() + limit;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline).await;
        }
    }
}

impl Watched {
    fn new(stream: TcpStream) -> (Watched, Arc<Activity>) {
        let activity = Arc::new(Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        });
        let watched = Watched {
            stream,
            activity: activity.clone(),
        };
        (watched, activity)
    }

    fn moved<T>(
        &self,
        polled: Poll<std::io::Result<T>>,
        bytes: impl Fn(&T) -> bool,
    ) -> Poll<std::io::Result<T>> {
        if let Poll::Ready(Ok(done)) = &polled
            && bytes(done)
        {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        let grew = buf.filled().len() > before;
        self.moved(polled, |_| grew)
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.moved(polled, |n| *n > 0)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.moved(polled, |n| *n > 0)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

//! A TCP proxy between the service and PostgreSQL that a test can cut, as a network failure
//! would: on a cut every open connection is closed, and new ones are held without an answer until
//! the link is restored, when they go through.

use std::net::SocketAddr;

use reqwest::Url;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct DbProxy {
    addr: SocketAddr,
    cut: watch::Sender<bool>,
}

impl DbProxy {
    /// A proxy in front of the server `url` names.
    pub async fn start(url: &str) -> DbProxy {
        let url = Url::parse(url).unwrap();
        let server = format!(
            "{}:{}",
            url.host_str().unwrap(),
            url.port_or_known_default().unwrap_or(5432)
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (cut, _) = watch::channel(false);
        let watching = cut.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server = server.clone();
                tokio::spawn(relay(client, server, watching.subscribe()));
            }
        });
        DbProxy { addr, cut }
    }

    /// `url` with its server replaced by this proxy.
    pub fn in_front_of(&self, url: &str) -> String {
        let mut url = Url::parse(url).unwrap();
        url.set_host(Some("127.0.0.1")).unwrap();
        url.set_port(Some(self.addr.port())).unwrap();
        url.to_string()
    }

    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    pub fn restore(&self) {
        self.cut.send_replace(false);
    }
}

/// Carries one connection until it ends or the link is cut; while cut, a new one waits.
async fn relay(mut client: TcpStream, server: String, mut cut: watch::Receiver<bool>) {
    if cut.wait_for(|&cut| !cut).await.is_err() {
        return;
    }
    let Ok(mut upstream) = TcpStream::connect(&server).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut upstream) => {}
        _ = cut.wait_for(|&cut| cut) => {}
    }
}

//! The Prometheus endpoint of `calico-kube-controllers` (KubeControllersConfiguration
//! `spec.prometheusMetricsPort`, 9094 by default, 0 turns it off, as in Calico): every request
//! gets the last garbage-collection pass's metrics in the text exposition format.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The text served, replaced after each pass.
#[derive(Clone, Default)]
pub(crate) struct Metrics(Arc<Mutex<String>>);

impl Metrics {
    pub(crate) fn set(&self, text: String) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = text;
    }

    fn get(&self) -> String {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Serves the text on `addr` from a thread of its own; returns the address bound.
    pub(crate) fn serve(&self, addr: SocketAddr) -> std::io::Result<SocketAddr> {
        let listener = TcpListener::bind(addr)?;
        let bound = listener.local_addr()?;
        let metrics = self.clone();
        std::thread::spawn(move || {
            for mut conn in listener.incoming().flatten() {
                let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
                // The request itself does not matter: read what came, answer with the text.
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf);
                let body = metrics.get();
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = conn.write_all(format!("{head}{body}").as_bytes());
            }
        });
        Ok(bound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpStream;

    #[test]
    fn every_request_gets_the_last_text() {
        let m = Metrics::default();
        let addr = m.serve("127.0.0.1:0".parse().unwrap()).unwrap();
        let fetch = || {
            let mut c = TcpStream::connect(addr).unwrap();
            c.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            let mut out = String::new();
            c.read_to_string(&mut out).unwrap();
            out
        };
        assert!(fetch().ends_with("Content-Length: 0\r\nConnection: close\r\n\r\n"));
        m.set("ipam_allocations_in_use{ippool=\"p\",node=\"n\"} 3\n".into());
        let got = fetch();
        assert!(got.starts_with("HTTP/1.1 200 OK\r\n"), "{got}");
        assert!(
            got.ends_with("\r\n\r\nipam_allocations_in_use{ippool=\"p\",node=\"n\"} 3\n"),
            "{got}"
        );
    }
}

//! One active instance: leader election through the datastore.
//!
//! - etcd: the leader creates [`keys::CONTROLLERS_LEADER`] held by a lease of [`LEASE_TTL`]
//!   seconds and renews it from a thread of its own; a leader that stops revokes the lease
//!   (the key goes at once), one that is killed stops renewing it (the key goes when the lease
//!   expires). The others try to create the key every [`RETRY`] until it is gone.
//! - the embedded store: an exclusive `flock` on `<store file>.kube-controllers.lock`, which
//!   the kernel drops when the process dies however it dies; the holder's identity is written
//!   into the file so the others can say who leads.
//! - the in-memory store (tests): no election.
//!
//! Calico's kube-controllers has no election (one replica, `strategy: Recreate`); this is our
//! extension, required by the contract.

use crate::datastore::etcd::EtcdStore;
use crate::datastore::{DatastoreConfig, DatastoreError, keys};
use crate::node::agent::sleep_unless_stopped;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Seconds an etcd lease lives without renewal: how long a killed leader blocks the others.
const LEASE_TTL: i64 = 5;
/// How often a waiting instance tries again.
const RETRY: Duration = Duration::from_millis(500);

/// Why leadership could not be had.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LeaderError {
    /// The datastore failed.
    #[error("leader election: {0}")]
    Datastore(#[from] DatastoreError),
    /// The lock file could not be opened or locked.
    #[error("leader election: {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// `--once` found another instance leading.
    #[error("another instance of calico-kube-controllers is active ({0}); not running")]
    Held(String),
}

/// Leadership held; dropping it (or [`Leader::resign`]) gives it up.
pub(crate) struct Leader {
    kind: Held,
    lost: Arc<AtomicBool>,
}

enum Held {
    Etcd {
        stop: Arc<AtomicBool>,
        keeper: Option<JoinHandle<()>>,
    },
    File(#[allow(dead_code)] File),
    Nothing,
}

impl Leader {
    /// Whether the lease was lost (not renewed in time): the caller must stop acting.
    pub(crate) fn lost(&self) -> bool {
        self.lost.load(Ordering::Relaxed)
    }

    /// Gives leadership up at once (revokes the lease, unlocks the file).
    pub(crate) fn resign(mut self) {
        self.release();
    }

    fn release(&mut self) {
        if let Held::Etcd { stop, keeper } = &mut self.kind {
            stop.store(true, Ordering::Relaxed);
            if let Some(k) = keeper.take() {
                let _ = k.join();
            }
        }
        self.kind = Held::Nothing;
    }
}

impl Drop for Leader {
    fn drop(&mut self) {
        self.release();
    }
}

/// What a campaign reports while it waits.
pub(crate) trait Observer {
    /// Another instance, `holder`, leads (said once per holder).
    fn waiting(&mut self, holder: &str);
}

/// Campaigns for leadership as `identity`. With `wait`, tries until it leads or `stop` is set
/// (`Ok(None)`); without, fails with [`LeaderError::Held`] when another instance leads.
pub(crate) fn campaign(
    ds: &DatastoreConfig,
    identity: &str,
    wait: bool,
    stop: &AtomicBool,
    observer: &mut dyn Observer,
) -> Result<Option<Leader>, LeaderError> {
    let lost = Arc::new(AtomicBool::new(false));
    let mut last_holder = String::new();
    let mut tell = |holder: String, observer: &mut dyn Observer| -> Result<(), LeaderError> {
        if !wait {
            return Err(LeaderError::Held(holder));
        }
        if holder != last_holder {
            observer.waiting(&holder);
            last_holder = holder;
        }
        Ok(())
    };
    match ds {
        DatastoreConfig::Etcd(cfg) => {
            let store = EtcdStore::connect(cfg)?;
            let lease = store.lease_grant(LEASE_TTL)?;
            loop {
                match store.create_with_lease(keys::CONTROLLERS_LEADER, identity.as_bytes(), lease)
                {
                    Ok(None) => break,
                    Ok(Some(holder)) => {
                        tell(String::from_utf8_lossy(&holder).into_owned(), observer)?;
                        // Keep our own (unused) lease alive while waiting.
                        if store.lease_keep_alive(lease)? == 0 {
                            return campaign(ds, identity, wait, stop, observer);
                        }
                    }
                    Err(e) => return Err(e.into()),
                }
                if sleep_unless_stopped(RETRY, stop) {
                    let _ = store.lease_revoke(lease);
                    return Ok(None);
                }
            }
            let stop_keeper = Arc::new(AtomicBool::new(false));
            let keeper = spawn_keeper(store, lease, stop_keeper.clone(), lost.clone());
            Ok(Some(Leader {
                kind: Held::Etcd {
                    stop: stop_keeper,
                    keeper: Some(keeper),
                },
                lost,
            }))
        }
        DatastoreConfig::Embedded { path, .. } => {
            let lock_path = PathBuf::from(format!("{}.kube-controllers.lock", path.display()));
            let io = |source| LeaderError::Io {
                path: lock_path.display().to_string(),
                source,
            };
            let mut file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&lock_path)
                .map_err(io)?;
            loop {
                match file.try_lock() {
                    Ok(()) => break,
                    Err(std::fs::TryLockError::WouldBlock) => {
                        let mut holder = String::new();
                        file.rewind().map_err(io)?;
                        file.read_to_string(&mut holder).map_err(io)?;
                        tell(holder.trim().to_string(), observer)?;
                    }
                    Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
                }
                if sleep_unless_stopped(RETRY, stop) {
                    return Ok(None);
                }
            }
            file.set_len(0).map_err(io)?;
            file.rewind().map_err(io)?;
            file.write_all(identity.as_bytes()).map_err(io)?;
            file.flush().map_err(io)?;
            Ok(Some(Leader {
                kind: Held::File(file),
                lost,
            }))
        }
        DatastoreConfig::Memory => Ok(Some(Leader {
            kind: Held::Nothing,
            lost,
        })),
    }
}

/// Renews `lease` every third of its life until `stop`, then revokes it. When renewal has
/// failed for the lease's whole life (or etcd says it expired), sets `lost`.
fn spawn_keeper(
    store: EtcdStore,
    lease: i64,
    stop: Arc<AtomicBool>,
    lost: Arc<AtomicBool>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let period = Duration::from_millis(LEASE_TTL as u64 * 1000 / 3);
        let mut renewed = Instant::now();
        loop {
            if sleep_unless_stopped(period, &stop) {
                let _ = store.lease_revoke(lease);
                return;
            }
            match store.lease_keep_alive(lease) {
                Ok(ttl) if ttl > 0 => renewed = Instant::now(),
                Ok(_) => {
                    lost.store(true, Ordering::Relaxed);
                    return;
                }
                Err(_) if renewed.elapsed() < Duration::from_secs(LEASE_TTL as u64) => {}
                Err(_) => {
                    lost.store(true, Ordering::Relaxed);
                    return;
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Seen(Vec<String>);
    impl Observer for Seen {
        fn waiting(&mut self, holder: &str) {
            self.0.push(holder.to_string());
        }
    }

    /// `host-a/1` leads; `host-b/2`, not waiting, is refused naming it.
    fn first_leads_second_refused(ds: &DatastoreConfig) -> Leader {
        let stop = AtomicBool::new(false);
        let mut seen = Seen(Vec::new());
        let first = campaign(ds, "host-a/1", false, &stop, &mut seen)
            .unwrap()
            .expect("the first one leads");
        let err = campaign(ds, "host-b/2", false, &stop, &mut seen)
            .err()
            .expect("a second one is refused");
        assert!(
            matches!(&err, LeaderError::Held(h) if h == "host-a/1"),
            "{err}"
        );
        assert!(
            seen.0.is_empty(),
            "a campaign that does not wait reports nothing"
        );
        first
    }

    #[test]
    fn the_embedded_lock_admits_one_and_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let ds = DatastoreConfig::Embedded {
            path: dir.path().join("calico.db"),
            explicit: true,
        };
        let first = first_leads_second_refused(&ds);
        first.resign();
        let stop = AtomicBool::new(false);
        let second = campaign(&ds, "host-b/2", false, &stop, &mut Seen(Vec::new())).unwrap();
        assert!(second.is_some());
    }

    /// On etcd (a real one): the lease-held key admits one; a resigned leader's key goes at
    /// once, and a waiting campaign takes over.
    #[test]
    fn the_etcd_lease_admits_one_and_hands_over() {
        let etcd = crate::testing::EtcdServer::start();
        let ds = DatastoreConfig::Etcd(etcd.config());
        let first = first_leads_second_refused(&ds);
        let waiter = std::thread::spawn(move || {
            let stop = AtomicBool::new(false);
            let mut seen = Seen(Vec::new());
            let leader = campaign(&ds, "host-c/3", true, &stop, &mut seen).unwrap();
            (leader.is_some(), seen.0)
        });
        std::thread::sleep(Duration::from_secs(1));
        let resigned = Instant::now();
        first.resign();
        let (led, seen) = waiter.join().unwrap();
        assert!(led, "the waiting campaign took over");
        assert_eq!(seen, vec!["host-a/1".to_string()]);
        assert!(
            resigned.elapsed() < Duration::from_secs(3),
            "{:?}",
            resigned.elapsed()
        );
    }
}

//! Endings made by another process on the same SQLite database (the operator's command line, a
//! second server on the same file) must be honoured at once by every in-process session cache.
//!
//! Every process that ends sessions bumps a shared counter after its delete committed: eight
//! bytes in a file next to the database, mapped into memory by each process (`MAP_SHARED`), so
//! a check costs one atomic load and no system call. A server that finds the counter moved by
//! someone else empties its cache before it looks anything up. A request that starts after
//! the other process's ending returned therefore reads the database, which has the ending.
//! On Postgres, servers keep their caches coherent with leases and acknowledgements instead
//! (`crate::identity::session::check::fleet`, `docs/DEPLOY.md`).

use memmap2::MmapMut;
use std::{
    fs::OpenOptions,
    path::Path,
    sync::atomic::{AtomicU64, Ordering},
};

pub struct EndingSignal {
    map: MmapMut,
    /// The counter as this process last accounted for it (its own bumps included).
    seen: AtomicU64,
}

impl EndingSignal {
    /// Opens (creating if needed) the signal file of the SQLite database at `database`.
    pub fn open(database: &Path) -> std::io::Result<Self> {
        let mut path = database.as_os_str().to_owned();
        path.push("-endings");
        let file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
        if file.metadata()?.len() < 8 {
            file.set_len(8)?;
        }
        // SAFETY: the file is ours (next to the database), eight bytes long, and only ever
        // accessed through `counter()`, as one atomic u64 in every process that maps it.
        let map = unsafe { MmapMut::map_mut(&file)? };
        let signal = EndingSignal { map, seen: AtomicU64::new(0) };
        signal.seen.store(signal.counter().load(Ordering::SeqCst), Ordering::SeqCst);
        Ok(signal)
    }

    fn counter(&self) -> &AtomicU64 {
        // SAFETY: the mapping is page-aligned and at least eight bytes long, lives as long as
        // `self`, and every access to it (in any process) is atomic.
        unsafe { &*(self.map.as_ptr() as *const AtomicU64) }
    }

    /// Tells every other process that sessions were ended. Call after the delete committed.
    pub fn bump(&self) {
        let before = self.counter().fetch_add(1, Ordering::SeqCst);
        // Our own bump needs no reaction from us, unless someone else's came in between.
        let _ = self.seen.compare_exchange(before, before + 1, Ordering::SeqCst, Ordering::SeqCst);
    }

    /// Whether another process ended sessions since we last looked (and now we have looked).
    pub fn moved(&self) -> bool {
        let now = self.counter().load(Ordering::SeqCst);
        self.seen.swap(now, Ordering::SeqCst) != now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_process_bump_is_seen_once_and_our_own_not_at_all() {
        let dir = tempfile_dir();
        let db = dir.join("app.db");
        let server = EndingSignal::open(&db).unwrap();
        let cli = EndingSignal::open(&db).unwrap();
        assert!(!server.moved());
        server.bump();
        assert!(!server.moved(), "our own ending");
        cli.bump();
        assert!(server.moved(), "the other's ending");
        assert!(!server.moved(), "reported once");
        let _ = std::fs::remove_dir_all(dir);
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("signal-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}

//! The batch journal: one JSON record per line, each made durable before anyone acts on it.
//!
//! A row's `sending` record is on disk before its refund is sent, and its final record before
//! its outcome is reported. Records are written by one thread that owns the file: a task hands
//! it a record and waits until the fsync covering that record has returned. Records that arrive
//! while an fsync is running are written together and share the next one (group commit), so
//! concurrent rows no longer queue behind each other's fsyncs, and no fsync blocks the async
//! runtime's threads.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::mpsc;

use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::exit::Failure;

/// A journal record.
#[derive(Serialize, Deserialize, Debug)]
pub(crate) struct Record {
    pub(crate) line: u64,
    pub(crate) refund_id: String,
    pub(crate) state: JournalState,
}

/// Where a row stands.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum JournalState {
    /// About to be sent: in doubt until a later record settles it.
    Sending,
    /// Refunded.
    Refunded,
    /// Refused by the provider or invalid: final, not retried.
    Failed,
    /// Still unknown after the deadline: resolved again on the next run.
    Unknown,
}

/// Lines whose outcome is final, as a bitset (one bit per CSV line), so memory stays flat
/// however long the file.
#[derive(Default)]
pub(crate) struct Done(Vec<u64>);

impl Done {
    fn insert(&mut self, line: u64) {
        let (word, bit) = (usize::try_from(line / 64).unwrap_or(usize::MAX), line % 64);
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        if let Some(w) = self.0.get_mut(word) {
            *w |= 1 << bit;
        }
    }

    /// Whether `line` reached a final outcome in an earlier run.
    pub(crate) fn contains(&self, line: u64) -> bool {
        let word = usize::try_from(line / 64).unwrap_or(usize::MAX);
        self.0
            .get(word)
            .is_some_and(|w| w & (1 << (line % 64)) != 0)
    }
}

/// What the journal says about earlier runs.
#[derive(Default)]
pub(crate) struct Prior {
    /// Lines already settled.
    pub(crate) done: Done,
    /// Lines sent whose outcome was never recorded (or stayed unknown): line → refund id.
    pub(crate) in_doubt: HashMap<u64, String>,
}

/// Reads what earlier runs recorded; a missing journal is an empty one.
pub(crate) fn read_journal(path: &Path) -> Result<Prior, Failure> {
    let mut prior = Prior::default();
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(prior),
        Err(e) => {
            return Err(Failure::input(format!(
                "cannot read the journal {}: {e}",
                path.display()
            )));
        }
    };
    let mut reader = BufReader::new(file);
    let mut buffer = Vec::new();
    let mut number = 0;
    loop {
        buffer.clear();
        let read = reader.read_until(b'\n', &mut buffer).map_err(|e| {
            Failure::input(format!("cannot read the journal {}: {e}", path.display()))
        })?;
        if read == 0 {
            break;
        }
        number += 1;
        if buffer.last() != Some(&b'\n') {
            // A record torn by a crash mid-write: no fsync ever covered it; ignore it.
            break;
        }
        let record: Record = serde_json::from_slice(&buffer).map_err(|e| {
            Failure::input(format!("the journal {} is unreadable at line {number} ({e}); it is not a paybridge batch journal", path.display()))
        })?;
        match record.state {
            JournalState::Sending | JournalState::Unknown => {
                prior.in_doubt.insert(record.line, record.refund_id);
            }
            JournalState::Refunded | JournalState::Failed => {
                prior.in_doubt.remove(&record.line);
                prior.done.insert(record.line);
            }
        }
    }
    Ok(prior)
}

/// A record on its way to disk, and whom to tell once it is there.
struct Pending {
    bytes: Vec<u8>,
    durable: oneshot::Sender<Result<(), String>>,
}

/// At most this many records share one write and fsync, so one slow disk round cannot make a
/// single group unboundedly large.
const MAX_GROUP: usize = 1024;

/// The journal file, appended to by its own writer thread (see the module docs).
pub(crate) struct Journal {
    records: Option<mpsc::Sender<Pending>>,
    writer: Option<std::thread::JoinHandle<()>>,
}

fn journal_failure(message: String) -> Failure {
    Failure {
        code: 4,
        kind: "journal",
        message: format!("cannot write the journal: {message}"),
    }
}

impl Journal {
    /// Opens (or creates) the journal at `path` for appending.
    pub(crate) fn open(path: &Path) -> Result<Journal, Failure> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| {
                Failure::input(format!("cannot open the journal {}: {e}", path.display()))
            })?;
        let (records, queue) = mpsc::channel();
        let writer = std::thread::Builder::new()
            .name("paybridge-journal".into())
            .spawn(move || write_groups(file, &queue))
            .map_err(|e| journal_failure(format!("cannot start its writer: {e}")))?;
        Ok(Journal {
            records: Some(records),
            writer: Some(writer),
        })
    }

    /// Appends `record` and returns once it is on disk (its fsync has returned).
    pub(crate) async fn append(&self, record: &Record) -> Result<(), Failure> {
        let mut bytes = serde_json::to_vec(record).map_err(|e| journal_failure(e.to_string()))?;
        bytes.push(b'\n');
        let (durable, written) = oneshot::channel();
        let stopped = || journal_failure("its writer has stopped".into());
        self.records
            .as_ref()
            .ok_or_else(stopped)?
            .send(Pending { bytes, durable })
            .map_err(|_| stopped())?;
        written
            .await
            .map_err(|_| stopped())?
            .map_err(journal_failure)
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        // Closing the queue ends the writer once it has written what it holds.
        self.records = None;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// The writer thread: takes every record waiting, writes them in one go, fsyncs once, then
/// tells each sender. After a failed write or fsync nothing more is written — what reached the
/// disk is unknown, so every later record fails too and the batch stops.
fn write_groups(mut file: File, queue: &mpsc::Receiver<Pending>) {
    let mut failed: Option<String> = None;
    let mut group = Vec::new();
    let mut waiting = Vec::new();
    while let Ok(first) = queue.recv() {
        group.clear();
        group.extend_from_slice(&first.bytes);
        waiting.push(first.durable);
        while waiting.len() < MAX_GROUP {
            let Ok(next) = queue.try_recv() else { break };
            group.extend_from_slice(&next.bytes);
            waiting.push(next.durable);
        }
        let result = match &failed {
            Some(message) => Err(message.clone()),
            None => file
                .write_all(&group)
                .and_then(|()| file.sync_data())
                .map_err(|e| e.to_string()),
        };
        if let Err(message) = &result {
            failed.get_or_insert_with(|| message.clone());
        }
        for durable in waiting.drain(..) {
            // A sender that stopped waiting (its task was cancelled) needs no answer.
            let _ = durable.send(result.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory for one test (removed again by the test that made it).
    fn scratch(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("paybridge-journal-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn record(line: u64, state: JournalState) -> Record {
        Record {
            line,
            refund_id: format!("r-{line}"),
            state,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_appends_are_all_durable_and_read_back() {
        let dir = scratch("concurrent");
        let path = dir.join("rows.csv.journal");
        let journal = std::sync::Arc::new(Journal::open(&path).unwrap());
        let mut tasks = tokio::task::JoinSet::new();
        for line in 2..502 {
            let journal = std::sync::Arc::clone(&journal);
            tasks.spawn(async move {
                journal
                    .append(&record(line, JournalState::Sending))
                    .await
                    .unwrap();
                let last = if line % 5 == 0 {
                    JournalState::Unknown
                } else {
                    JournalState::Refunded
                };
                journal.append(&record(line, last)).await.unwrap();
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.unwrap();
        }
        drop(journal);
        let prior = read_journal(&path).unwrap();
        for line in 2..502 {
            assert_eq!(prior.done.contains(line), line % 5 != 0, "line {line}");
            assert_eq!(
                prior.in_doubt.get(&line).map(String::as_str),
                (line % 5 == 0).then(|| format!("r-{line}")).as_deref()
            );
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 1000, "every record once, none torn");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_torn_last_record_is_ignored_and_garbage_is_refused() {
        let dir = scratch("torn");
        let path = dir.join("j");
        std::fs::write(
            &path,
            "{\"line\":2,\"refund_id\":\"a\",\"state\":\"refunded\"}\n{\"line\":3,\"refund_id\":\"b\",\"st",
        )
        .unwrap();
        let prior = read_journal(&path).unwrap();
        assert!(prior.done.contains(2));
        assert!(!prior.done.contains(3) && prior.in_doubt.is_empty());
        std::fs::write(&path, "not a journal\n").unwrap();
        assert!(read_journal(&path).is_err());
        assert!(
            read_journal(&dir.join("missing"))
                .unwrap()
                .in_doubt
                .is_empty()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn after_a_failed_write_every_append_fails() {
        // /dev/full accepts the open and fails every write with ENOSPC.
        let path = Path::new("/dev/full");
        if !path.exists() {
            eprintln!("skipped: no /dev/full here");
            return;
        }
        let journal = Journal::open(path).unwrap();
        for _ in 0..2 {
            let failure = journal
                .append(&record(2, JournalState::Sending))
                .await
                .unwrap_err();
            assert_eq!((failure.code, failure.kind), (4, "journal"));
            assert!(failure.message.contains("cannot write the journal"));
        }
    }
}

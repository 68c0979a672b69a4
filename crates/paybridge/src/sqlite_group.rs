//! Group commit for the SQLite stores: one writer thread per store takes every change waiting,
//! makes them in one transaction (each in a savepoint of its own, so one that fails leaves the
//! others), syncs once, and only then answers each. The batch store and the notification store
//! both write this way.

use std::sync::mpsc::Receiver;

use rusqlite::Connection;

/// Runs `sql` through the connection's statement cache: the stores run the same few
/// statements for every row or notification, and parsing them each time was a third of the
/// work.
pub(crate) fn exec<P: rusqlite::Params>(
    connection: &Connection,
    sql: &str,
    params: P,
) -> rusqlite::Result<usize> {
    connection.prepare_cached(sql)?.execute(params)
}

/// The next group: blocks for one job, then takes what else is waiting, up to `max`. `None`
/// once every sender is gone.
pub(crate) fn next_group<T>(queue: &Receiver<T>, max: usize) -> Option<Vec<T>> {
    let mut group = vec![queue.recv().ok()?];
    while group.len() < max
        && let Ok(next) = queue.try_recv()
    {
        group.push(next);
    }
    Some(group)
}

/// Makes every change of `changes` with `apply` in one transaction, each in a savepoint, and
/// commits: the result of each, or, when the transaction cannot begin or commit, that error for
/// all of them (then nothing of the group is durable).
pub(crate) fn commit_group<C, R, E>(
    connection: &Connection,
    changes: Vec<C>,
    apply: impl Fn(C, &Connection) -> Result<R, E>,
    fail: impl Fn(&rusqlite::Error) -> E,
) -> Vec<Result<R, E>> {
    let count = changes.len();
    if let Err(e) = exec(connection, "BEGIN IMMEDIATE", []) {
        return (0..count).map(|_| Err(fail(&e))).collect();
    }
    let mut results = Vec::with_capacity(count);
    for change in changes {
        let result = exec(connection, "SAVEPOINT change", [])
            .map_err(|e| fail(&e))
            .and_then(|_| apply(change, connection));
        let end = if result.is_ok() {
            exec(connection, "RELEASE change", [])
        } else {
            exec(connection, "ROLLBACK TO change", [])
                .and_then(|_| exec(connection, "RELEASE change", []))
        };
        results.push(result.and_then(|r| end.map(|_| r).map_err(|e| fail(&e))));
    }
    match exec(connection, "COMMIT", []) {
        Ok(_) => results,
        Err(e) => {
            let _ = exec(connection, "ROLLBACK", []);
            (0..count).map(|_| Err(fail(&e))).collect()
        }
    }
}

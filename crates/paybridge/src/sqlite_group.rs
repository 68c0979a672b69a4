//! Group commit for the SQLite stores: one writer thread per store takes every change waiting,
//! makes them in one transaction (one that fails leaves the others), syncs once, and only then
//! answers each. The batch store and the notification store both write this way.

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

/// Makes every change of `changes` with `apply` in one transaction and commits: the result of
/// each, or, when the transaction cannot begin or commit, that error for all of them (then
/// nothing of the group is durable).
///
/// A change for which `several` says so runs in a savepoint of its own, so that one failing
/// half-way is undone whole while the others stand. A change of one statement needs none:
/// SQLite undoes a failed statement by itself.
///
/// Some failures (a full disk, an I/O error) make SQLite roll back the whole transaction. The
/// group then stops there: the changes after it would otherwise each run, and commit, on their
/// own, while the caller was told the group failed.
pub(crate) fn commit_group<C, R, E>(
    connection: &Connection,
    changes: Vec<C>,
    several: impl Fn(&C) -> bool,
    apply: impl Fn(C, &Connection) -> Result<R, E>,
    fail: impl Fn(&rusqlite::Error) -> E,
) -> Vec<Result<R, E>> {
    let count = changes.len();
    if let Err(e) = exec(connection, "BEGIN IMMEDIATE", []) {
        return (0..count).map(|_| Err(fail(&e))).collect();
    }
    let mut results = Vec::with_capacity(count);
    for change in changes {
        let result = if several(&change) {
            let result = exec(connection, "SAVEPOINT change", [])
                .map_err(|e| fail(&e))
                .and_then(|_| apply(change, connection));
            let end = if result.is_ok() {
                exec(connection, "RELEASE change", [])
            } else {
                exec(connection, "ROLLBACK TO change", [])
                    .and_then(|_| exec(connection, "RELEASE change", []))
            };
            result.and_then(|r| end.map(|_| r).map_err(|e| fail(&e)))
        } else {
            apply(change, connection)
        };
        results.push(result);
        if connection.is_autocommit() {
            // The transaction is gone, and every change made in it with it.
            let gone = rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
                Some("the store rolled the group's transaction back".into()),
            );
            return (0..count).map(|_| Err(fail(&gone))).collect();
        }
    }
    match exec(connection, "COMMIT", []) {
        Ok(_) => results,
        Err(e) => {
            let _ = exec(connection, "ROLLBACK", []);
            (0..count).map(|_| Err(fail(&e))).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A change as these tests write it: its statements, and whether it asks for a savepoint.
    struct Change {
        sql: &'static str,
        several: bool,
    }

    fn store() -> Connection {
        let connection = Connection::open_in_memory().unwrap();
        connection
            .execute_batch("CREATE TABLE t (id TEXT PRIMARY KEY)")
            .unwrap();
        connection
    }

    fn group(connection: &Connection, changes: Vec<Change>) -> Vec<Result<(), String>> {
        commit_group(
            connection,
            changes,
            |change| change.several,
            |change, connection| {
                connection
                    .execute_batch(change.sql)
                    .map_err(|e| e.to_string())
            },
            ToString::to_string,
        )
    }

    fn ids(connection: &Connection) -> Vec<String> {
        let mut statement = connection.prepare("SELECT id FROM t ORDER BY id").unwrap();
        statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn a_failed_change_leaves_the_others_with_or_without_a_savepoint() {
        let connection = store();
        let results = group(
            &connection,
            vec![
                Change {
                    sql: "INSERT INTO t VALUES ('a')",
                    several: false,
                },
                // One statement, no savepoint: SQLite undoes the failed statement alone.
                Change {
                    sql: "INSERT INTO t VALUES ('a')",
                    several: false,
                },
                // Several statements: the first is undone with the failing second.
                Change {
                    sql: "INSERT INTO t VALUES ('b'); INSERT INTO t VALUES ('a')",
                    several: true,
                },
                Change {
                    sql: "INSERT INTO t VALUES ('c')",
                    several: false,
                },
            ],
        );
        let ok: Vec<bool> = results.iter().map(Result::is_ok).collect();
        assert_eq!(ok, [true, false, false, true]);
        assert_eq!(ids(&connection), ["a", "c"]);
        assert!(connection.is_autocommit());
    }

    #[test]
    fn a_transaction_rolled_back_under_the_group_fails_it_whole_and_runs_nothing_after() {
        // What SQLite does on some full-disk and I/O errors, done here by hand.
        let connection = store();
        let results = group(
            &connection,
            vec![
                Change {
                    sql: "INSERT INTO t VALUES ('a')",
                    several: false,
                },
                Change {
                    sql: "ROLLBACK",
                    several: false,
                },
                // Outside any transaction this would commit on its own.
                Change {
                    sql: "INSERT INTO t VALUES ('b')",
                    several: false,
                },
            ],
        );
        assert!(results.iter().all(Result::is_err), "{results:?}");
        assert!(ids(&connection).is_empty());
    }
}

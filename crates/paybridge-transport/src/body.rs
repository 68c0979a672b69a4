//! A request body that records when hyper starts writing it, which is how a timeout is told
//! apart as "never sent" or "may have been delivered".

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;

/// `Full<Bytes>` plus a flag set the first time hyper polls it. Hyper polls a request body only
/// once it is writing the request onto an established connection, so while the flag is unset
/// the server cannot have received a complete request.
#[derive(Debug)]
pub(crate) struct TrackedBody {
    inner: Full<Bytes>,
    started: Arc<AtomicBool>,
}

impl TrackedBody {
    pub(crate) fn new(bytes: Bytes) -> (TrackedBody, Arc<AtomicBool>) {
        let started = Arc::new(AtomicBool::new(false));
        (
            TrackedBody {
                inner: Full::new(bytes),
                started: Arc::clone(&started),
            },
            started,
        )
    }
}

impl Body for TrackedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.started.store(true, Ordering::Release);
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

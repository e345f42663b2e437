//! The bound on requests in flight at once.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

pub(super) struct Gate {
    pub(super) in_flight: Mutex<usize>,
    pub(super) cv: Condvar,
    pub(super) max: usize,
}

/// Held while a request and its body are in flight.
pub(super) struct Permit(Arc<Gate>);

impl Drop for Permit {
    fn drop(&mut self) {
        if let Ok(mut n) = self.0.in_flight.lock() {
            *n = n.saturating_sub(1);
        }
        self.0.cv.notify_one();
    }
}

impl Gate {
    pub(super) fn acquire(self: &Arc<Self>, until: Instant) -> Option<Permit> {
        let mut n = self.in_flight.lock().ok()?;
        while *n >= self.max {
            let now = Instant::now();
            if now >= until {
                return None;
            }
            n = self.cv.wait_timeout(n, until - now).ok()?.0;
        }
        *n += 1;
        Some(Permit(Arc::clone(self)))
    }
}

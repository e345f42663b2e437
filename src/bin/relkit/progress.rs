//! Progress bars for downloads, driven by a run's `Progress` events, drawn on stderr.
//!
//! Self-contained (it names nothing of the binary), so the `verify_release` example includes
//! this very file instead of keeping a copy.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use relgate::{Event, Observer};

/// One bar per gate and download, under one `MultiProgress` on stderr.
pub(crate) struct Bars {
    multi: MultiProgress,
    bars: Arc<Mutex<HashMap<String, ProgressBar>>>,
}

impl Bars {
    /// Bars drawn on stderr (the caller decides whether stderr is a terminal).
    pub(crate) fn new() -> Bars {
        Bars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: Arc::default(),
        }
    }

    /// The run observer that moves the bars.
    pub(crate) fn observer(&self) -> Observer {
        let multi = self.multi.clone();
        let bars = Arc::clone(&self.bars);
        let style = ProgressStyle::with_template("{prefix:>18} {wide_msg} {bytes}/{total_bytes}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        Arc::new(move |e: &Event<'_>| {
            if let Event::Progress {
                gate,
                what,
                done,
                total,
            } = e
            {
                let mut map = bars.lock().unwrap_or_else(|p| p.into_inner());
                let key = format!("{gate} {what}");
                let bar = map.entry(key).or_insert_with(|| {
                    let b = multi.add(ProgressBar::new(total.unwrap_or(0)));
                    b.set_style(style.clone());
                    b.set_prefix((*gate).to_owned());
                    b.set_message((*what).to_owned());
                    b
                });
                if let Some(t) = total {
                    bar.set_length(*t);
                }
                bar.set_position(*done);
            }
        })
    }

    /// Removes every bar from the terminal (before the report is printed).
    pub(crate) fn clear(&self) {
        let map = self.bars.lock().unwrap_or_else(|p| p.into_inner());
        for b in map.values() {
            b.finish_and_clear();
        }
        let _ = self.multi.clear();
    }
}

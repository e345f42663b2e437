//! The declarations the gates of the table share: a gate type, its trait impl and its id in
//! one place, the check a function of the gate's own module.

/// What an async check of the table returns: `Err` is a result the check ended with early
/// (a skip, a gate error), so that its steps can use `?`; the gate's result is either.
pub(crate) type Checked = Result<crate::gate::GateResult, crate::gate::GateResult>;

/// Declares a unit-struct gate of the table (`Debug`, `Clone`, `Copy`, `Default`): the
/// attributes and doc comment, then `Name = "id"` and its check:
///
/// - `inputs check`: a [`BlockingGate`](crate::gate::BlockingGate) whose check is
///   `check(&Inputs::of(ctx))` (the tag, commit and source tree of the run);
/// - `blocking check`: a [`BlockingGate`](crate::gate::BlockingGate) whose check is
///   `check(ctx)`, returning [`Checked`];
/// - `async check`: a [`StandardGate`](crate::gate::StandardGate) whose check is the async
///   `check(ctx)`, returning [`Checked`].
macro_rules! unit_gate {
    ($(#[$attr:meta])* $name:ident = $id:literal, $kind:ident $check:path) => {
        $(#[$attr])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $name;

        $crate::gates::declare::unit_gate!(@check $kind, $name, $id, $check);
    };
    (@check inputs, $name:ident, $id:literal, $check:path) => {
        impl $crate::gate::BlockingGate for $name {
            const ID: &'static str = $id;

            fn run_blocking(&self, ctx: &$crate::gate::GateContext) -> $crate::gate::GateResult {
                $check(&$crate::release_source::Inputs::of(ctx))
            }
        }
    };
    (@check blocking, $name:ident, $id:literal, $check:path) => {
        impl $crate::gate::BlockingGate for $name {
            const ID: &'static str = $id;

            fn run_blocking(&self, ctx: &$crate::gate::GateContext) -> $crate::gate::GateResult {
                $check(ctx).unwrap_or_else(|early| early)
            }
        }
    };
    (@check async, $name:ident, $id:literal, $check:path) => {
        $crate::gates::declare::unit_gate!(@standard $name, $id, |self, ctx| $check(ctx));
    };
    // The `StandardGate` impl of an async check: `$checked` is a future of `Checked`.
    (@standard $name:ident, $id:literal, |$this:ident, $ctx:ident| $checked:expr) => {
        impl $crate::gate::StandardGate for $name {
            const ID: &'static str = $id;

            fn check<'a>(
                &'a $this,
                $ctx: &'a $crate::gate::GateContext,
            ) -> $crate::gate::BoxFuture<'a, $crate::gate::GateResult> {
                Box::pin(async move { $checked.await.unwrap_or_else(|early| early) })
            }
        }
    };
}

pub(crate) use unit_gate;

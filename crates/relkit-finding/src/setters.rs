//! Builder setters, written once for every crate of the workspace.

/// Declares, inside an `impl` block, builder setters that set one field each: every
/// `name(arg: Type) => field = value;` (after its doc comment) becomes
/// `pub fn name(mut self, arg: Type) -> Self`, which sets `self.field = value` and returns
/// `self`. A setter that does more than that is written out by hand.
///
/// ```
/// #[derive(Debug, Default)]
/// struct Options {
///     threads: usize,
///     strict: bool,
/// }
///
/// impl Options {
///     relkit_finding::setters! {
///         /// Threads to use (at least one).
///         threads(n: usize) => threads = n.max(1);
///         /// Refuse what is not understood.
///         strict(yes: bool) => strict = yes;
///     }
/// }
///
/// let o = Options::default().threads(0).strict(true);
/// assert_eq!((o.threads, o.strict), (1, true));
/// ```
#[macro_export]
macro_rules! setters {
    ($($(#[$attr:meta])* $name:ident($arg:ident: $ty:ty) => $field:ident = $value:expr;)*) => {
        $(
            $(#[$attr])*
            pub fn $name(mut self, $arg: $ty) -> Self {
                self.$field = $value;
                self
            }
        )*
    };
}

//! Builder setters: methods that take the value by `self`, set one field and return it.

/// Declares builder setters, each `name(arg: Type) => field = value;` after its doc comment:
/// `pub fn name(mut self, arg: Type) -> Self` that sets `self.field = value` and returns
/// `self`.
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

pub(crate) use setters;

//! Builder setters, written once: each sets one field and hands the value back.

/// Declares, inside an `impl` block, one public setter per line:
/// `/// doc` `setter => field: Type;` becomes `pub fn setter(mut self, field: Type) -> Self`,
/// which sets `self.field` and returns `self`. Setters that do more than that are written out.
macro_rules! setters {
    ($($(#[$attr:meta])* $setter:ident => $field:ident: $ty:ty;)*) => {$(
        $(#[$attr])*
        pub fn $setter(mut self, $field: $ty) -> Self {
            self.$field = $field;
            self
        }
    )*};
}

pub(crate) use setters;
